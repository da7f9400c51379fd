"""The benchmark matrix and its profiles, as data.

A *family* is a workload at some sizes crossed with the models that make sense
for it and a range of worker counts. A *profile* picks, per family, which sizes,
models and worker counts to run, and how many rounds and values to take. Pairs
that make no sense are absent from the families on purpose; ``EXCLUDED`` says
why, so ``python -m bench list`` can show it.

Over 400 lines on purpose: most of it is the matrix itself, a table kept as data.
"""

from __future__ import annotations

import json
import re
from collections.abc import Collection, Iterable, Iterator
from dataclasses import asdict, dataclass, field
from itertools import product

from bench.models import MODELS, START_METHODS, Isolation, model_names
from bench.workloads.catalog import WORKLOADS
from bench.workloads.http_clients import CLIENTS as HTTP_CLIENTS
from bench.workloads.http_clients import MAIN_CLIENTS as HTTP_MAIN_CLIENTS

CPU_WORKERS = (1, 2, 4, 8)  # past the 2-4 cores of CI machines on purpose: oversubscription
IO_WORKERS = (4, 16, 64)  # the sequential case is the one-worker reference
#: Models by trait: every synchronous model on this machine runs the CPU work, and the
#: event loop joins them for I/O; a remote cluster runs CPU work only.
ALL_CPU_MODELS = model_names(lambda m: not m.is_async)
ALL_IO_MODELS = model_names(lambda m: m.local)
#: Workers started and joined for every batch: the article's example and start-up.
PER_BATCH_MODELS = model_names(lambda m: m.starts_per_run)
#: Pools, opened once and reused, and the loop they are measured against.
POOL_MODELS = model_names(lambda m: m.pool)
#: Workers on this machine whose memory and faults are their own to measure (a thread
#: pool's are its threads').
WORKER_MODELS = model_names(
    lambda m: m.local and m.parallel and not m.is_async
    and not (m.pool and m.isolation is Isolation.SHARED)
)  # fmt: skip
#: Models with a start method: where pickling, the main module and fork matter.
START_METHOD_MODELS = model_names(lambda m: m.uses_processes)
#: NumPy: threads and the process pool against the loop (extension modules such as
#: NumPy do not load in subinterpreters; a cluster's per-task cost is the granularity
#: family's); only a process pool with a start method reads arrays from shared memory.
ARRAY_SHM_MODELS = model_names(lambda m: m.uses_processes and m.pool)
ARRAY_MODELS = model_names(
    lambda m: m.baseline
    or (m.isolation is Isolation.SHARED and not m.is_async)
    or (m.uses_processes and m.pool)
)  # fmt: skip


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
    once: bool = False  # measured in the first round only (deterministic measurements)

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


#: IPC channels (the "models" of the ipc family): whether the peer is a process.
CHANNELS: dict[str, bool] = {
    "queue.Queue": False,
    "mp.Queue": True,
    "mp.Pipe": True,
    "shared_memory": True,
    "memcpy": False,  # no peer: the memory-copy ceiling, measured in the same run
    "shared_memory_inplace": True,  # the peer reads the block where it lies: no copy
    "mp.Manager": True,  # two queues held by a Manager process: every call goes through it
    "interpreters.Queue": False,  # a subinterpreter of this process echoes (PEP 734 queues)
}

#: Process APIs that are no model of their own, tried only by the pitfalls families
#: (what breaks where): the process's "models" there are these and the process models.
PITFALL_APIS = ("mp.Pool",)


#: The parallel-capacity probe (``bench.measures.capacity``): its family, its "model"
#: (processes of the platform's default start method: no start method is chosen) and
#: the families whose speedups the capacity limits, before each group of which it runs.
CAPACITY_FAMILY = "capacity"
CAPACITY_MODEL = "spinning_processes"
CAPACITY_LIMITED = ("cpu_python", "cpu_c", "numpy")
#: ~40 ms of spinning per process on 3.11 here: a probe takes a few hundred ms in all.
CAPACITY_SPIN = Size("40ms", 1_500_000, 2)
ROUND_START = "round start"  # the variant of the probe that opens every round
_BEFORE = "before "  # the variant of a probe right before a group: "before <group>"


def uses_processes(model: str) -> bool:
    # HTTP clients choose no start method (the process client takes the platform's default)
    if model == CAPACITY_MODEL or model in HTTP_CLIENTS:
        return False
    if model in PITFALL_APIS:
        return True
    return CHANNELS[model] if model in CHANNELS else MODELS[model].uses_processes


def start_methods(model: str, wanted: tuple[str, ...]) -> tuple[str | None, ...]:
    """The start methods of ``wanted`` that ``model`` takes; ``(None,)`` where none applies."""
    if not uses_processes(model):
        return (None,)
    takes = MODELS[model].start_methods if model in MODELS else START_METHODS
    return tuple(m for m in wanted if m in takes)


def is_baseline(model: str) -> bool:
    return model in MODELS and MODELS[model].baseline


def capacity_probe(before: str | None = None) -> Case:
    """The capacity probe that opens every round, or the one run right before ``before``
    (a group of CPU work)."""
    return Case(
        family=CAPACITY_FAMILY,
        workload="capacity",
        size_label=CAPACITY_SPIN.label,
        size=CAPACITY_SPIN.value,
        tasks=CAPACITY_SPIN.tasks,
        model=CAPACITY_MODEL,
        workers=CAPACITY_SPIN.tasks,
        measure="capacity",
        variant=f"{_BEFORE}{before}" if before else ROUND_START,
    )


def probe_target(case: Case) -> str | None:
    """Where a capacity probe runs: ``""`` at the start of the round, a group's name
    right before that group; ``None`` for a case that is no probe."""
    if case.family != CAPACITY_FAMILY:
        return None
    return case.variant.removeprefix(_BEFORE) if case.variant.startswith(_BEFORE) else ""


def with_capacity_probes(cases: Iterable[Case]) -> list[Case]:
    """``cases`` and the capacity probes they need (none are added to no work): one at
    the start of every round and one right before every group of CPU work."""
    given = list(cases)
    work = [c for c in given if c.family != CAPACITY_FAMILY]
    if not work:
        return given
    limited = sorted({c.group for c in work if c.family in CAPACITY_LIMITED})
    have = {c.name for c in given}
    wanted = [capacity_probe(), *(capacity_probe(group) for group in limited)]
    return given + [p for p in wanted if p.name not in have]


@dataclass(frozen=True)
class Family:
    """A workload at some sizes, crossed with the models that make sense for it."""

    id: str  # unique key, used by profiles
    family: str  # the group a reader sees: article, cpu_python, cpu_c, io, pool_startup, ...
    workload: str
    sizes: tuple[Size, ...]
    models: tuple[str, ...]
    workers: tuple[int, ...]
    # Some models make sense only up to a point (64 spawned processes per batch
    # measures process creation, not the workload): model -> largest worker count.
    max_workers: dict[str, int] = field(default_factory=dict)
    timed: tuple[str, ...] = ("tasks",)  # for pools: "lifecycle", "first_result" too
    calibrate: bool = False
    measure: str = "batch"
    variants: tuple[str, ...] = ("",)
    payload: int = 0
    chunksizes: tuple[str, ...] = ("1",)  # "auto": tasks / (4 x workers), process pool only
    once: bool = False  # deterministic: measured in the first round only

    def cases(self, pick: Pick) -> Iterator[Case]:
        for size in self.sizes:
            if pick.sizes is not None and size.label not in pick.sizes:
                continue
            for model in self.models:
                if pick.models is not None and model not in pick.models:
                    continue
                methods = start_methods(model, pick.start_methods)
                counts = (1,) if is_baseline(model) else (pick.workers or self.workers)
                for method, w, variant in product(methods, counts, self.variants):
                    if w > self.max_workers.get(model, w):
                        continue
                    if pick.variants is not None and variant not in pick.variants:
                        continue
                    yield from self._variants(size, model, method, w, variant)

    def _variants(
        self, size: Size, model: str, method: str | None, workers: int, variant: str
    ) -> Iterator[Case]:
        tasks = size.tasks or workers
        starts_per_run = model in MODELS and MODELS[model].starts_per_run
        # A process takes milliseconds to start: one loop per value is enough, and
        # pyperf's calibration run would cost another start. Threads and IPC round
        # trips take microseconds and need pyperf to pick the loop count.
        # (loky and a Dask cluster start processes too, with no start method to say so)
        in_processes = uses_processes(model) or (
            model in MODELS and MODELS[model].isolation in (Isolation.PROCESS, Isolation.REMOTE)
        )
        calibrate = self.calibrate and (self.measure == "ipc" or not in_processes)
        timings = ("lifecycle",) if starts_per_run else self.timed
        chunks = self.chunksizes if model in MODELS and MODELS[model].chunksize else ("1",)
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
                model=model,
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
class Pick:
    """A profile's choice within one family; ``None`` takes everything the family has."""

    family_id: str
    sizes: tuple[str, ...] | None = None
    models: tuple[str, ...] | None = None
    workers: tuple[int, ...] | None = None
    start_methods: tuple[str, ...] = START_METHODS
    variants: tuple[str, ...] | None = None


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

    def round_limit(self, family: str) -> int | None:
        """The last round of ``family`` (None: every round). Capacity probes go with every
        round, since the cases they sit beside may be in any."""
        if self.other_rounds is None or family in (*self.key_families, "capacity"):
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
            for case in FAMILIES[pick.family_id].cases(pick):
                seen.setdefault(case.name, case)
        return with_capacity_probes(seen.values())


# The matrix is a table: kept as one, not reflowed by the formatter.
# fmt: off
IPC_PAYLOADS = (64, 4 << 10, 256 << 10, 1 << 20, 16 << 20)
MEMORY_WORKERS = (1, 2, 4, 8, 16)
#: Task lengths for granularity: spin iterations for ~10 us .. ~100 ms on 3.11 here.
GRANULARITY_TASKS = (("10us", 400), ("100us", 4_000), ("1ms", 40_000), ("10ms", 400_000),
                     ("100ms", 4_000_000))
GRANULARITY_PAYLOADS = (0, 64 << 10, 1 << 20)
#: The mistakes of bench.measures.pitfalls tried with every API (Process included);
#: "generator_result" needs a pool (a Process has no result), so has a family of its own.
PITFALL_VARIANTS = ("main_script", "lambda", "closure", "main_repl", "no_guard",
                    "fork_threads_warned", "fork_threads", "lock_argument")


def _granularity(payload: int) -> Family:
    """Batches of ~50 ms of work (at least 2 tasks), at most 64 MiB of payload each way."""
    sizes = []
    for label, iterations in GRANULARITY_TASKS:
        tasks = max(2, min(1000, round(2_000_000 / iterations)))
        if payload:
            tasks = max(2, min(tasks, (64 << 20) // payload))
        sizes.append(Size(label, iterations, tasks))
    return Family(
        f"granularity_{format_bytes(payload) if payload else 'none'}", "granularity", "spin",
        tuple(sizes), model_names(lambda m: m.baseline or m.pool), (2,), payload=payload,
        chunksizes=("1", "auto"),
    )


def _io(workload: str, size: str, value: int, tasks: int) -> Family:
    """I/O: workers far past the core count, since waiting needs no core."""
    models = model_names(lambda m: m.local and (bool(WORKLOADS[workload].async_func)
                                                or not m.is_async))
    # 16 or 64 processes started per batch measure process creation, not the I/O.
    most = {m: 4 if MODELS[m].starts_per_run else 16 for m in models
            if MODELS[m].isolation is not Isolation.SHARED}
    return Family(workload, "io", workload, (Size(size, value, tasks),), models, IO_WORKERS,
                  max_workers=most)


FAMILIES: dict[str, Family] = {f.id: f for f in (
    # The article's example: start, run and join 5 workers; the plain loop as reference.
    # (No loop as baseline: five greetings in a loop take a microsecond; a speedup over
    # that would say nothing. Threads and processes are compared with each other.)
    Family("article", "article", "article", (Size("5 workers", 0, 5),),
           PER_BATCH_MODELS, (5,), calibrate=True),
    # Pure Python, ~1 ms and ~100 ms per task: count_primes(3000) and (90000) on 3.11 here.
    Family("count_primes", "cpu_python", "count_primes",
           (Size("1ms", 3_000, 64), Size("100ms", 90_000, 8)), ALL_CPU_MODELS, CPU_WORKERS),
    # C code that releases the GIL: ~10 ms of hashing, ~20 ms of compression per task.
    Family("sha256", "cpu_c", "sha256", (Size("16MiB", 16, 8),), ALL_CPU_MODELS, CPU_WORKERS),
    Family("zlib", "cpu_c", "zlib", (Size("1MiB", 1, 8),), ALL_CPU_MODELS, CPU_WORKERS),
    # I/O. asyncio has no native file I/O, so the file workload leaves it out.
    _io("sleep", "5ms", 5, 64),
    _io("tcp", "5ms", 5, 64),
    _io("file", "256KiB", 256, 32),
    # Start-up: start and join N threads or processes (each runs one no-op).
    Family("startup", "startup", "noop", (Size("1 task/worker", 0, 0),),
           PER_BATCH_MODELS, (1, 5, 20), calibrate=True),
    # Pool start-up apart from throughput: create, one no-op per worker, shut down;
    # and the time from creating a pool to its first result.
    Family("pool_startup", "pool_startup", "noop", (Size("1 task/worker", 0, 0),),
           POOL_MODELS, CPU_WORKERS, timed=("lifecycle",), calibrate=True),
    Family("pool_first_result", "pool_startup", "noop", (Size("first result", 0, 1),),
           POOL_MODELS, (1, 2, 4), timed=("first_result",), calibrate=True),
    # Communication: a payload to a peer and back, per channel; memcpy is the ceiling.
    Family("ipc", "ipc", "echo", tuple(Size(format_bytes(n), n, 0) for n in IPC_PAYLOADS),
           tuple(CHANNELS), (1,), calibrate=True, measure="ipc"),
    # Memory of W live workers, idle and with a 50 MiB structure each worker reads.
    Family("memory", "memory", "live_workers", (Size("idle", 0, 0),),
           WORKER_MODELS, MEMORY_WORKERS, measure="memory",
           once=True),
    Family("memory_working_set", "memory", "live_workers", (Size("50MiB", 50, 0),),
           PER_BATCH_MODELS, MEMORY_WORKERS, measure="memory",
           variants=("working_set",), once=True),
    # Races: N threads, one shared counter, unsynchronised and locked.
    Family("race", "race", "counter", (Size("200k", 200_000, 0),),
           model_names(lambda m: m.starts_per_run and m.isolation is Isolation.SHARED), (2, 4, 8),
           measure="race", variants=("racy", "locked")),
    # Fault isolation: one task of 8 dies hard, or each of 8 tasks leaks 16 MiB.
    Family("fault", "fault", "fault", (Size("8 tasks", 16, 8),),
           model_names(lambda m: m.local and m.parallel and not m.is_async), (2,), measure="fault",
           variants=("os_exit", "segfault", "leak"), once=True),
    # Task granularity: task length x payload; where does the process pool win?
    *(_granularity(payload) for payload in GRANULARITY_PAYLOADS),
    # What breaks where: classic mistakes tried in a child interpreter per API and start
    # method; the size is how long the child waits for a result before calling it a hang.
    Family("pitfalls", "pitfalls", "pitfall", (Size("wait 5s", 5, 1),),
           (*START_METHOD_MODELS, *PITFALL_APIS), (1,), measure="pitfalls",
           variants=PITFALL_VARIANTS, once=True),
    Family("pitfalls_result", "pitfalls", "pitfall", (Size("wait 5s", 5, 1),),
           (*model_names(lambda m: m.uses_processes and m.pool), *PITFALL_APIS), (1,),
           measure="pitfalls",
           variants=("generator_result",), once=True),
    # CPU limits: the counts and default pool sizes a child sees with no limit, with its
    # affinity cut to one core, and with -X cpu_count=1; 2 tasks on 2 processes timed.
    Family("cpu_limits", "cpu_limits", "cpu_limits", (Size("100ms", 90_000, 2),),
           model_names(lambda m: m.uses_processes and m.pool), (2,), measure="cpu_limits",
           variants=("unrestricted", "affinity_1", "x_cpu_count_1"), once=True),
    # Copy-on-write: 50 MiB as many small objects every forked worker reads, with and
    # without gc.freeze() (the single bytes object is the memory_working_set family).
    Family("copy_on_write", "copy_on_write", "shared_objects", (Size("50MiB", 50, 0),),
           model_names(lambda m: m.uses_processes and m.starts_per_run), MEMORY_WORKERS,
           measure="copy_on_write",
           variants=("small_objects", "small_objects_frozen"), once=True),
    # -- models of issue 12 (subinterpreters, loky, Dask): families of their own --
    # What breaks where: a fork after a subinterpreter was created (a fatal error in the
    # child on 3.13); "n/a" with the reason where this interpreter has no subinterpreters.
    Family("pitfalls_subinterpreters", "pitfalls", "pitfall", (Size("wait 5s", 5, 1),),
           (*START_METHOD_MODELS, *PITFALL_APIS), (1,), measure="pitfalls",
           variants=("fork_after_subinterpreters",), once=True),
    # -- HTTP at scale (issue 14) --
    # HTTP at scale: a client library (the "models": bench.workloads.http_clients) sends
    # requests to an aiohttp server in its own process; workers = requests in flight, size
    # = the server's service latency, payload = the bytes of each answer.
    *(Family(f"http_{format_bytes(payload)}", "http", "http",
             (Size("10ms", 10, 0), Size("100ms", 100, 0)), tuple(HTTP_CLIENTS),
             (16, 64, 256, 1024, 4096), measure="http", payload=payload)
      for payload in (1 << 10, 100 << 10)),
    # -- NumPy (issue 14) --
    # NumPy on arrays the parent made, 8 tasks of ~20-50 ms each, BLAS on one thread
    # (bench.workloads.arrays); a Python loop over a small array for contrast. The process
    # pool gets each task's array pickled or (variant shared_memory) a block's slice.
    *(Family(f"numpy_{name}{'_shm' if shm else ''}", "numpy", f"numpy_{name}", (size,),
             ARRAY_SHM_MODELS if shm else ARRAY_MODELS,
             (2, 4), variants=("shared_memory",) if shm else ("",))
      for name, size in (("matmul", Size("768x768", 768, 8)), ("ufuncs", Size("16MiB", 16, 8)),
                         ("sort", Size("4MiB", 4, 8)), ("python_loop", Size("2MiB", 2048, 8)))
      for shm in (False, True)),
)}

#: Pairs left out of the matrix on purpose, and why.
EXCLUDED: dict[tuple[str, str], str] = {
    ("cpu_python", "asyncio"): "a coroutine never yields inside pure-Python work: asyncio "
                               "would be the sequential loop with overhead",
    ("cpu_c", "asyncio"): "asyncio runs C calls on its one thread; offloading them is a "
                          "thread pool",
    ("file", "asyncio"): "asyncio has no native file I/O; its to_thread is the thread pool",
    ("article", "pools"): "the article's example starts and joins its own workers",
    ("io", "processes>4"): "16 or 64 processes started per batch measure process creation "
                           "(the startup family does that), not the I/O; the warm process "
                           "pool goes to 16",
    ("granularity", "spawn/forkserver"): "a warm pool's steady state does not depend on how "
                                         "its workers started: fork only (start-up is "
                                         "measured apart)",
    ("pitfalls", "processes/generator_result"): "a Process has no return value: only pools "
                                                "pickle a result",
    ("cpu_limits", "spawn/forkserver"): "the counts and the pool's speedup under a CPU limit "
                                        "do not depend on how the workers started: fork only",
}

_FAST = ("fork",)


#: Profiles name the models of issue 12 apart, to keep their cost in check: the old ones
#: keep every worker count, the new ones are measured where their claims need them.
_NEW = ("subinterpreters", "loky", "dask_local", "dask_cluster")


def _without(family_id: str, *models: str) -> tuple[str, ...]:
    return tuple(m for m in FAMILIES[family_id].models if m not in models)


def _only(family_id: str, *models: str) -> tuple[str, ...]:
    """``models`` that the family has (by their traits)."""
    return tuple(m for m in FAMILIES[family_id].models if m in models)


def _local(family_id: str) -> tuple[str, ...]:
    """The family's models on this machine: smoke keeps a cluster (seconds to start) to
    its one count_primes case."""
    return tuple(m for m in FAMILIES[family_id].models if MODELS[m].local)


PROFILES: dict[str, Profile] = {p.name: p for p in (
    Profile(
        "smoke", "Seconds: every model and every measurement once, tiny sizes. For tests.",
        rounds=1, values=1, warmups=0, timeout_s=60, min_time=0.02,
        picks=(
            Pick("article", models=("threads", "processes"), start_methods=_FAST),
            Pick("count_primes", sizes=("1ms",), workers=(2,)),
            Pick("sha256", models=("sequential", "threads"), workers=(2,)),
            Pick("sleep", models=("sequential", "threads", "asyncio"), workers=(4,)),
            Pick("tcp", models=("threads", "asyncio", "process_pool"), workers=(4,),
                 start_methods=_FAST),
            Pick("file", models=("thread_pool",), workers=(4,)),
            Pick("startup", workers=(1,), start_methods=_FAST),
            Pick("pool_startup", workers=(2,), start_methods=_FAST, models=_local("pool_startup")),
            Pick("pool_first_result", workers=(1,), start_methods=_FAST,
                 models=_local("pool_first_result")),
            Pick("ipc", sizes=("64B",), start_methods=_FAST),
            Pick("memory", workers=(1, 2), models=("threads", "processes"), start_methods=_FAST),
            Pick("memory_working_set", workers=(1,), models=("processes",), start_methods=_FAST),
            Pick("race", workers=(2,)),
            Pick("fault", models=("threads", "processes", "process_pool"), start_methods=_FAST),
            Pick("granularity_none", sizes=("10us",), start_methods=_FAST,
                 models=_local("granularity_none")),
            Pick("pitfalls", variants=("lambda",), start_methods=_FAST),
            Pick("pitfalls_result", models=("mp.Pool",), start_methods=_FAST),
            Pick("cpu_limits", sizes=("100ms",), variants=("affinity_1",), start_methods=_FAST),
            Pick("copy_on_write", workers=(1, 2), variants=("small_objects_frozen",),
                 start_methods=_FAST),
            # -- models of issue 12 --
            # Subinterpreters (the picks with no models above take them too): one case each.
            Pick("count_primes", sizes=("1ms",), models=("subinterpreters",), workers=(2,)),
            Pick("pool_first_result", models=("subinterpreters",), workers=(1,)),
            Pick("ipc", sizes=("64B",), models=("interpreters.Queue",)),
            Pick("fault", models=("subinterpreters",), variants=("os_exit",)),
            # -- HTTP at scale (issue 14) --
            Pick("http_1KiB", sizes=("10ms",), models=("requests_threads", "aiohttp"),
                 workers=(16,)),
            # -- NumPy (issue 14) --
            Pick("numpy_ufuncs_shm", workers=(2,), start_methods=_FAST),
        ),
    ),
    Profile(
        "quick", "Minutes: the key comparisons, mostly at 2 workers, and every measurement.",
        # The key speedups in 4 rounds of one value (the rounds carry the interval), the
        # rest in 3.
        rounds=4, values=1, warmups=1, timeout_s=120, min_time=0.05,
        key_families=("cpu_python",), other_rounds=3,
        picks=(
            Pick("article"),
            # the key speedups: every model on this machine at 2 workers, processes under
            # fork (start methods and clusters: standard)
            Pick("count_primes", sizes=("100ms",), workers=(2,), start_methods=_FAST,
                 models=_local("count_primes")),
            Pick("sha256", workers=(2,), start_methods=_FAST,
                 models=("sequential", "threads", "thread_pool", "process_pool")),
            # waiting: the thread pool against asyncio (threads per batch: standard)
            Pick("sleep", workers=(16,), models=("sequential", "thread_pool", "asyncio")),
            Pick("tcp", workers=(16,), start_methods=_FAST,
                 models=("sequential", "thread_pool", "asyncio", "process_pool")),
            Pick("file", workers=(4,), models=("sequential", "threads", "thread_pool")),
            Pick("startup", workers=(1,)),  # 5 workers: the article family
            Pick("pool_startup", workers=(2,), models=_local("pool_startup"),
                 start_methods=("fork", "spawn")),
            Pick("pool_first_result", workers=(2,), models=_local("pool_first_result"),
                 start_methods=("fork", "spawn")),
            # Every channel with 1 MiB; the hand-over of a small message where a peer answers.
            Pick("ipc", sizes=("1MiB",), start_methods=_FAST,
                 models=tuple(c for c in CHANNELS if c not in ("mp.Manager",
                                                               "interpreters.Queue"))),
            Pick("ipc", sizes=("64B",), start_methods=_FAST,
                 models=("queue.Queue", "mp.Queue", "mp.Pipe")),
            Pick("memory", workers=(1, 4), models=("threads", "processes"),
                 start_methods=("fork", "spawn")),
            Pick("memory_working_set", workers=(1, 4), start_methods=("fork", "spawn")),
            Pick("race", workers=(2,)),
            Pick("fault", models=("threads", "processes", "process_pool"), start_methods=_FAST),
            Pick("granularity_none", sizes=("10us", "1ms"), start_methods=_FAST,
                 models=_without("granularity_none", "loky", "dask_local", "dask_cluster")),
            # A cluster's cost per task, where it is not seconds a batch (10 us tasks: standard)
            Pick("granularity_none", sizes=("1ms",), models=("dask_local",)),
            Pick("granularity_1MiB", sizes=("10us", "1ms"), start_methods=_FAST,
                 models=_without("granularity_1MiB", *_NEW)),
            # What breaks, for the process pool under fork and spawn (every API and start
            # method, with the hangs of multiprocessing.Pool, in standard).
            Pick("pitfalls", models=("process_pool",), start_methods=("fork", "spawn"),
                 variants=("lambda", "main_repl", "no_guard", "fork_threads_warned",
                           "lock_argument")),
            Pick("pitfalls_result", models=("process_pool",), start_methods=("fork", "spawn")),
            Pick("cpu_limits", variants=("unrestricted", "affinity_1"), start_methods=_FAST),
            Pick("copy_on_write", workers=(1, 4), start_methods=_FAST),
            # -- models of issue 12 --
            Pick("fault", models=("subinterpreters", "loky"), variants=("os_exit",)),
            Pick("memory", workers=(1, 4), models=("subinterpreters",)),
            # -- HTTP at scale (issue 14) --
            # A threaded and an asyncio client, few and many in flight (thousands: standard).
            Pick("http_1KiB", sizes=("10ms",), workers=(16, 64, 256),
                 models=("requests_threads", "aiohttp")),
            # -- NumPy (issue 14) --
            # The copy claim on ufuncs, the thread-pool claim on ufuncs and matmul.
            Pick("numpy_ufuncs", workers=(2,), start_methods=_FAST,
                 models=("sequential", "thread_pool", "process_pool")),
            Pick("numpy_ufuncs_shm", workers=(2,), start_methods=_FAST),
            Pick("numpy_matmul", workers=(2,), models=("sequential", "thread_pool")),
        ),
    ),
    Profile(
        "standard", "The nightly (15 minutes an interpreter on 2 cores): the key CPU, I/O "
                    "and start-up comparisons in 5 rounds, the rest in 3; every worker count, "
                    "start methods where they matter.",
        # One value a round: the rounds, not the values within one, carry the interval.
        rounds=5, values=1, warmups=1, timeout_s=300, min_time=0.05,
        key_families=("article", "cpu_python", "io", "startup"),
        other_rounds=3,
        picks=(
            Pick("article"),
            # The pure-Python 100 ms task carries the central claims: the pool under every
            # start method, since the verdict takes the platform's default (fork on Linux
            # before 3.14, forkserver from 3.14, spawn on macOS and Windows); per-batch
            # processes under fork (the start-up families measure every method's start).
            Pick("count_primes", sizes=("100ms",), workers=(1, 2, 4),
                 models=("sequential", "threads", "thread_pool", "process_pool")),
            Pick("count_primes", sizes=("100ms",), models=("processes",), workers=(1, 2, 4),
                 start_methods=("fork",)),
            # The rest compares models; a start method matters for start-up (below).
            Pick("count_primes", sizes=("1ms",), start_methods=_FAST,
                 models=_without("count_primes", *_NEW)),
            Pick("sha256", start_methods=_FAST, models=_without("sha256", *_NEW)),
            # Waiting does not depend on how a process started: I/O under fork only.
            *(Pick(f, models=_without(f, *_NEW), start_methods=_FAST)
              for f in ("sleep", "tcp", "file")),
            Pick("memory", models=_without("memory", *_NEW)),
            Pick("startup"),
            Pick("pool_first_result", models=_without("pool_first_result", *_NEW)),
            Pick("pool_startup", workers=(1, 2, 4), models=_without("pool_startup", *_NEW)),
            Pick("memory_working_set", workers=(1, 4, 16)),
            Pick("ipc", start_methods=_FAST, models=_without("ipc", "interpreters.Queue")),
            Pick("race", workers=(2, 4)),
            Pick("fault", start_methods=("fork", "spawn")),
            # Task lengths a decade apart but 10 ms (the crossover sits between 10 us and
            # 1 ms), with no payload and with 1 MiB (64 KiB falls between): the full
            # profile has every cell. Every pool but the cluster of processes without a
            # payload; with 1 MiB, the old pools at every length, subinterpreters and
            # LocalCluster (which must move it) at 1 and 100 ms.
            Pick("granularity_none", start_methods=_FAST, sizes=("10us", "100us", "1ms", "100ms"),
                 models=_without("granularity_none", "dask_cluster")),
            Pick("granularity_1MiB", start_methods=_FAST, sizes=("10us", "100us", "1ms", "100ms"),
                 models=_without("granularity_1MiB", *_NEW)),
            Pick("granularity_1MiB", sizes=("1ms", "100ms"),
                 models=("subinterpreters", "dask_local")),
            Pick("pitfalls"),
            Pick("pitfalls_result"),
            Pick("cpu_limits", start_methods=_FAST),
            Pick("copy_on_write", workers=(1, 4, 16), start_methods=_FAST),
            # -- models of issue 12 --
            # The new models at 2 workers where the old ones have every count: the 100 ms
            # task (subinterpreters against the process pool; short tasks are the
            # granularity family's), C code (subinterpreters), start-up of every pool and
            # cluster, memory at 1 and 4, a subinterpreter's queue small and large.
            Pick("count_primes", sizes=("100ms",), workers=(2,),
                 models=_only("count_primes", *_NEW)),
            Pick("ipc", sizes=("64B", "1MiB"), models=("interpreters.Queue",)),
            Pick("sha256", workers=(2,), models=("subinterpreters",)),
            Pick("pool_startup", workers=(2,), models=_only("pool_startup", *_NEW)),
            Pick("pool_first_result", workers=(2,), models=_only("pool_first_result", *_NEW)),
            Pick("memory", workers=(1, 4), models=_only("memory", *_NEW)),
            Pick("pitfalls_subinterpreters", start_methods=("fork", "spawn")),
            # -- HTTP at scale (issue 14) --
            # The main clients up to 256 in flight; past that (the claim's thousands) the
            # threaded requests client and aiohttp only: httpx's async pool takes its whole
            # deadline there, and the full profile has every cell. 100 KiB answers and the
            # process client at 256.
            Pick("http_1KiB", sizes=("10ms",), workers=(16, 64, 256),
                 models=tuple(c for c in HTTP_MAIN_CLIENTS if c != "httpx_async")),
            Pick("http_1KiB", sizes=("10ms",), models=("httpx_async",), workers=(16, 64)),
            Pick("http_1KiB", sizes=("10ms",), models=("requests_threads", "aiohttp"),
                 workers=(1024, 4096)),
            Pick("http_1KiB", sizes=("10ms",), models=("requests_processes",), workers=(256,)),
            Pick("http_100KiB", sizes=("10ms",), models=("requests_threads", "aiohttp"),
                 workers=(256,)),
            # -- NumPy (issue 14) --
            # Every array workload at 2 workers against the loop; threads started per
            # batch are the thread pool's twins here (quick and full have them).
            *(Pick(f"numpy_{name}", workers=(2,), start_methods=_FAST,
                   models=("sequential", "thread_pool", "process_pool"))
              for name in ("matmul", "ufuncs", "sort", "python_loop")),
            *(Pick(f"numpy_{name}_shm", workers=(2,), start_methods=_FAST)
              for name in ("matmul", "ufuncs", "sort")),
        ),
    ),
    Profile(
        "full", "Everything, more rounds and values: for a quiet machine and an hour.",
        rounds=7, values=5, warmups=1, timeout_s=600,
        picks=tuple(Pick(f) for f in FAMILIES),
    ),
)}
# fmt: on


def select(cases: Iterable[Case], pattern: str | None) -> list[Case]:
    """The cases whose name matches ``pattern`` (a regular expression), all when ``None``."""
    if not pattern:
        return list(cases)
    regex = re.compile(pattern)
    return [c for c in cases if regex.search(c.name)]


def check_consistency(measures: Collection[str]) -> None:
    """Every family names a known workload, model (or channel) and measurement (run by tests).

    ``measures`` names the measurements ``bench.measures`` runs: the matrix sits below
    them, so it is told them rather than importing them.
    """
    if capacity_probe().measure not in measures:
        raise ValueError("the capacity probe: unknown measurement 'capacity'")
    for f in FAMILIES.values():
        workload = WORKLOADS.get(f.workload)
        if workload is None:
            raise ValueError(f"family {f.id!r}: unknown workload {f.workload!r}")
        if f.measure != workload.measure:
            raise ValueError(f"family {f.id!r}: {f.workload!r} is measured by {workload.measure!r}")
        if f.measure != "batch" and f.measure not in measures:
            raise ValueError(f"family {f.id!r}: unknown measurement {f.measure!r}")
        for model in f.models:
            if f.measure == "ipc":
                if model not in CHANNELS:
                    raise ValueError(f"family {f.id!r}: unknown channel {model!r}")
            elif (f.measure, model in PITFALL_APIS or model in HTTP_CLIENTS) in (
                ("pitfalls", True), ("http", True)
            ):  # fmt: skip
                continue  # a process API of the pitfalls, an HTTP client: no model of their own
            elif model not in MODELS:
                raise ValueError(f"family {f.id!r}: unknown model {model!r}")
            elif MODELS[model].is_async and workload.async_func is None:
                raise ValueError(f"family {f.id!r}: asyncio needs a coroutine version")
