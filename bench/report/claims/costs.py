"""Costs of a process against a thread: memory per worker, and start-up."""

from __future__ import annotations

import pandas as pd

from bench.report.claims.core import THREAD_MODELS, Verdict, by_config, claim, decide, no_data
from bench.report.format import format_bytes, format_ratio
from bench.report.metrics import paired_speedups, present
from bench.report.select import where

#: A process "costs more memory" when one more costs at least 4x an extra thread and
#: at least 1 MiB more: a thread adds a stack (KiBs), a process an interpreter (MiBs).
#: Requiring both keeps a few pages of measurement noise from deciding either way.
MEMORY_RATIO = 4.0
MEMORY_GAP_BYTES = 1 << 20
#: Under this gap (64 pages) an extra process costs no more than a thread, in effect.
MEMORY_SAME_BYTES = 256 << 10
PAGE = 4096  # a thread's measured cost is floored at a page: ratios of ~0 mean nothing
#: Threads are "cheaper to start" when a process takes at least twice as long to start
#: and join; at or below 1.0x a process starts as fast as a thread.
STARTUP_CHEAPER = 2.0


@claim(
    "processes_cost_memory",
    order=30,
    statement="Every extra process costs far more memory than an extra thread.",
    measured_by="extra memory (PSS) of the process tree per live idle worker, per start method",
    criteria=f"holds when an extra process costs at least {format_ratio(MEMORY_RATIO)} an extra "
    f"thread (a thread counted as at least {format_bytes(PAGE)}) and "
    f"{format_bytes(MEMORY_GAP_BYTES)} more; does not hold under "
    f"{format_bytes(MEMORY_SAME_BYTES)} more; depends between",
)
def processes_cost_memory(frame: pd.DataFrame) -> Verdict:
    """Holds when even the cheapest process start method adds 4x and 1 MiB more per
    idle worker than a thread; does not hold within 256 KiB; depends between."""
    memory = where(frame, measure="memory")
    if memory.empty:
        return no_data("memory of live workers")
    idle = memory[memory["variant"] != "working_set"] if "variant" in memory else memory
    # PSS shares each page among the processes mapping it: the honest cost of one more
    # worker (USS misses pages fork shares; RSS counts them once per process)
    for kind in ("pss", "uss", "rss"):
        rows = where(idle, metric=f"extra_{kind}_per_worker_bytes")
        if not rows.empty:
            break
    else:
        return no_data("extra memory per worker")
    # the most workers measured per configuration: its per-worker figure is the steadiest
    most = rows.groupby(present(rows, ["model", "start_method"]), dropna=False)["workers"]
    rows = rows[rows["workers"] == most.transform("max")]
    rows = rows.assign(number=[float(v) for v in rows["value"]])
    costs = by_config(rows, "number")
    thread = [v for c, v in costs.items() if c in THREAD_MODELS]
    process = {c: v for c, v in costs.items() if c not in THREAD_MODELS}
    if not thread or not process:
        return no_data("extra memory per worker of both threads and processes")
    per_thread = max(min(thread), 0.0)
    cheapest = min(process, key=lambda c: process[c])
    gap = process[cheapest] - per_thread
    working = where(memory, variant="working_set", metric=f"extra_{kind}_per_worker_bytes")
    figures = {
        "kind": kind,
        "per_thread_bytes": per_thread,
        "per_process_bytes": process,
        "cheapest_process": cheapest,
        "gap_bytes": gap,
        "working_set_per_worker_bytes": by_config(
            working.assign(number=[float(v) for v in working["value"]]), "number"
        ),
    }
    line = f"extra {kind.upper()} per idle worker: thread {format_bytes(per_thread)}, " + ", ".join(
        f"{c} {format_bytes(v)}" for c, v in process.items()
    )
    return decide(
        holds=gap >= MEMORY_GAP_BYTES and process[cheapest] >= MEMORY_RATIO * max(per_thread, PAGE),
        fails=gap < MEMORY_SAME_BYTES,
        line=line,
        figures=figures,
    )


@claim(
    "threads_start_faster",
    order=50,
    statement="A thread is much quicker to start than a process.",
    measured_by="start and join of threads vs processes, per start method",
    criteria=f"holds when the cheapest process start takes at least "
    f"{format_ratio(STARTUP_CHEAPER)} a thread's; does not hold at {format_ratio(1)} or below; "
    f"depends between",
)
def threads_start_faster(frame: pd.DataFrame) -> Verdict:
    """Holds when starting and joining processes, by every start method and worker
    count measured, takes 2x the threads' time or more; does not hold at 1x or less."""
    starts = where(frame, family=("startup", "article"))
    speedups = paired_speedups(starts, baseline="threads", match=("workers",))
    procs = where(speedups, model="processes")
    if procs.empty:
        return no_data("start and join of threads and processes")
    procs = procs.assign(slowdown=1 / procs["speedup"])
    per_workers = {
        f"{int(w)} worker{'' if w == 1 else 's'}": by_config(part, "slowdown")
        for w, part in procs.groupby("workers", sort=True)
    }
    cheapest = min(v for ratios in per_workers.values() for v in ratios.values())
    pools = where(
        paired_speedups(where(frame, family="pool_startup"), "thread_pool", ("workers",)),
        model="process_pool",
    )
    figures = {
        "process_vs_thread": per_workers,
        "cheapest": cheapest,
        "pool_vs_thread_pool": by_config(pools.assign(slowdown=1 / pools["speedup"]), "slowdown"),
    }
    line = "start+join, a process vs a thread: " + "; ".join(
        f"{w}: " + ", ".join(f"{c.split('/')[-1]} {format_ratio(v)}" for c, v in ratios.items())
        for w, ratios in per_workers.items()
    )
    return decide(
        holds=cheapest >= STARTUP_CHEAPER, fails=cheapest <= 1.0, line=line, figures=figures
    )
