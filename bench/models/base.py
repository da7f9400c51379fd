"""What every concurrency model shares: the executor interface, its errors, and the ways
of holding workers alive that several models use."""

from __future__ import annotations

import os
import sys
import tempfile
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Protocol

Task = Callable[..., Any]
ArgList = Sequence[tuple[Any, ...]]

#: Longest wait for held workers to say they are ready: 16 spawned children each
#: unpickling 50 MiB on 2 busy cores take seconds.
READY_TIMEOUT_S = 120.0
#: A released worker exits at once; past this it is killed.
JOIN_TIMEOUT_S = 10.0
#: How long each task of ``hold_through_executor`` holds its worker, so that ``W`` tasks
#: spread over ``W`` workers.
HOLD_MS = 50
#: The run's scratch folder, which the runner and its watchdog delete however the run ends:
#: the folders a case makes go inside it, so a case killed at its timeout leaves none.
SCRATCH_DIR_ENV = "BENCH_SCRATCH_DIR"


def scratch_folder(prefix: str) -> Path:
    """A new folder for a model's or a measure's own files: inside the run's scratch folder
    (:data:`SCRATCH_DIR_ENV`) under the runner, else in the temporary folder."""
    parent = os.environ.get(SCRATCH_DIR_ENV)
    inside = parent if parent and Path(parent).is_dir() else None
    return Path(tempfile.mkdtemp(prefix=prefix, dir=inside))


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
    """A worker process ended without delivering its results (a crash, ``os._exit``, a kill);
    ``exitcode`` is its exit status where the model knows it (negative: a signal)."""

    def __init__(self, message: str, exitcode: int | None = None) -> None:
        super().__init__(message)
        self.exitcode = exitcode


class WorkerFailed(RuntimeError):
    """A held worker died or raised before it was ready."""


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


def acquire_all(ready: Any, count: int, check: Callable[[], None]) -> None:
    """Acquire the semaphore ``ready`` ``count`` times; ``check`` raises if a worker failed
    meanwhile."""
    deadline = time.monotonic() + READY_TIMEOUT_S
    got = 0
    while got < count:
        if ready.acquire(timeout=0.1):
            got += 1
            continue
        check()
        if time.monotonic() > deadline:
            raise TimeoutError(
                f"{count - got} of {count} workers not ready after {READY_TIMEOUT_S} s"
            )


def raise_if_done(futures: list[Any]) -> None:
    """Raise if a held task ended before its release: its worker failed."""
    for future in futures:
        if future.done():
            future.result()  # raises the worker's error, or BrokenProcessPool
            raise WorkerFailed("a worker's task ended before it was released")


KEPT: list[tuple[Any, ...]] = []  # what ``keep_and_wait`` holds, in whichever worker runs it


def keep_and_wait(task: Task, args: tuple[Any, ...], hold_ms: int, index: int) -> Any:
    """A held task of a pool: run ``task(*args)``, keep ``args`` in this worker (a pool's
    worker outlives the task) and hold the worker long enough that the ``W`` tasks spread
    over ``W`` workers."""
    del index
    result = task(*args)
    KEPT.append(args)
    time.sleep(hold_ms / 1000)
    return result


@contextmanager
def hold_through_executor(
    open_executor: Callable[[int, str | None], Executor],
    workers: int,
    start_method: str | None,
    task: Task,
    args: tuple[Any, ...],
) -> Iterator[None]:
    """``Capability.HOLDS_WORKERS`` for a pool whose workers outlive their tasks: its own
    executor, every worker started by a task that keeps ``args`` there until it closes."""
    executor = open_executor(workers, start_method)
    try:
        executor.run(keep_and_wait, [(task, args, HOLD_MS, i) for i in range(workers)])
        yield
    finally:
        executor.close()  # the workers, and what they kept, go with it
