"""asyncio: one event loop, every task a coroutine, at most ``workers`` in flight at once."""

from __future__ import annotations

import asyncio
from typing import Any

from bench.models.base import ArgList, Task


class EventLoopExecutor:
    def __init__(self, workers: int) -> None:
        self.workers = workers
        self._loop = asyncio.new_event_loop()

    def run(self, func: Task, arglist: ArgList) -> list[Any]:
        return self._loop.run_until_complete(self._gather(func, arglist))

    async def _gather(self, func: Task, arglist: ArgList) -> list[Any]:
        limit = asyncio.Semaphore(self.workers)

        async def one(args: tuple[Any, ...]) -> Any:
            async with limit:
                result = func(*args)
                # Plain functions (the worker probe) run inline: still one thread, one loop.
                return await result if asyncio.iscoroutine(result) else result

        return list(await asyncio.gather(*(one(args) for args in arglist)))

    def close(self) -> None:
        if not self._loop.is_closed():
            self._loop.run_until_complete(self._loop.shutdown_asyncgens())
            self._loop.close()


def open_executor(workers: int, start_method: str | None = None) -> EventLoopExecutor:
    del start_method
    return EventLoopExecutor(workers)
