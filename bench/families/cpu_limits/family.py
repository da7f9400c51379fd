"""CPU limits: the counts and default pool sizes a child sees with no limit, with its
affinity cut to one core, and with ``-X cpu_count=1``; 2 tasks on a 2-process pool timed."""

from __future__ import annotations

from bench.cases import Family, Pick, ResultsPage, Size
from bench.families.profiles import FORK
from bench.models import model_names
from bench.workloads.catalog import Workload

ORDER = 110

WORKLOADS = (
    # Counts, default pool sizes and a pool's speedup under a CPU limit, in a child.
    Workload("cpu_limits", None, "primes limit per task", measure="cpu_limits"),
)

#: Process pools that take a start method: what a container's CPU limit meets.
POOLS = model_names(lambda m: m.uses_processes and m.pool)

CPU_LIMITS = Family(
    "cpu_limits", "cpu_limits", "cpu_limits", (Size("100ms", 90_000, 2),), POOLS, (2,),
    measure="cpu_limits", variants=("unrestricted", "affinity_1", "x_cpu_count_1"), once=True,
)  # fmt: skip
FAMILIES = (CPU_LIMITS,)

PICKS = {
    "smoke": (Pick("cpu_limits", sizes=("100ms",), variants=("affinity_1",), start_methods=FORK),),
    "quick": (Pick("cpu_limits", variants=("unrestricted", "affinity_1"), start_methods=FORK),),
    "standard": (Pick("cpu_limits", start_methods=FORK),),
}

EXCLUDED = {
    ("cpu_limits", "spawn/forkserver"): "the counts and the pool's speedup under a CPU limit "
                                        "do not depend on how the workers started: fork only",
}  # fmt: skip

PAGE = ResultsPage("results/cpu.md", families=("cpu_limits",), tables=("cpu_limits",))
