"""What a benchmark case is, and how a family and a profile make cases: the matrix's vocabulary.

A *family* is a workload at some sizes crossed with the subjects that make sense for it
and a range of worker counts. Its subjects are of one *kind*: concurrency models for most
families, IPC channels, HTTP clients or process APIs for a few (``SubjectKind``); the
kind says what the matrix needs to know of each (its start methods, whether it is the
loop). A *profile* picks, per family, which sizes, subjects and worker counts to run, and
how many rounds and values to take. The families themselves live in their folders
(``bench/families/<name>/``) and ``bench.families.catalogue`` gathers them.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Collection, Iterable, Iterator, Mapping
from dataclasses import asdict, dataclass, field
from itertools import product
from typing import Any

from bench.models import MODELS, START_METHODS, Isolation, ModelSpec, Role


def binary_size_name(n: int) -> str:
    """``65536`` -> ``"64KiB"``: exact binary units, for case names and size labels."""
    for unit, scale in (("MiB", 1 << 20), ("KiB", 1 << 10)):
        if n >= scale and n % scale == 0:
            return f"{n // scale}{unit}"
    return f"{n}B"


# --- worker counts stated relative to the machine -----------------------------------------


@dataclass(frozen=True)
class PerCores:
    """Worker counts stated relative to the usable cores, made numbers when a plan is made
    for a machine (``counts_for``): a profile says "every power of two up to the cores",
    not "1, 2 and 4", so that it measures a 16-core machine at 16 workers."""

    name: str  # what the manifest and ``bench list`` say of it
    counts: Callable[[int], tuple[int, ...]]

    def __repr__(self) -> str:
        return self.name


def powers_of_two_up_to(cores: int) -> tuple[int, ...]:
    return tuple(1 << k for k in range(max(1, cores).bit_length()) if 1 << k <= cores)


POWERS_OF_TWO = PerCores("every power of two up to the cores", powers_of_two_up_to)
HALF_THE_CORES = PerCores("half the cores", lambda cores: (max(1, cores // 2),))
THE_CORES = PerCores("the cores", lambda cores: (max(1, cores),))
#: More workers than cores: what oversubscription costs (or gains, for waits).
TWICE_THE_CORES = PerCores("twice the cores", lambda cores: (2 * max(1, cores),))
#: A family's scaling curve: 1, 2, 4 ... up to the cores, the cores, and oversubscribed.
SCALING = (POWERS_OF_TWO, THE_CORES, TWICE_THE_CORES)
#: The same curve in fewer points, for a profile with a time budget on any machine.
FEW = (1, HALF_THE_CORES, THE_CORES, TWICE_THE_CORES)

WorkerCount = int | PerCores


def counts_for(counts: Iterable[WorkerCount], cores: int) -> tuple[int, ...]:
    """``counts`` as numbers for a machine of ``cores`` usable cores, sorted, once each."""
    found: set[int] = set()
    for count in counts:
        found.update(count.counts(cores) if isinstance(count, PerCores) else (count,))
    return tuple(sorted(found))


# --- subjects: what a case runs under ------------------------------------------------------


@dataclass(frozen=True)
class Subject:
    """What the matrix needs to know of a case's subject (a model, a channel, a client...)."""

    name: str
    label: str  # what a reader calls it
    start_methods: tuple[str, ...] = ()  # the multiprocessing start methods it takes
    baseline: bool = False  # the plain loop: measured with one worker only
    starts_per_run: bool = False  # starts its workers in every run: start-up always timed
    in_processes: bool = False  # each value starts processes: no calibration run
    chunksize: bool = False  # takes more than one task per dispatch
    #: The role of the model whose workers are like this subject's (the worker probe
    #: reads GIL state and affinity there); None for a model, which is probed itself.
    peer: Role | None = None


def model_subject(spec: ModelSpec) -> Subject:
    return Subject(
        spec.name,
        spec.label,
        start_methods=spec.start_methods,
        baseline=spec.baseline,
        starts_per_run=spec.starts_per_run,
        # loky and a Dask cluster start processes too, with no start method to say so
        in_processes=spec.isolation in (Isolation.PROCESS, Isolation.REMOTE),
        chunksize=spec.chunksize,
    )


@dataclass(frozen=True)
class SubjectKind:
    """A namespace of subjects: its name and where its subjects are registered."""

    name: str  # "model", "IPC channel", ...
    registry: Callable[[], Mapping[str, Subject]] = field(compare=False)

    def subject(self, name: str) -> Subject:
        found = self.registry().get(name)
        if found is None:
            raise KeyError(f"no {self.name} named {name!r}")
        return found

    def names(self) -> tuple[str, ...]:
        return tuple(self.registry())


#: Concurrency models (``bench.models``): the subjects of most families. Read when asked,
#: so that a model registered later is found.
MODEL = SubjectKind("model", lambda: {name: model_subject(spec) for name, spec in MODELS.items()})


# --- cases -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Size:
    label: str  # what a reader sees: "100ms" is the nominal time of one task on CPython 3.11 here
    value: int  # the workload's size parameter
    tasks: int  # tasks per timed batch


@dataclass(frozen=True, order=True)
class Case:
    """One benchmark: a workload at one size, under one subject with one worker count."""

    family: str
    workload: str
    size_label: str
    size: int
    tasks: int
    #: The subject's name (a model, or a channel, client or process API: the family's kind).
    #: Results files store it under "model", the name every file since the first has used.
    model: str
    workers: int
    start_method: str | None = None
    # "tasks": only the batch of tasks is timed, on a warm executor; "lifecycle": the
    # timer also covers starting and stopping the workers (always so for models that
    # start their workers per batch).
    timed: str = "tasks"
    calibrate: bool = False  # let pyperf pick the loop count (for sub-millisecond cases)
    # Which measurement runs the case (the catalogue's measures): "batch" times a batch of
    # tasks on an executor; "ipc", "memory", "race", "fault"... measure the pros and cons.
    measure: str = "batch"
    variant: str = ""  # a measurement's own variant ("racy", "locked", "segfault", ...)
    payload: int = 0  # bytes each task receives and returns (task granularity)
    chunksize: int = 1  # tasks per process-pool dispatch
    once: bool = False  # measured in the first round only (deterministic measurements)

    @property
    def name(self) -> str:
        model = f"{self.model}/{self.start_method}" if self.start_method else self.model
        parts = [f"{self.workload}[{self.size_label}]", model, f"w={self.workers}"]
        if self.variant:
            parts.append(self.variant)
        if self.payload:
            parts.append(f"payload={binary_size_name(self.payload)}")
        if self.chunksize != 1:
            parts.append(f"chunksize={self.chunksize}")
        # Only models time anything but tasks; those that start per run always time it all.
        starts_per_run = self.model in MODELS and MODELS[self.model].starts_per_run
        if self.timed != "tasks" and not starts_per_run:
            parts.append(self.timed)
        return " ".join(parts)

    @property
    def group(self) -> str:
        """Cases compared with each other: measured close together in time in every round."""
        payload = f" payload={binary_size_name(self.payload)}" if self.payload else ""
        return f"{self.family}:{self.workload}[{self.size_label}]{payload}"

    def to_json(self) -> str:
        return json.dumps(asdict(self), sort_keys=True)

    @classmethod
    def from_json(cls, text: str) -> Case:
        return cls(**json.loads(text))


@dataclass(frozen=True)
class Pick:
    """A profile's choice within one family; ``None`` takes everything the family has."""

    family_id: str
    sizes: tuple[str, ...] | None = None
    models: tuple[str, ...] | None = None
    workers: tuple[WorkerCount, ...] | None = None
    start_methods: tuple[str, ...] = START_METHODS
    variants: tuple[str, ...] | None = None


@dataclass(frozen=True)
class Family:
    """A workload at some sizes, crossed with the subjects that make sense for it."""

    id: str  # unique key, used by profiles
    family: str  # the group a reader sees: article, cpu_python, cpu_c, io, pool_startup, ...
    workload: str
    sizes: tuple[Size, ...]
    models: tuple[str, ...]  # the subjects' names, of ``kind``
    workers: tuple[WorkerCount, ...]
    # Some subjects make sense only up to a point (64 spawned processes per batch
    # measures process creation, not the workload): subject -> largest worker count.
    max_workers: dict[str, int] = field(default_factory=dict)
    timed: tuple[str, ...] = ("tasks",)  # for pools: "lifecycle", "first_result" too
    calibrate: bool = False
    measure: str = "batch"
    variants: tuple[str, ...] = ("",)
    payload: int = 0
    chunksizes: tuple[str, ...] = ("1",)  # "auto": tasks / (4 x workers), process pool only
    once: bool = False  # deterministic: measured in the first round only
    kind: SubjectKind = MODEL
    #: Its speedups need cores at once: the runner probes the machine's parallel capacity
    #: right before each of its groups, and the report drops the rounds the host withheld
    #: cores from (``bench.report.capacity``).
    needs_cores: bool = False

    def counts(self, pick: Pick, cores: int) -> tuple[int, ...]:
        """The worker counts ``pick`` measures on a machine of ``cores`` usable cores."""
        return counts_for(pick.workers or self.workers, cores)

    def cases(self, pick: Pick, cores: int, most_workers: int = 0) -> Iterator[Case]:
        """The cases of ``pick`` for ``cores`` usable cores. ``most_workers``: the most
        workers this family measures in the plan, which a batch of a family that needs
        cores must cover twice (see ``batch_tasks``)."""
        for size in self.sizes:
            if pick.sizes is not None and size.label not in pick.sizes:
                continue
            for name in self.models:
                if pick.models is not None and name not in pick.models:
                    continue
                subject = self.kind.subject(name)
                methods: tuple[str | None, ...] = (None,)
                if subject.start_methods:  # those of the pick it takes: maybe none
                    methods = tuple(m for m in pick.start_methods if m in subject.start_methods)
                counts = (1,) if subject.baseline else self.counts(pick, cores)
                for method, w, variant in product(methods, counts, self.variants):
                    if w > self.max_workers.get(name, w):
                        continue
                    if pick.variants is not None and variant not in pick.variants:
                        continue
                    tasks = self.batch_tasks(size, w, most_workers)
                    yield from self._variants(size, subject, method, w, variant, tasks)

    def batch_tasks(self, size: Size, workers: int, most_workers: int) -> int:
        """Tasks in one timed batch: the size's own, or one per worker where it has none.
        A family that needs cores holds at least twice the most workers it measures, the
        loop's batch the same work: 8 tasks could never show a speedup past 8."""
        if not size.tasks:
            return workers
        return max(size.tasks, 2 * most_workers) if self.needs_cores else size.tasks

    def _variants(
        self, size: Size, subject: Subject, method: str | None, workers: int, variant: str,
        tasks: int,
    ) -> Iterator[Case]:  # fmt: skip
        # A process takes milliseconds to start: one loop per value is enough, and
        # pyperf's calibration run would cost another start. Threads and IPC round
        # trips take microseconds and need pyperf to pick the loop count.
        calibrate = self.calibrate and not subject.in_processes
        timings = ("lifecycle",) if subject.starts_per_run else self.timed
        chunks = self.chunksizes if subject.chunksize else ("1",)
        # "auto" may come out as 1 for few tasks: then it is the same case, once
        sizes = dict.fromkeys(
            max(1, tasks // (4 * workers)) if chunk == "auto" else int(chunk) for chunk in chunks
        )
        for timed, chunksize in product(timings, sizes):
            yield Case(
                family=self.family,
                workload=self.workload,
                size_label=size.label,
                size=size.value,
                tasks=tasks,
                model=subject.name,
                workers=workers,
                start_method=method,
                timed=timed,
                calibrate=calibrate,
                measure=self.measure,
                variant=variant,
                payload=self.payload,
                chunksize=chunksize,
                once=self.once,
            )


@dataclass(frozen=True)
class Profile:
    name: str
    description: str
    rounds: int  # shuffled rounds; ratios are taken within a round
    values: int  # pyperf values per round (one process per case and round)
    warmups: int
    timeout_s: float  # per case and round, start-up included
    picks: tuple[Pick, ...]
    min_time: float = 0.1  # pyperf's calibration target for sub-millisecond cases
    #: With ``other_rounds``: the families that get every round; the rest get fewer.
    key_families: tuple[str, ...] = ()
    other_rounds: int | None = None
    #: The families its picks name, by id, and the cases they need beside them (the
    #: capacity probes): given by the catalogue that gathers them.
    families: Mapping[str, Family] = field(default_factory=dict, compare=False, repr=False)
    #: The cases that go with the profile's for a machine of so many cores (the probes).
    companions: Callable[[list[Case], int], list[Case]] = field(
        default=lambda cases, cores: cases, compare=False, repr=False
    )
    #: Families always given every round (the capacity probe goes with any round).
    every_round: tuple[str, ...] = ()

    def round_limit(self, family: str) -> int | None:
        """The last round of ``family`` (None: every round)."""
        if self.other_rounds is None or family in (*self.key_families, *self.every_round):
            return None
        return self.other_rounds

    def warmups_for(self, case: Case) -> int:
        """pyperf's warm-up values for ``case``: only where pyperf picks the loop count
        (microsecond cases). Elsewhere the case warms up itself before the clock: the
        probe starts every worker, and a batch of tasks runs one task a worker first."""
        return self.warmups if case.calibrate else 0

    def cases(self, cores: int | None = None) -> list[Case]:
        """The profile's cases planned for ``cores`` usable cores (None: this machine's)."""
        cores = usable_cores() if cores is None else cores
        most: dict[str, int] = {}
        for pick in self.picks:
            counts = self.families[pick.family_id].counts(pick, cores)
            most[pick.family_id] = max(most.get(pick.family_id, 1), *counts)
        seen: dict[str, Case] = {}
        for pick in self.picks:
            family = self.families[pick.family_id]
            for case in family.cases(pick, cores, most[pick.family_id]):
                seen.setdefault(case.name, case)
        return self.companions(list(seen.values()), cores)

    def worker_counts(self, cores: int) -> dict[str, list[int]]:
        """Per family id, the worker counts the profile measures on ``cores`` cores."""
        found: dict[str, set[int]] = {}
        for pick in self.picks:
            counts = self.families[pick.family_id].counts(pick, cores)
            found.setdefault(pick.family_id, set()).update(counts)
        return {family: sorted(counts) for family, counts in sorted(found.items())}

    def plan(self, cores: int, why: str) -> dict[str, Any]:
        """What the profile's cases were planned for, as the manifest records it: the
        cores and ``why`` those, the counts stated relative to them and what they came to
        per family, and the tasks a batch holds where a family needs cores."""
        relative = {p for pick in self.picks for p in (pick.workers or
                    self.families[pick.family_id].workers) if isinstance(p, PerCores)}  # fmt: skip
        needing = {f.family for f in self.families.values() if f.needs_cores}
        batches = {case.group: case.tasks for case in self.cases(cores) if case.family in needing}
        return {
            "cores": cores,
            "cores_from": why,
            "relative_counts": {r.name: list(r.counts(cores)) for r in sorted(relative, key=repr)},
            "worker_counts": self.worker_counts(cores),
            "batch_tasks": dict(sorted(batches.items())),
        }


def usable_cores() -> int:
    """The logical cores this process may run on: its affinity where the OS has one
    (a container's or ``taskset``'s limit), else what ``os.process_cpu_count`` (3.13+) or
    ``os.cpu_count`` says."""
    import os

    if hasattr(os, "sched_getaffinity"):
        return len(os.sched_getaffinity(0)) or 1
    count = getattr(os, "process_cpu_count", os.cpu_count)()
    return int(count or 1)


def select(cases: Iterable[Case], pattern: str | None) -> list[Case]:
    """The cases whose name matches ``pattern`` (a regular expression), all when ``None``."""
    if not pattern:
        return list(cases)
    regex = re.compile(pattern)
    return [c for c in cases if regex.search(c.name)]


def names_of(family: Family, *wanted: str) -> tuple[str, ...]:
    """The subjects of ``family`` among ``wanted`` (by their traits, the family has them or
    not), in the family's order."""
    return tuple(m for m in family.models if m in wanted)


def names_without(family: Family, *unwanted: Collection[str] | str) -> tuple[str, ...]:
    """The subjects of ``family`` but ``unwanted`` (names, or collections of names)."""
    left = {n for u in unwanted for n in ((u,) if isinstance(u, str) else u)}
    return tuple(m for m in family.models if m not in left)


# --- what a family folder declares beside its cases ----------------------------------------


@dataclass(frozen=True)
class ResultsPage:
    """A folder's part of a results page of the site: its families' timings, its figures
    (exact names, or prefixes ending in ``*``) and tables. The part with the ``intro``
    leads the page and places it among the others (``order``)."""

    path: str  # the page, as the site's catalogue names it ("results/cpu.md")
    families: tuple[str, ...] = ()
    figures: tuple[str, ...] = ()
    tables: tuple[str, ...] = ()
    speedups: bool = False  # a table of speedups over the loop
    intro: str = ""
    order: int = 0


@dataclass(frozen=True)
class TrendPanel:
    """One benchmark of a trend chart: a case of the family, and the metric drawn."""

    label: str
    case: Case
    metric: str = "time"

    @property
    def benchmark(self) -> str:
        """The benchmark's name in the results (a measure's metric follows its case's name)."""
        return self.case.name if self.metric == "time" else f"{self.case.name} {self.metric}"


@dataclass(frozen=True)
class Trend:
    """A chart of a few benchmarks over the nights (``bench.history.trends``)."""

    name: str
    title: str
    panels: tuple[TrendPanel, ...]
    order: int = 0


def one_case(family: Family, pick: Pick) -> Case:
    """The one case ``pick`` takes of ``family`` (a trend's benchmark, say): its worker
    count is a number, the same on every machine, so that the name follows the nights."""
    if any(isinstance(w, PerCores) for w in pick.workers or family.workers):
        raise ValueError(f"{pick} states its workers relative to the cores: not one case")
    counts = [w for w in pick.workers or family.workers if isinstance(w, int)]
    found = list(family.cases(pick, cores=max(counts, default=1)))
    if len(found) != 1:
        raise ValueError(f"{pick} takes {len(found)} cases of {family.id!r}, not one")
    return found[0]
