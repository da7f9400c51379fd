"""What every concurrency model shares: the executor interface and its errors."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, Protocol

Task = Callable[..., Any]
ArgList = Sequence[tuple[Any, ...]]


class Executor(Protocol):
    workers: int

    def run(self, func: Task, arglist: ArgList) -> list[Any]:
        """Run ``func(*args)`` for every ``args`` in ``arglist``; results in input order."""
        ...

    def close(self) -> None:
        """Release workers, pools and loops; idempotent."""
        ...


class TaskError(RuntimeError):
    """A task raised in a worker; the message starts with the worker's exception line."""

    @classmethod
    def from_traceback(cls, text: str) -> TaskError:
        lines = text.strip().splitlines()
        return cls(f"{lines[-1] if lines else 'unknown error'} (in a worker)\n{text}")


class WorkerDied(RuntimeError):
    """A worker process ended without delivering its results (a crash, ``os._exit``, a kill)."""


def deal(count: int, workers: int) -> list[list[int]]:
    """Deal task indices round-robin to at most ``workers`` workers, none left empty."""
    active = max(1, min(workers, count))
    return [list(range(k, count, active)) for k in range(active)]
