"""Made-up models for the tests: each the executor of a real model (of one isolation kind)
whose every task first leaves a mark, a file named by its pid and thread, in the folder
``MARKS_ENV`` names. A case that ran the dummy has marks; one that ran anything else has
none. The real model's module is named by each dummy module here."""

from __future__ import annotations

import importlib
import os
import threading
from collections.abc import Callable, Sequence
from contextlib import AbstractContextManager
from pathlib import Path
from typing import Any

from bench.models.base import hold_through_executor

MARKS_ENV = "BENCH_TEST_MARKS"


def marked(func: Callable[..., Any], *args: Any) -> Any:
    """Leave this worker's mark, then run the task."""
    folder = os.environ.get(MARKS_ENV)
    if folder:
        Path(folder, f"{os.getpid()}-{threading.get_ident()}").touch()
    return func(*args)


class Marking:
    """The real model's executor, each task marked."""

    def __init__(self, real: Any) -> None:
        self.real = real
        self.workers = real.workers

    def run(self, func: Callable[..., Any], arglist: Sequence[tuple[Any, ...]]) -> list[Any]:
        return list(self.real.run(marked, [(func, *args) for args in arglist]))

    def close(self) -> None:
        self.real.close()


def wrapping(
    real: str, start_method: str | None = None
) -> tuple[Callable[..., Marking], Callable[..., AbstractContextManager[None]]]:
    """``open_executor`` and ``hold_workers`` of a dummy that runs the model module
    ``real`` (with ``start_method`` when the dummy takes none itself)."""

    def module() -> Any:
        return importlib.import_module(real)

    def open_executor(workers: int, method: str | None = None, **options: Any) -> Marking:
        return Marking(module().open_executor(workers, method or start_method, **options))

    def hold_workers(
        workers: int, method: str | None, task: Callable[..., Any], args: tuple[Any, ...]
    ) -> AbstractContextManager[None]:
        if not hasattr(module(), "hold_workers"):  # a pool: its (marking) executor holds
            return hold_through_executor(open_executor, workers, method, task, args)
        held: AbstractContextManager[None] = module().hold_workers(
            workers, method or start_method, marked, (task, *args)
        )
        return held

    return open_executor, hold_workers
