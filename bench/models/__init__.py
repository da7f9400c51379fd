"""Concurrency models, one small module each, and the registry of their traits.

``open_executor(model, workers, start_method)`` returns an ``Executor``: its
``run(func, arglist)`` runs one task per argument tuple on ``workers`` workers and
returns the results in order; ``close()`` releases what it holds. Models that
start their workers inside ``run`` (threads, processes) time their start-up with
the tasks; pools and the event loop are opened once and reused.

Everything else (the matrix, the measures, the claims, the figures) asks the
registry for models *by trait*: a new model is one module plus one line in
``MODELS``, and it then appears in every family whose traits it fits.
"""

from __future__ import annotations

import importlib
import sys
from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum

from bench.models.base import Executor, TaskError, WorkerDied

__all__ = [
    "MODELS",
    "START_METHODS",
    "Executor",
    "Isolation",
    "ModelSpec",
    "TaskError",
    "WorkerDied",
    "model_names",
    "open_executor",
    "unavailable_models",
]

#: multiprocessing's start methods, in the order the suite lists them.
START_METHODS = ("fork", "spawn", "forkserver")


class Isolation(StrEnum):
    """What a worker shares with the others: the trait most choices follow from."""

    SHARED = "shared memory"  # one interpreter, one heap: threads, the event loop, the loop
    INTERPRETER = "separate interpreter"  # one process, one interpreter (and GIL) per worker
    PROCESS = "separate process"  # one process per worker on this machine
    REMOTE = "remote"  # workers of a cluster, reached over the network


@dataclass(frozen=True)
class ModelSpec:
    """One model's traits. The registry is the only place a model's name is written."""

    name: str
    module: str  # bench.models.<module>: open_executor(workers, start_method, **options)
    label: str  # what a reader sees in legends and tables
    colour: str  # a series colour of bench.report.figures.style (a 3:1 contrast on both themes)
    isolation: Isolation
    start_methods: tuple[str, ...] = ()  # the multiprocessing start methods it takes
    chunksize: bool = False  # accepts more than one task per dispatch
    baseline: bool = False  # the plain loop every speedup is taken against
    pool: bool = False  # opened once and reused (its start-up is measured apart)
    starts_per_run: bool = False  # workers are started and joined inside every run()
    is_async: bool = False  # runs coroutine functions
    #: Modules it imports that the project does not require, and the extra that has them.
    requires: tuple[str, ...] = ()
    extra: str = ""

    @property
    def uses_processes(self) -> bool:
        """A start method applies."""
        return bool(self.start_methods)

    @property
    def parallel(self) -> bool:
        """Runs tasks at once on several workers (the loop does not)."""
        return not self.baseline

    @property
    def own_gil(self) -> bool:
        """Each worker runs Python on a GIL of its own, whatever the build."""
        return self.isolation is not Isolation.SHARED

    @property
    def local(self) -> bool:
        """Its workers run on this machine."""
        return self.isolation is not Isolation.REMOTE

    @property
    def module_path(self) -> str:
        return f"bench.models.{self.module}"


# Colours are Okabe-Ito shades (see bench.report.figures.style); one per model.
GREY, BLUE, GREEN, VERMILLION, PURPLE, OCHRE = (
    "#7f7f7f", "#0072b2", "#009e73", "#d55e00", "#cc79a7", "#aa7700"
)  # fmt: skip
SKY, INDIGO, TEAL, BROWN = "#3b8fc4", "#7575b0", "#2a9d8f", "#a86c55"

MODELS: dict[str, ModelSpec] = {
    m.name: m
    for m in (
        ModelSpec("sequential", "sequential", "loop", GREY, Isolation.SHARED, baseline=True),
        ModelSpec("threads", "threads", "threads", BLUE, Isolation.SHARED, starts_per_run=True),
        ModelSpec(
            "processes", "processes", "processes", VERMILLION, Isolation.PROCESS,
            start_methods=START_METHODS, starts_per_run=True,
        ),
        ModelSpec("thread_pool", "thread_pool", "thread pool", GREEN, Isolation.SHARED, pool=True),
        ModelSpec(
            "process_pool", "process_pool", "process pool", PURPLE, Isolation.PROCESS,
            start_methods=START_METHODS, chunksize=True, pool=True,
        ),
        ModelSpec("asyncio", "coroutines", "asyncio", OCHRE, Isolation.SHARED, is_async=True),
        ModelSpec("loky", "loky_pool", "loky", SKY, Isolation.PROCESS, pool=True,
                  requires=("loky",), extra="loky"),
        ModelSpec("dask_local", "dask_local", "Dask LocalCluster", INDIGO, Isolation.REMOTE,
                  pool=True, requires=("distributed",), extra="dask"),
        ModelSpec("dask_cluster", "dask_cluster", "Dask cluster", BROWN, Isolation.REMOTE,
                  pool=True, requires=("distributed",), extra="dask"),
        ModelSpec(
            "subinterpreters", "subinterpreters", "subinterpreters", TEAL, Isolation.INTERPRETER,
            pool=True, extra="interpreters",
            requires=("backports.interpreters",) if (3, 12) <= sys.version_info < (3, 14) else (),
        ),
    )
}  # fmt: skip


def model_names(where: Callable[[ModelSpec], bool] = lambda m: True) -> tuple[str, ...]:
    """The registered models with a trait, in registry order: ``model_names(lambda m:
    m.pool)``."""
    return tuple(name for name, spec in MODELS.items() if where(spec))


def open_executor(
    model: str, workers: int, start_method: str | None = None, chunksize: int = 1
) -> Executor:
    """An executor of ``model``; ``chunksize`` (tasks per dispatch) only where it applies."""
    spec = MODELS[model]
    if spec.uses_processes != (start_method is not None):
        raise ValueError(f"model {model!r} and start method {start_method!r} do not go together")
    if start_method is not None and start_method not in spec.start_methods:
        raise ValueError(f"model {model!r} does not take the start method {start_method!r}")
    if chunksize != 1 and not spec.chunksize:
        raise ValueError(f"chunksize does not apply to {model!r}")
    module = importlib.import_module(spec.module_path)
    options = {"chunksize": chunksize} if chunksize != 1 else {}
    return module.open_executor(workers, start_method, **options)  # type: ignore[no-any-return]


def unavailable_models() -> dict[str, str]:
    """Models this interpreter cannot run, with the reason in words (run in the interpreter
    under test). A model module may define ``unavailable() -> str | None`` for checks
    past its imports (a build that lacks a feature)."""
    missing: dict[str, str] = {}
    for name, spec in MODELS.items():
        try:
            for required in spec.requires:
                importlib.import_module(required)
            module = importlib.import_module(spec.module_path)
            reason = module.unavailable() if hasattr(module, "unavailable") else None
        except ImportError as exc:
            how = f"pip install 'threads-or-processes[{spec.extra}]'" if spec.extra else ""
            # "backports" missing means the required "backports.interpreters": name that
            wanted = [r for r in spec.requires if exc.name and f"{r}.".startswith(f"{exc.name}.")]
            reason = f"needs {wanted[0] if wanted else exc.name or exc}" + (
                f" ({how})" if how else ""
            )
        except Exception as exc:  # a broken optional package must not stop the run
            reason = f"{type(exc).__name__}: {exc}"
        if reason:
            missing[name] = reason
    return missing
