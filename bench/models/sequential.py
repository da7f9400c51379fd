"""The baseline: every task in turn, in the calling thread."""

from __future__ import annotations

from typing import Any

from bench.models.base import ArgList, Task


class SequentialExecutor:
    def __init__(self, workers: int = 1) -> None:
        self.workers = workers

    def run(self, func: Task, arglist: ArgList) -> list[Any]:
        return [func(*args) for args in arglist]

    def close(self) -> None:
        pass


def open_executor(workers: int, start_method: str | None = None) -> SequentialExecutor:
    del start_method
    return SequentialExecutor(workers)
