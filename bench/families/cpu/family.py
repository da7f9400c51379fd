"""CPU-bound work: pure-Python prime counting (holds the GIL) and C code that releases it
(hashing, compression), from one worker to twice the machine's cores against the plain
loop."""

from __future__ import annotations

from bench.cases import (
    FEW,
    SCALING,
    THE_CORES,
    Family,
    Pick,
    ResultsPage,
    Size,
    Trend,
    TrendPanel,
    names_of,
    names_without,
    one_case,
)
from bench.families.profiles import FORK, OPTIONAL_MODELS, local_models
from bench.models import Role, model_names, model_of
from bench.workloads.catalog import Workload

ORDER = 20

WORKLOADS = (
    # Count primes below a limit by trial division: pure Python, holds the GIL.
    Workload("count_primes", "bench.families.cpu.workload:count_primes", "limit"),
    # SHA-256 of a MiB-sized buffer: C code that releases the GIL. The buffer is built
    # once in the parent, before the clock, and shared (``workload.inputs``).
    Workload("sha256", "bench.families.cpu.workload:sha256_digest", "MiB",
             operands="bench.families.cpu.workload:inputs"),
    # zlib level-6 compression of a MiB-sized buffer: C code that releases the GIL.
    Workload("zlib", "bench.families.cpu.workload:zlib_compressed_size", "MiB",
             operands="bench.families.cpu.workload:inputs"),
)  # fmt: skip

#: Every synchronous model runs the CPU work (a remote cluster included).
CPU_MODELS = model_names(lambda m: not m.is_async)

# Pure Python, ~1 ms and ~100 ms per task: count_primes(3000) and (90000) on 3.11 here.
COUNT_PRIMES = Family(
    "count_primes", "cpu_python", "count_primes",
    (Size("1ms", 3_000, 64), Size("100ms", 90_000, 8)), CPU_MODELS, SCALING,
    needs_cores=True,
)  # fmt: skip
# C code that releases the GIL: ~10 ms of hashing, ~20 ms of compression per task.
SHA256 = Family("sha256", "cpu_c", "sha256", (Size("16MiB", 16, 8),), CPU_MODELS, SCALING,
                needs_cores=True)  # fmt: skip
ZLIB = Family("zlib", "cpu_c", "zlib", (Size("1MiB", 1, 8),), CPU_MODELS, SCALING,
              needs_cores=True)  # fmt: skip
FAMILIES = (COUNT_PRIMES, SHA256, ZLIB)
#: The families as a reader names them: each of their groups gets a scaling chart.
READER_FAMILIES = tuple(dict.fromkeys(f.family for f in FAMILIES))
#: The featured group: pure-Python CPU work, ~100 ms per task.
FEATURED_GROUP = next(COUNT_PRIMES.cases(Pick("count_primes", sizes=("100ms",)), cores=1)).group

#: The models quick measures along the machine's curve (the rest at the cores only).
QUICK_CURVE = ("sequential", "threads", "thread_pool", "process_pool")

# fmt: off
PICKS = {
    "smoke": (
        Pick("count_primes", sizes=("1ms",), workers=(2,)),
        Pick("sha256", models=("sequential", "threads"), workers=(2,)),
        # Subinterpreters (the picks with no models above take them too): one case each.
        Pick("count_primes", sizes=("1ms",), models=("subinterpreters",), workers=(2,)),
    ),
    "quick": (
        # The key speedups in a few points of the machine's curve (1, half the cores, the
        # cores, twice the cores): the loop, threads and the two pools; processes under
        # fork (start methods and clusters: standard). The other models at the cores.
        Pick("count_primes", sizes=("100ms",), workers=FEW, start_methods=FORK,
             models=QUICK_CURVE),
        Pick("count_primes", sizes=("100ms",), workers=(THE_CORES,), start_methods=FORK,
             models=tuple(m for m in local_models(COUNT_PRIMES) if m not in QUICK_CURVE)),
        Pick("sha256", workers=(THE_CORES,), start_methods=FORK,
             models=("sequential", "threads", "thread_pool", "process_pool")),
    ),
    "standard": (
        # The pure-Python 100 ms task carries the central claims, along the machine's
        # whole curve: the pool under every start method, since the verdict takes the
        # platform's default (fork on Linux before 3.14, forkserver from 3.14, spawn on
        # macOS and Windows); per-batch processes under fork (the start-up families
        # measure every method's start).
        Pick("count_primes", sizes=("100ms",),
             models=("sequential", "threads", "thread_pool", "process_pool")),
        Pick("count_primes", sizes=("100ms",), models=("processes",), start_methods=FORK),
        # The rest compares models; a start method matters for start-up.
        Pick("count_primes", sizes=("1ms",), start_methods=FORK,
             models=names_without(COUNT_PRIMES, OPTIONAL_MODELS)),
        Pick("sha256", start_methods=FORK, models=names_without(SHA256, OPTIONAL_MODELS)),
        # The optional models at the cores where the others have the whole curve: the
        # 100 ms task (subinterpreters against the process pool; short tasks are the
        # granularity family's) and C code (subinterpreters).
        Pick("count_primes", sizes=("100ms",), workers=(THE_CORES,),
             models=names_of(COUNT_PRIMES, *OPTIONAL_MODELS)),
        Pick("sha256", workers=(THE_CORES,), models=("subinterpreters",)),
    ),
}
# fmt: on
KEY_FAMILIES = {"quick": ("cpu_python",), "standard": ("cpu_python",)}

EXCLUDED = {
    ("cpu_python", "asyncio"): "a coroutine never yields inside pure-Python work: asyncio "
                               "would be the sequential loop with overhead",
    ("cpu_c", "asyncio"): "asyncio runs C calls on its one thread; offloading them is a "
                          "thread pool",
}  # fmt: skip

PAGE = ResultsPage(
    "results/cpu.md",
    families=("cpu_python", "cpu_c"),
    figures=("scaling-cpu-*", "gil-vs-free-threaded"),
    speedups=True,
    intro="Pure-Python prime counting and C code that releases the GIL (hashing, "
    "compression), from one worker to twice the machine's cores. Speedups are taken over "
    "the plain loop within each round, and judged against what the machine gave at that "
    "count (its parallel capacity, probed in the same round). Then what Python counts, and "
    "what a pool gains, under a CPU limit.",
    order=10,
)


def _panel(label: str, role: Role, workers: int, start_methods: tuple[str, ...] = ()) -> TrendPanel:
    pick = Pick("count_primes", sizes=("100ms",), models=(model_of(role),), workers=(workers,),
                start_methods=start_methods)  # fmt: skip
    return TrendPanel(label, one_case(COUNT_PRIMES, pick))


TRENDS = (
    Trend(
        "trend-count-primes",
        "Trend: count_primes[100ms], the loop and 2 workers",
        (
            _panel("sequential loop", Role.LOOP, 1),
            _panel("2 threads", Role.THREADS, 2),
            _panel("process pool (fork), 2 workers", Role.PROCESS_POOL, 2, FORK),
        ),
        order=10,
    ),
)
