"""``concurrent.futures.ThreadPoolExecutor``, opened once and reused (warm)."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from bench.models.base import ArgList, Task


class ThreadPool:
    def __init__(self, workers: int) -> None:
        self.workers = workers
        self._pool = ThreadPoolExecutor(max_workers=workers)

    def run(self, func: Task, arglist: ArgList) -> list[Any]:
        return list(self._pool.map(func, *zip(*arglist, strict=True)))

    def stream(self, func: Task, items: Iterable[Any], buffersize: int | None) -> Iterator[Any]:
        """``Capability.STREAMS``: ``map`` over ``items``, eager unless ``buffersize``."""
        if buffersize is None:
            return self._pool.map(func, items)
        return self._pool.map(func, items, buffersize=buffersize)  # type: ignore[call-arg]

    def close(self) -> None:
        self._pool.shutdown(wait=True, cancel_futures=True)


def open_executor(workers: int, start_method: str | None = None) -> ThreadPool:
    del start_method
    return ThreadPool(workers)
