"""Task granularity: task length crossed with payload; where does a pool beat the loop?"""

from __future__ import annotations

from bench.cases import Family, Pick, ResultsPage, Size, binary_size_name, names_without
from bench.families.profiles import FORK, OPTIONAL_MODELS, local_models
from bench.models import model_names
from bench.workloads.catalog import Workload

ORDER = 90
#: Task lengths: spin iterations for ~10 us .. ~100 ms on 3.11 here.
GRANULARITY_TASKS = (("10us", 400), ("100us", 4_000), ("1ms", 40_000), ("10ms", 400_000),
                     ("100ms", 4_000_000))  # fmt: skip
GRANULARITY_PAYLOADS = (0, 64 << 10, 1 << 20)

WORKLOADS = (
    # Busy pure-Python loop of a chosen length, passing a payload in and out.
    Workload("spin", "bench.families.granularity.workload:spin", "iterations"),
)


def _granularity(payload: int) -> Family:
    """Batches of ~50 ms of work (at least 2 tasks), at most 64 MiB of payload each way."""
    sizes = []
    for label, iterations in GRANULARITY_TASKS:
        tasks = max(2, min(1000, round(2_000_000 / iterations)))
        if payload:
            tasks = max(2, min(tasks, (64 << 20) // payload))
        sizes.append(Size(label, iterations, tasks))
    return Family(
        f"granularity_{binary_size_name(payload) if payload else 'none'}", "granularity", "spin",
        tuple(sizes), model_names(lambda m: m.baseline or m.pool), (2,), payload=payload,
        chunksizes=("1", "auto"), needs_cores=True,
    )  # fmt: skip


NONE, KIB_64, MIB_1 = (_granularity(payload) for payload in GRANULARITY_PAYLOADS)
FAMILIES = (NONE, KIB_64, MIB_1)

PICKS = {
    "smoke": (
        Pick("granularity_none", sizes=("10us",), start_methods=FORK, models=local_models(NONE)),
    ),
    "quick": (
        Pick("granularity_none", sizes=("10us", "1ms"), start_methods=FORK,
             models=names_without(NONE, "loky", "dask_local", "dask_cluster")),
        # A cluster's cost per task, where it is not seconds a batch (10 us tasks: standard)
        Pick("granularity_none", sizes=("1ms",), models=("dask_local",)),
        Pick("granularity_1MiB", sizes=("10us", "1ms"), start_methods=FORK,
             models=names_without(MIB_1, OPTIONAL_MODELS)),
    ),
    "standard": (
        # Task lengths a decade apart but 10 ms (the crossover sits between 10 us and
        # 1 ms), with no payload and with 1 MiB (64 KiB falls between): the full
        # profile has every cell. Every pool but the cluster of processes without a
        # payload; with 1 MiB, the standard library's pools at every length,
        # subinterpreters and LocalCluster (which must move it) at 1 and 100 ms.
        Pick("granularity_none", start_methods=FORK, sizes=("10us", "100us", "1ms", "100ms"),
             models=names_without(NONE, "dask_cluster")),
        Pick("granularity_1MiB", start_methods=FORK, sizes=("10us", "100us", "1ms", "100ms"),
             models=names_without(MIB_1, OPTIONAL_MODELS)),
        Pick("granularity_1MiB", sizes=("1ms", "100ms"), models=("subinterpreters", "dask_local")),
    ),
}  # fmt: skip

EXCLUDED = {
    ("granularity", "spawn/forkserver"): "a warm pool's steady state does not depend on how "
                                         "its workers started: fork only (start-up is "
                                         "measured apart)",
}  # fmt: skip

PAGE = ResultsPage("results/communication.md", families=("granularity",),
                   figures=("decision-map",), speedups=True)  # fmt: skip
