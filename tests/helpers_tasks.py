"""Task functions for the model tests, module-level so that any model can import them.

Only the in-process models (threads, thread pool, asyncio) run these: process-based
tests stick to ``bench.workloads`` so that spawn and forkserver children never
depend on the test folder being importable.
"""

from __future__ import annotations

import asyncio
import threading
import time

from bench.workloads.faults import raise_error


class InFlight:
    """Counts tasks running at once and remembers the most seen together."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.now = 0
        self.peak = 0
        self.finished = 0

    def reset(self) -> None:
        with self._lock:
            self.now = self.peak = self.finished = 0

    def enter(self) -> None:
        with self._lock:
            self.now += 1
            self.peak = max(self.peak, self.now)

    def leave(self) -> None:
        with self._lock:
            self.now -= 1
            self.finished += 1


IN_FLIGHT = InFlight()


async def tracked_sleep_async(ms: int, index: int = 0) -> int:
    """Sleep ``ms`` milliseconds on the event loop while counted as in flight; return ``index``."""
    IN_FLIGHT.enter()
    try:
        await asyncio.sleep(ms / 1000)
    finally:
        IN_FLIGHT.leave()
    return index


def tracked_sleep(ms: int, index: int = 0) -> int:
    """Block ``ms`` milliseconds while counted as in flight; return ``index``."""
    IN_FLIGHT.enter()
    try:
        time.sleep(ms / 1000)
    finally:
        IN_FLIGHT.leave()
    return index


async def raise_error_async(size: int, index: int = 0) -> int:
    """The coroutine form of ``bench.workloads.faults.raise_error``."""
    await asyncio.sleep(0)
    return raise_error(size, index)
