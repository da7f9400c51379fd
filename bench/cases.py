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

from bench.models import MODELS, START_METHODS, Isolation, ModelSpec, Role


def binary_size_name(n: int) -> str:
    """``65536`` -> ``"64KiB"``: exact binary units, for case names and size labels."""
    for unit, scale in (("MiB", 1 << 20), ("KiB", 1 << 10)):
        if n >= scale and n % scale == 0:
            return f"{n // scale}{unit}"
    return f"{n}B"


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
    workers: tuple[int, ...] | None = None
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
    workers: tuple[int, ...]
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

    def cases(self, pick: Pick) -> Iterator[Case]:
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
                counts = (1,) if subject.baseline else (pick.workers or self.workers)
                for method, w, variant in product(methods, counts, self.variants):
                    if w > self.max_workers.get(name, w):
                        continue
                    if pick.variants is not None and variant not in pick.variants:
                        continue
                    yield from self._variants(size, subject, method, w, variant)

    def _variants(
        self, size: Size, subject: Subject, method: str | None, workers: int, variant: str
    ) -> Iterator[Case]:
        tasks = size.tasks or workers
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
    companions: Callable[[list[Case]], list[Case]] = field(default=list, compare=False, repr=False)
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

    def cases(self) -> list[Case]:
        seen: dict[str, Case] = {}
        for pick in self.picks:
            for case in self.families[pick.family_id].cases(pick):
                seen.setdefault(case.name, case)
        return self.companions(list(seen.values()))


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
    """The one case ``pick`` takes of ``family`` (a trend's benchmark, say)."""
    found = list(family.cases(pick))
    if len(found) != 1:
        raise ValueError(f"{pick} takes {len(found)} cases of {family.id!r}, not one")
    return found[0]
