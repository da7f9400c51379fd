"""``threading.Thread`` per worker: started and joined for every batch of tasks."""

from __future__ import annotations

import threading
import traceback
from typing import Any

from bench.models.base import ArgList, Task, TaskError, deal


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
