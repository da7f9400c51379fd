"""What every concurrency model shares: the executor interface and its errors."""

from __future__ import annotations

import sys
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


#: -X options that change what a worker measures, and the variable that says the same to a
#: new interpreter: for a pool that starts its workers with a bare ``python`` (loky).
X_OPTION_VARIABLES = {
    "gil": "PYTHON_GIL",
    "cpu_count": "PYTHON_CPU_COUNT",
    "int_max_str_digits": "PYTHONINTMAXSTRDIGITS",
    "perf": "PYTHONPERFSUPPORT",
    "dev": "PYTHONDEVMODE",
    "utf8": "PYTHONUTF8",
}


def x_option_environment() -> dict[str, str]:
    """The environment that gives a new interpreter this one's -X options, where a
    variable exists for them: ``{"PYTHON_GIL": "1"}`` under ``-X gil=1``."""
    env = {}
    for option, value in sys._xoptions.items():
        if option in X_OPTION_VARIABLES:
            env[X_OPTION_VARIABLES[option]] = "1" if value is True else str(value)
    return env
