"""Concurrency models, one small module each, and the registry of their traits.

``open_executor(model, workers, start_method)`` returns an ``Executor``: its
``run(func, arglist)`` runs one task per argument tuple on ``workers`` workers and
returns the results in order; ``close()`` releases what it holds. Models that
start their workers inside ``run`` (threads, processes) time their start-up with
the tasks; pools and the event loop are opened once and reused.

The matrix, the measures, the claims and the figures ask the registry for models by
trait, by capability (what a measure needs beyond ``run``) or by role (the one model a
claim names). A new model is one module plus one line in ``MODELS``; it then joins every
family whose traits and capabilities it has. Registry order means nothing: a claim asks
for the model of a role, and a role is held by one model at most.
"""

from __future__ import annotations

import importlib
import sys
from collections.abc import Callable
from contextlib import AbstractContextManager
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from bench.models.base import Executor, TaskError, WorkerDied, hold_through_executor

__all__ = [
    "MODELS",
    "START_METHODS",
    "Capability",
    "Executor",
    "Isolation",
    "ModelSpec",
    "Role",
    "TaskError",
    "WorkerDied",
    "hold_workers",
    "model_names",
    "model_of",
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


class Role(StrEnum):
    """The part a claim names a model by ("threads", "the process pool"): a role is held
    by one registered model at most, so no registry order can hand it to another."""

    LOOP = "the plain loop"  # every speedup is taken against it
    THREADS = "threads"  # started and joined for every batch
    THREAD_POOL = "thread pool"
    PROCESSES = "processes"  # started and joined for every batch
    PROCESS_POOL = "process pool"
    EVENT_LOOP = "event loop"
    SUBINTERPRETERS = "subinterpreters"


class Capability(StrEnum):
    """What a measure needs of a model beyond running batches of tasks; a model that has
    one says so in its registry line and defines what it names in its module."""

    #: A context in which ``workers`` live workers have each run ``task(*args)`` once and
    #: wait (the memory measures): the module's ``hold_workers(workers, start_method, task,
    #: args)``, or, for a pool whose workers outlive their tasks, its executor's.
    HOLDS_WORKERS = "holds live workers"
    #: Its executor's ``worker_pids()`` names its worker processes (a leak's footprint).
    LISTS_WORKERS = "lists its worker processes"
    #: Its executor's ``stream(func, items, buffersize)`` is ``Executor.map`` over one
    #: iterable, results in order as they come; ``buffersize`` (3.14+) keeps at most that
    #: many tasks in flight, None submits them all at once.
    STREAMS = "maps an iterable as it goes"


@dataclass(frozen=True)
class ModelSpec:
    """One model's traits, capabilities and role."""

    name: str
    module: str  # its module: open_executor(workers, start_method, **options)
    label: str  # what a reader sees in legends and tables
    colour: str  # a series colour of bench.report.figures.style (a 3:1 contrast on both themes)
    isolation: Isolation
    start_methods: tuple[str, ...] = ()  # the multiprocessing start methods it takes
    chunksize: bool = False  # accepts more than one task per dispatch
    baseline: bool = False  # the plain loop every speedup is taken against
    pool: bool = False  # opened once and reused (its start-up is measured apart)
    starts_per_run: bool = False  # workers are started and joined inside every run()
    is_async: bool = False  # runs coroutine functions
    role: Role | None = None  # the part claims name it by, if any
    capabilities: frozenset[Capability] = frozenset()
    #: Modules it imports that the project does not require, and the extra that has them.
    requires: tuple[str, ...] = ()
    extra: str = ""
    #: Its matplotlib marker: with the colour, no two models look alike in a chart.
    marker: str = "o"

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

    def has(self, capability: Capability) -> bool:
        return capability in self.capabilities


# Colours are Okabe-Ito shades (see bench.report.figures.style); one per model.
GREY, BLUE, GREEN, VERMILLION, PURPLE, OCHRE = (
    "#7f7f7f", "#0072b2", "#009e73", "#d55e00", "#cc79a7", "#aa7700"
)  # fmt: skip
SKY, INDIGO, OLIVE, BROWN = "#3b8fc4", "#7575b0", "#808000", "#a86c55"
HOLDS, LISTS, STREAMS = Capability.HOLDS_WORKERS, Capability.LISTS_WORKERS, Capability.STREAMS

MODELS: dict[str, ModelSpec] = {
    m.name: m
    for m in (
        ModelSpec("sequential", "bench.models.sequential", "loop", GREY, Isolation.SHARED,
                  baseline=True, role=Role.LOOP, marker="o"),
        ModelSpec("threads", "bench.models.threads", "threads", BLUE, Isolation.SHARED,
                  starts_per_run=True, role=Role.THREADS, capabilities=frozenset({HOLDS}),
                  marker="v"),
        ModelSpec(
            "processes", "bench.models.processes", "processes", VERMILLION, Isolation.PROCESS,
            start_methods=START_METHODS, starts_per_run=True, role=Role.PROCESSES,
            capabilities=frozenset({HOLDS}), marker="s",
        ),
        ModelSpec("thread_pool", "bench.models.thread_pool", "thread pool", GREEN,
                  Isolation.SHARED, pool=True, role=Role.THREAD_POOL,
                  capabilities=frozenset({STREAMS}), marker="^"),
        ModelSpec(
            "process_pool", "bench.models.process_pool", "process pool", PURPLE,
            Isolation.PROCESS, start_methods=START_METHODS, chunksize=True, pool=True,
            role=Role.PROCESS_POOL, capabilities=frozenset({HOLDS, LISTS, STREAMS}), marker="D",
        ),
        ModelSpec("asyncio", "bench.models.coroutines", "asyncio", OCHRE, Isolation.SHARED,
                  is_async=True, role=Role.EVENT_LOOP, marker="P"),
        ModelSpec("loky", "bench.models.loky_pool", "loky", SKY, Isolation.PROCESS, pool=True,
                  capabilities=frozenset({HOLDS}), requires=("loky",), extra="loky", marker="X"),
        ModelSpec("dask_local", "bench.models.dask_local", "Dask LocalCluster", INDIGO,
                  Isolation.REMOTE, pool=True, requires=("distributed",), extra="dask",
                  marker="h"),
        ModelSpec("dask_cluster", "bench.models.dask_cluster", "Dask cluster", BROWN,
                  Isolation.REMOTE, pool=True, requires=("distributed",), extra="dask",
                  marker="*"),
        ModelSpec(
            "subinterpreters", "bench.models.subinterpreters", "subinterpreters", OLIVE,
            Isolation.INTERPRETER, pool=True, role=Role.SUBINTERPRETERS,
            capabilities=frozenset({HOLDS}), extra="interpreters", marker="p",
            requires=("backports.interpreters",) if (3, 12) <= sys.version_info < (3, 14) else (),
        ),
    )
}  # fmt: skip


def model_names(where: Callable[[ModelSpec], bool] = lambda m: True) -> tuple[str, ...]:
    """The registered models with a trait: ``model_names(lambda m: m.pool)``. In registry
    order, which orders lists and legends and never decides a choice (see ``model_of``)."""
    return tuple(name for name, spec in MODELS.items() if where(spec))


def model_of(role: Role) -> str:
    """The one registered model that holds ``role``; LookupError where none does, or
    where two claim it (a registry line that must be mended, not guessed between)."""
    holders = [name for name, spec in MODELS.items() if spec.role is role]
    if len(holders) != 1:
        found = f"{len(holders)} models ({', '.join(sorted(holders))})" if holders else "none"
        raise LookupError(f"the role {role.value!r} must be held by one model, not {found}")
    return holders[0]


def _module(model: str) -> Any:
    return importlib.import_module(MODELS[model].module)


def open_executor(
    model: str, workers: int, start_method: str | None = None, chunksize: int = 1
) -> Executor:
    """An executor of ``model``; ``chunksize`` (tasks per dispatch) only where it applies."""
    spec = MODELS[model]
    _check_start_method(spec, start_method)
    if chunksize != 1 and not spec.chunksize:
        raise ValueError(f"chunksize does not apply to {model!r}")
    options = {"chunksize": chunksize} if chunksize != 1 else {}
    return _module(model).open_executor(workers, start_method, **options)  # type: ignore[no-any-return]


def hold_workers(
    model: str, workers: int, start_method: str | None, task: Callable[..., Any],
    args: tuple[Any, ...],
) -> AbstractContextManager[None]:  # fmt: skip
    """``workers`` live workers of ``model``, each having run ``task(*args)`` once, held
    until the context ends (``Capability.HOLDS_WORKERS``): by the model module's own
    ``hold_workers``, or, for a pool whose workers outlive their tasks, its executor."""
    spec = MODELS[model]
    if not spec.has(Capability.HOLDS_WORKERS):
        raise ValueError(f"the model {model!r} cannot hold live workers")
    _check_start_method(spec, start_method)
    module = _module(model)
    if hasattr(module, "hold_workers"):
        held: AbstractContextManager[None] = module.hold_workers(workers, start_method, task, args)
        return held
    if not spec.pool:
        raise ValueError(f"the model {model!r} starts workers per run: it needs hold_workers")
    return hold_through_executor(module.open_executor, workers, start_method, task, args)


def _check_start_method(spec: ModelSpec, start_method: str | None) -> None:
    if spec.uses_processes != (start_method is not None):
        raise ValueError(
            f"model {spec.name!r} and start method {start_method!r} do not go together"
        )
    if start_method is not None and start_method not in spec.start_methods:
        raise ValueError(f"model {spec.name!r} does not take the start method {start_method!r}")


def unavailable_models() -> dict[str, str]:
    """Models this interpreter cannot run, with the reason in words (run in the interpreter
    under test). A model module may define ``unavailable() -> str | None`` for checks
    past its imports (a build that lacks a feature)."""
    missing: dict[str, str] = {}
    for name, spec in MODELS.items():
        try:
            for required in spec.requires:
                importlib.import_module(required)
            module = _module(name)
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
