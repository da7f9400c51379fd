"""``concurrent.futures.ProcessPoolExecutor`` for one start method, opened once and reused.

A worker that dies breaks the pool: ``run`` raises ``WorkerDied`` (from
``BrokenProcessPool``), and ``close`` still reaps every child.
"""

from __future__ import annotations

import multiprocessing
from collections.abc import Iterable, Iterator
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures import wait as futures_wait
from concurrent.futures.process import BrokenProcessPool
from contextlib import contextmanager
from typing import Any

from bench.models.base import (
    JOIN_TIMEOUT_S,
    ArgList,
    Task,
    WorkerDied,
    acquire_all,
    raise_if_done,
)


def worker_processes(pool: ProcessPoolExecutor) -> list[Any]:
    """The pool's worker processes. ``_processes`` is private, but the only way in before
    3.14's ``kill_workers``; an empty list if a future version drops it."""
    return list((getattr(pool, "_processes", None) or {}).values())


class ProcessPool:
    def __init__(self, workers: int, start_method: str, chunksize: int = 1) -> None:
        self.workers = workers
        self.start_method = start_method
        self.chunksize = chunksize
        context = multiprocessing.get_context(start_method)
        self._pool = ProcessPoolExecutor(max_workers=workers, mp_context=context)

    def run(self, func: Task, arglist: ArgList) -> list[Any]:
        columns = zip(*arglist, strict=True)
        try:
            return list(self._pool.map(func, *columns, chunksize=self.chunksize))
        except BrokenProcessPool as exc:
            raise WorkerDied(f"process pool ({self.start_method}) broke: {exc}") from exc

    def stream(self, func: Task, items: Iterable[Any], buffersize: int | None) -> Iterator[Any]:
        """``Capability.STREAMS``: ``map`` over ``items``, eager unless ``buffersize``."""
        if buffersize is None:
            return self._pool.map(func, items, chunksize=self.chunksize)
        return self._pool.map(func, items, chunksize=self.chunksize,  # type: ignore[call-arg]
                              buffersize=buffersize)  # fmt: skip

    def worker_pids(self) -> list[int]:
        """The pool's live worker processes (``Capability.LISTS_WORKERS``)."""
        return [process.pid for process in worker_processes(self._pool)]

    def close(self) -> None:
        self._pool.shutdown(wait=True, cancel_futures=True)


def open_executor(workers: int, start_method: str | None = None, chunksize: int = 1) -> ProcessPool:
    if start_method is None:
        raise ValueError("the process_pool model needs a start method")
    return ProcessPool(workers, start_method, chunksize)


# --- held workers (Capability.HOLDS_WORKERS) ----------------------------------------------

_held: tuple[Task, tuple[Any, ...], Any, Any] | None = None


def _init_held(task: Task, args: tuple[Any, ...], ready: Any, release: Any) -> None:
    """A held worker's initializer: keep what ``initargs`` brought (inherited under fork)."""
    global _held  # noqa: PLW0603 - a pool task can reach its worker's state only so
    _held = (task, args, ready, release)


def _hold() -> None:
    """A held worker's one task: run the task, say so, block until released."""
    if _held is None:
        raise RuntimeError("the pool's initializer did not run")
    task, args, ready, release = _held
    task(*args)
    ready.release()
    release.wait()


@contextmanager
def hold_workers(
    workers: int, start_method: str | None, task: Task, args: tuple[Any, ...]
) -> Iterator[None]:
    """A pool of ``workers`` processes, each having run ``task(*args)``, blocked until the
    context ends; ``args`` reach them through the initializer."""
    if start_method is None:
        raise ValueError("the process_pool model needs a start method")
    context = multiprocessing.get_context(start_method)
    ready, release = context.Semaphore(0), context.Event()
    pool = ProcessPoolExecutor(
        max_workers=workers, mp_context=context, initializer=_init_held,
        initargs=(task, args, ready, release),
    )  # fmt: skip
    futures: list[Any] = []
    try:
        # Every task blocks, so the W tasks occupy W distinct workers, all started.
        futures = [pool.submit(_hold) for _ in range(workers)]
        acquire_all(ready, workers, lambda: raise_if_done(futures))
        yield
    finally:
        release.set()
        # Idle workers leave at shutdown; one still busy after its release hangs, and
        # the pool's own table of workers is the one way to kill it (the pool then
        # breaks, which ends its manager thread, so shutdown returns).
        _, busy = futures_wait(futures, timeout=JOIN_TIMEOUT_S)
        if busy:
            for process in worker_processes(pool):
                process.kill()
        pool.shutdown(wait=True, cancel_futures=True)
