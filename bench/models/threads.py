"""``threading.Thread`` per worker: started and joined for every batch of tasks."""

from __future__ import annotations

import threading
import traceback
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from bench.models.base import ArgList, Task, TaskError, WorkerFailed, acquire_all, deal


class ThreadsExecutor:
    def __init__(self, workers: int) -> None:
        self.workers = workers

    def run(self, func: Task, arglist: ArgList) -> list[Any]:
        results: list[Any] = [None] * len(arglist)
        errors: list[str] = []

        def work(indices: list[int]) -> None:
            try:
                for i in indices:
                    results[i] = func(*arglist[i])
            except BaseException:
                errors.append(traceback.format_exc())

        threads = [
            threading.Thread(target=work, args=(chunk,))
            for chunk in deal(len(arglist), self.workers)
        ]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        if errors:
            raise TaskError.from_traceback(errors[0])
        return results

    def close(self) -> None:
        pass


def open_executor(workers: int, start_method: str | None = None) -> ThreadsExecutor:
    del start_method
    return ThreadsExecutor(workers)


@contextmanager
def hold_workers(
    workers: int, start_method: str | None, task: Task, args: tuple[Any, ...]
) -> Iterator[None]:
    """``workers`` threads, each having run ``task(*args)``, blocked until the context ends."""
    del start_method
    ready, release = threading.Semaphore(0), threading.Event()
    errors: list[str] = []

    def hold() -> None:
        try:
            task(*args)
            ready.release()
            release.wait()
        except BaseException:
            errors.append(traceback.format_exc())

    def check() -> None:
        if errors:
            raise WorkerFailed(f"a thread failed before it was ready:\n{errors[0]}")

    threads: list[threading.Thread] = []
    try:
        for _ in range(workers):
            thread = threading.Thread(target=hold, daemon=True)
            thread.start()
            threads.append(thread)
        acquire_all(ready, workers, check)
        yield
    finally:
        release.set()
        for thread in threads:
            thread.join()
