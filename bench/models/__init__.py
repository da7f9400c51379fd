"""Concurrency models, one small module each, behind one interface.

``open_executor(model, workers, start_method)`` returns an ``Executor``: its
``run(func, arglist)`` runs one task per argument tuple on ``workers`` workers and
returns the results in order; ``close()`` releases what it holds. Models that
start their workers inside ``run`` (threads, processes) time their start-up with
the tasks; pools and the event loop are opened once and reused.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass

from bench.models.base import Executor, TaskError, WorkerDied

__all__ = ["MODELS", "Executor", "ModelSpec", "TaskError", "WorkerDied", "open_executor"]


@dataclass(frozen=True)
class ModelSpec:
    name: str
    module: str
    uses_processes: bool = False  # a start method applies
    starts_per_run: bool = False  # workers are started and joined inside every run()
    is_async: bool = False  # runs coroutine functions


MODELS: dict[str, ModelSpec] = {
    m.name: m
    for m in (
        # A plain loop: the baseline.
        ModelSpec("sequential", "bench.models.sequential"),
        # threading.Thread per worker, started and joined for every batch.
        ModelSpec("threads", "bench.models.threads", starts_per_run=True),
        # multiprocessing.Process per worker, started and joined for every batch.
        ModelSpec(
            "processes",
            "bench.models.processes",
            uses_processes=True,
            starts_per_run=True,
        ),
        # concurrent.futures.ThreadPoolExecutor, warm.
        ModelSpec("thread_pool", "bench.models.thread_pool"),
        # concurrent.futures.ProcessPoolExecutor, warm.
        ModelSpec("process_pool", "bench.models.process_pool", uses_processes=True),
        # asyncio tasks on one event loop, at most `workers` in flight.
        ModelSpec("asyncio", "bench.models.coroutines", is_async=True),
    )
}


def open_executor(
    model: str, workers: int, start_method: str | None = None, chunksize: int = 1
) -> Executor:
    """An executor of ``model``; ``chunksize`` (tasks per dispatch) is the process pool's."""
    spec = MODELS[model]
    if spec.uses_processes != (start_method is not None):
        raise ValueError(f"model {model!r} and start method {start_method!r} do not go together")
    if chunksize != 1 and model != "process_pool":
        raise ValueError(f"chunksize applies to the process pool, not to {model!r}")
    module = importlib.import_module(spec.module)
    options = {"chunksize": chunksize} if chunksize != 1 else {}
    return module.open_executor(workers, start_method, **options)  # type: ignore[no-any-return]
