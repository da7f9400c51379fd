"""``concurrent.futures.ProcessPoolExecutor`` for one start method, opened once and reused.

A worker that dies breaks the pool: ``run`` raises ``WorkerDied`` (from
``BrokenProcessPool``), and ``close`` still reaps every child.
"""

from __future__ import annotations

import multiprocessing
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from typing import Any

from bench.models.base import ArgList, Task, WorkerDied


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

    def close(self) -> None:
        self._pool.shutdown(wait=True, cancel_futures=True)


def open_executor(workers: int, start_method: str | None = None, chunksize: int = 1) -> ProcessPool:
    if start_method is None:
        raise ValueError("the process_pool model needs a start method")
    return ProcessPool(workers, start_method, chunksize)
