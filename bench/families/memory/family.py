"""Memory per worker: the process tree's RSS, USS and PSS with 1 to 16 live workers, idle
and with a 50 MiB structure every worker reads (one bytes object, or many small objects
with and without ``gc.freeze()``: copy-on-write as it behaves)."""

from __future__ import annotations

from bench.cases import (
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
from bench.families.profiles import FORK, OPTIONAL_MODELS
from bench.models import Capability, Role, model_names, model_of
from bench.workloads.catalog import Workload

ORDER = 50
MEMORY_WORKERS = (1, 2, 4, 8, 16)

WORKLOADS = (
    # Workers started and held alive while the process tree's memory is read.
    Workload("live_workers", None, "MiB working set", measure="memory"),
    # Many small objects every forked worker reads: copy-on-write as it behaves.
    Workload("shared_objects", None, "MiB of small objects", measure="copy_on_write"),
)


#: Models whose workers a measure can hold alive (a thread pool's are its threads').
HOLDING = model_names(lambda m: m.has(Capability.HOLDS_WORKERS))

# Memory of W live workers, idle and with a 50 MiB structure each worker reads.
MEMORY = Family(
    "memory",
    "memory",
    "live_workers",
    (Size("idle", 0, 0),),
    HOLDING,
    MEMORY_WORKERS,
    measure="memory",
    once=True,
)
MEMORY_WORKING_SET = Family(
    "memory_working_set",
    "memory",
    "live_workers",
    (Size("50MiB", 50, 0),),
    model_names(lambda m: m.has(Capability.HOLDS_WORKERS) and m.starts_per_run),
    MEMORY_WORKERS,
    measure="memory",
    variants=("working_set",),
    once=True,
)
# Copy-on-write: 50 MiB as many small objects every forked worker reads, with and
# without gc.freeze() (the single bytes object is the memory_working_set family).
COPY_ON_WRITE = Family(
    "copy_on_write",
    "copy_on_write",
    "shared_objects",
    (Size("50MiB", 50, 0),),
    model_names(
        lambda m: m.has(Capability.HOLDS_WORKERS) and m.uses_processes and m.starts_per_run
    ),
    MEMORY_WORKERS,
    measure="copy_on_write",
    variants=("small_objects", "small_objects_frozen"),
    once=True,
)
FAMILIES = (MEMORY, MEMORY_WORKING_SET, COPY_ON_WRITE)

PICKS = {
    "smoke": (
        Pick("memory", workers=(1, 2), models=("threads", "processes"), start_methods=FORK),
        Pick("memory_working_set", workers=(1,), models=("processes",), start_methods=FORK),
        Pick("copy_on_write", workers=(1, 2), variants=("small_objects_frozen",),
             start_methods=FORK),
    ),
    "quick": (
        Pick("memory", workers=(1, 4), models=("threads", "processes"),
             start_methods=("fork", "spawn")),
        Pick("memory_working_set", workers=(1, 4), start_methods=("fork", "spawn")),
        Pick("copy_on_write", workers=(1, 4), start_methods=FORK),
        Pick("memory", workers=(1, 4), models=("subinterpreters",)),
    ),
    "standard": (
        Pick("memory", models=names_without(MEMORY, OPTIONAL_MODELS)),
        Pick("memory_working_set", workers=(1, 4, 16)),
        Pick("copy_on_write", workers=(1, 4, 16), start_methods=FORK),
        Pick("memory", workers=(1, 4), models=names_of(MEMORY, *OPTIONAL_MODELS)),
    ),
}  # fmt: skip

PAGE = ResultsPage(
    "results/memory.md",
    families=("memory", "memory_working_set", "copy_on_write"),
    figures=("memory",),
    tables=("memory", "copy_on_write"),
    intro="Memory of the whole process tree with more and more live workers, idle and with "
    "a large structure every worker reads: one bytes object, or many small objects "
    "with and without gc.freeze() (copy-on-write as it behaves).",
    order=40,
)


def _panel(label: str, role: Role, start_methods: tuple[str, ...] = ()) -> TrendPanel:
    pick = Pick("memory", models=(model_of(role),), workers=(2,), start_methods=start_methods)
    return TrendPanel(label, one_case(MEMORY, pick), "extra_pss_per_worker_bytes")


TRENDS = (
    Trend(
        "trend-memory",
        "Trend: memory per extra idle worker (PSS)",
        (
            _panel("process (fork), 2 workers", Role.PROCESSES, ("fork",)),
            _panel("thread, 2 workers", Role.THREADS),
        ),
        order=40,
    ),
)
