"""The benchmark matrix and its profiles, as data.

A *family* is a workload at some sizes crossed with the models that make sense
for it and a range of worker counts. A *profile* picks, per family, which sizes,
models and worker counts to run, and how many rounds and values to take. Pairs
that make no sense are absent from the families on purpose; ``EXCLUDED`` says
why, so ``python -m bench list`` can show it.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Iterator
from dataclasses import asdict, dataclass, field, replace

from bench.models import MODELS
from bench.workloads.catalog import WORKLOADS

START_METHODS = ("fork", "spawn", "forkserver")
CPU_WORKERS = (1, 2, 4, 8)  # past the 2-4 cores of CI machines on purpose: oversubscription
IO_WORKERS = (4, 16, 64)  # the sequential case is the one-worker reference
ALL_CPU_MODELS = ("sequential", "threads", "thread_pool", "processes", "process_pool")
ALL_IO_MODELS = (*ALL_CPU_MODELS, "asyncio")


def format_bytes(n: int) -> str:
    """``65536`` -> ``"64KiB"``: exact binary units, for names and labels."""
    for unit, scale in (("MiB", 1 << 20), ("KiB", 1 << 10)):
        if n >= scale and n % scale == 0:
            return f"{n // scale}{unit}"
    return f"{n}B"


@dataclass(frozen=True)
class Size:
    label: str  # what a reader sees: "100ms" is the nominal time of one task on CPython 3.11 here
    value: int  # the workload's size parameter
    tasks: int  # tasks per timed batch


@dataclass(frozen=True, order=True)
class Case:
    """One benchmark: a workload at one size, under one model with one worker count."""

    family: str
    workload: str
    size_label: str
    size: int
    tasks: int
    model: str
    workers: int
    start_method: str | None = None
    # "tasks": only the batch of tasks is timed, on a warm executor; "lifecycle": the
    # timer also covers starting and stopping the workers (always so for models that
    # start their workers per batch).
    timed: str = "tasks"
    calibrate: bool = False  # let pyperf pick the loop count (for sub-millisecond cases)
    # Which measurement runs the case (see bench.measures): "batch" times a batch of
    # tasks on an executor; "ipc", "memory", "race" and "fault" measure the pros and cons.
    measure: str = "batch"
    variant: str = ""  # a measurement's own variant ("racy", "locked", "segfault", ...)
    payload: int = 0  # bytes each task receives and returns (task granularity)
    chunksize: int = 1  # tasks per process-pool dispatch

    @property
    def name(self) -> str:
        model = f"{self.model}/{self.start_method}" if self.start_method else self.model
        parts = [f"{self.workload}[{self.size_label}]", model, f"w={self.workers}"]
        if self.variant:
            parts.append(self.variant)
        if self.payload:
            parts.append(f"payload={format_bytes(self.payload)}")
        if self.chunksize != 1:
            parts.append(f"chunksize={self.chunksize}")
        starts_per_run = self.model in MODELS and MODELS[self.model].starts_per_run
        if self.timed != "tasks" and not starts_per_run:
            parts.append(self.timed)
        return " ".join(parts)

    @property
    def group(self) -> str:
        """Cases compared with each other: measured close together in time in every round."""
        payload = f" payload={format_bytes(self.payload)}" if self.payload else ""
        return f"{self.family}:{self.workload}[{self.size_label}]{payload}"

    def to_json(self) -> str:
        return json.dumps(asdict(self), sort_keys=True)

    @classmethod
    def from_json(cls, text: str) -> Case:
        return cls(**json.loads(text))


@dataclass(frozen=True)
class Family:
    """A workload at some sizes, crossed with the models that make sense for it."""

    id: str  # unique key, used by profiles
    family: str  # the group a reader sees: article, cpu_python, cpu_c, io, pool_startup
    workload: str
    sizes: tuple[Size, ...]
    models: tuple[str, ...]
    workers: tuple[int, ...]
    # Some models make sense only up to a point (64 spawned processes per batch
    # measures process creation, not the workload): model -> largest worker count.
    max_workers: dict[str, int] = field(default_factory=dict)
    timed: str = "tasks"
    calibrate: bool = False

    def cases(self, pick: Pick) -> Iterator[Case]:
        for size in self.sizes:
            if pick.sizes is not None and size.label not in pick.sizes:
                continue
            for model in self.models:
                if pick.models is not None and model not in pick.models:
                    continue
                spec = MODELS[model]
                methods = pick.start_methods if spec.uses_processes else (None,)
                counts = (1,) if model == "sequential" else (pick.workers or self.workers)
                for method in methods:
                    for w in counts:
                        if w > self.max_workers.get(model, w):
                            continue
                        yield Case(
                            family=self.family,
                            workload=self.workload,
                            size_label=size.label,
                            size=size.value,
                            tasks=size.tasks or w,
                            model=model,
                            workers=w,
                            start_method=method,
                            timed="lifecycle" if spec.starts_per_run else self.timed,
                            calibrate=self.calibrate,
                        )


@dataclass(frozen=True)
class Pick:
    """A profile's choice within one family; ``None`` takes everything the family has."""

    family_id: str
    sizes: tuple[str, ...] | None = None
    models: tuple[str, ...] | None = None
    workers: tuple[int, ...] | None = None
    start_methods: tuple[str, ...] = START_METHODS


@dataclass(frozen=True)
class Profile:
    name: str
    description: str
    rounds: int  # shuffled rounds; ratios are taken within a round
    values: int  # pyperf values per round (one pyperf worker process per round)
    warmups: int
    timeout_s: float  # per case and round, start-up included
    picks: tuple[Pick, ...]
    min_time: float = 0.1  # pyperf's calibration target for sub-millisecond cases

    def cases(self) -> list[Case]:
        seen: dict[str, Case] = {}
        for pick in self.picks:
            for case in FAMILIES[pick.family_id].cases(pick):
                seen.setdefault(case.name, case)
        return list(seen.values())


def _io(workload: str, size: str, tasks: int) -> Family:
    return Family(
        workload,
        "io",
        workload,
        (Size(size, int(size.rstrip("msKiB")), tasks),),
        ALL_IO_MODELS if workload != "file" else ALL_CPU_MODELS,
        IO_WORKERS,
        max_workers={"processes": 4, "process_pool": 16},
    )


FAMILIES: dict[str, Family] = {
    f.id: f
    for f in (
        # The article's example: start, run and join 5 workers; the plain loop as reference.
        Family(
            "article",
            "article",
            "article",
            (Size("5 workers", 0, 5),),
            ("sequential", "threads", "processes"),
            (5,),
            calibrate=True,
        ),
        # Pure Python, ~1 ms and ~100 ms per task: count_primes(3000) and (90000) on 3.11 here.
        Family(
            "count_primes",
            "cpu_python",
            "count_primes",
            (Size("1ms", 3_000, 64), Size("100ms", 90_000, 8)),
            ALL_CPU_MODELS,
            CPU_WORKERS,
        ),
        # C code that releases the GIL: ~10 ms of hashing, ~20 ms of compression per task.
        Family("sha256", "cpu_c", "sha256", (Size("16MiB", 16, 8),), ALL_CPU_MODELS, CPU_WORKERS),
        Family("zlib", "cpu_c", "zlib", (Size("1MiB", 1, 8),), ALL_CPU_MODELS, CPU_WORKERS),
        # I/O: workers far past the core count, since waiting needs no core. asyncio has
        # no native file I/O, so the file workload leaves it out.
        _io("sleep", "10ms", 64),
        _io("tcp", "5ms", 64),
        _io("file", "256KiB", 32),
        # Pool start-up apart from throughput: create, one no-op per worker, shut down.
        Family(
            "pool_startup",
            "pool_startup",
            "noop",
            (Size("1 task/worker", 0, 0),),
            ("thread_pool", "process_pool"),
            CPU_WORKERS,
            timed="lifecycle",
            calibrate=True,
        ),
    )
}

#: Pairs left out of the matrix on purpose, and why.
EXCLUDED: dict[tuple[str, str], str] = {
    ("cpu_python", "asyncio"): "a coroutine never yields inside pure-Python work: asyncio would "
    "be the sequential loop with overhead",
    (
        "cpu_c",
        "asyncio",
    ): "asyncio runs C calls on its one thread; offloading them is a thread pool",
    ("file", "asyncio"): "asyncio has no native file I/O; its to_thread is the thread pool",
    ("article", "pools"): "the article's example starts and joins its own workers",
    ("io", "processes>4"): "16 or 64 processes started per batch measure process creation "
    "(the startup family does that), not the I/O; the warm process pool goes to 16",
}

_FAST = ("fork",)

PROFILES: dict[str, Profile] = {
    p.name: p
    for p in (
        Profile(
            "smoke",
            "Seconds: every model and start method once, tiny sizes. For tests.",
            rounds=1,
            values=1,
            warmups=0,
            timeout_s=60,
            min_time=0.02,
            picks=(
                Pick("article", models=("threads", "processes"), start_methods=_FAST),
                Pick("count_primes", sizes=("1ms",), workers=(2,)),
                Pick("sha256", models=("sequential", "threads"), workers=(2,)),
                Pick("sleep", models=("sequential", "threads", "asyncio"), workers=(4,)),
                Pick(
                    "tcp",
                    models=("threads", "asyncio", "process_pool"),
                    workers=(4,),
                    start_methods=_FAST,
                ),
                Pick("file", models=("thread_pool",), workers=(4,)),
                Pick("pool_startup", workers=(2,), start_methods=_FAST),
            ),
        ),
        Profile(
            "quick",
            "Minutes: the key comparisons, mostly at 2 workers.",
            rounds=3,
            values=2,
            warmups=1,
            timeout_s=120,
            picks=(
                Pick("article"),
                # the key speedups: every model at 2 workers, oversubscribed at 4
                Pick("count_primes", sizes=("100ms",), workers=(2,)),
                Pick(
                    "count_primes",
                    sizes=("100ms",),
                    workers=(4,),
                    models=("threads", "process_pool"),
                    start_methods=_FAST,
                ),
                Pick("count_primes", sizes=("1ms",), workers=(2,)),
                Pick(
                    "sha256",
                    workers=(2,),
                    models=("sequential", "threads", "thread_pool", "process_pool"),
                    start_methods=_FAST,
                ),
                Pick(
                    "sleep",
                    workers=(16,),
                    models=("sequential", "threads", "thread_pool", "asyncio", "process_pool"),
                    start_methods=_FAST,
                ),
                Pick(
                    "tcp",
                    workers=(16,),
                    models=("sequential", "threads", "thread_pool", "asyncio", "process_pool"),
                    start_methods=_FAST,
                ),
                Pick("file", workers=(4,), models=("sequential", "threads", "thread_pool")),
                Pick("pool_startup", workers=(2,)),
            ),
        ),
        Profile(
            "standard",
            "The nightly: every family at every worker count.",
            rounds=3,
            values=3,
            warmups=1,
            timeout_s=300,
            picks=tuple(Pick(family_id) for family_id in FAMILIES),
        ),
        Profile(
            "full",
            "Everything, more rounds and values: for a quiet machine and an hour.",
            rounds=7,
            values=5,
            warmups=1,
            timeout_s=600,
            picks=tuple(Pick(family_id) for family_id in FAMILIES),
        ),
    )
}


def select(cases: Iterable[Case], pattern: str | None) -> list[Case]:
    """The cases whose name matches ``pattern`` (a regular expression), all when ``None``."""
    if not pattern:
        return list(cases)
    regex = re.compile(pattern)
    return [c for c in cases if regex.search(c.name)]


def check_consistency() -> None:
    """Every family names a known workload and model (run by the tests)."""
    for f in FAMILIES.values():
        if f.workload not in WORKLOADS:
            raise ValueError(f"family {f.id!r}: unknown workload {f.workload!r}")
        for model in f.models:
            if model not in MODELS:
                raise ValueError(f"family {f.id!r}: unknown model {model!r}")
            if MODELS[model].is_async and WORKLOADS[f.workload].async_func is None:
                raise ValueError(f"family {f.id!r}: asyncio needs a coroutine version")


def with_sizes(case: Case, **changes: object) -> Case:
    return replace(case, **changes)  # type: ignore[arg-type]
