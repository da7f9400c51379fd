"""Memory: every extra process costs far more than an extra thread."""

from __future__ import annotations

from typing import Any

import pandas as pd

from bench.families.memory.figures import MEMORY_FIGURE
from bench.families.memory.metrics import memory_per_worker
from bench.models import Role, model_of
from bench.report.claims import Verdict, claim, estimate_figures, no_data, verdict_of_tests
from bench.report.estimate import Estimate
from bench.report.format import format_bytes, format_threshold
from bench.report.select import config_label, models_where, runs_processes, where

#: A process "costs more memory" when one more costs at least 4x an extra thread and
#: at least 1 MiB more: a thread adds a stack (KiBs), a process an interpreter (MiBs).
#: Requiring both keeps a few pages of measurement noise from deciding either way.
MEMORY_RATIO = 4.0
MEMORY_GAP_BYTES = 1 << 20
#: Under this gap (64 pages) an extra process costs no more than a thread, in effect.
MEMORY_SAME_BYTES = 256 << 10
PAGE = 4096  # a thread's measured cost is floored at a page: ratios of ~0 mean nothing


#: What each memory figure is, most honest first: PSS shares each page among the
#: processes mapping it (USS misses pages fork shares; RSS counts them once per process).
MEMORY_KINDS = ("pss", "uss", "rss")


def worker_memory(frame: pd.DataFrame) -> tuple[str, pd.DataFrame] | None:
    """The extra memory per idle worker of every model and start method
    (``metrics.memory_per_worker``: the slope of the tree's total against live
    workers, with its interval), of the first of ``MEMORY_KINDS`` measured."""
    memory = where(frame, measure="memory")
    if memory.empty:
        return None
    idle = memory[memory["variant"] != "working_set"] if "variant" in memory else memory
    for kind in MEMORY_KINDS:
        rows = where(idle, metric=f"{kind}_bytes")
        if rows["workers"].nunique() >= 2 if not rows.empty else False:
            return kind, memory_per_worker(rows)
    return None


def _bytes_estimate(row: pd.Series) -> Estimate:
    return Estimate(
        float(row["bytes_per_worker"]),
        float(row["bytes_low"]),
        float(row["bytes_high"]),
        int(row["values"]),
    )


def _bytes_text(estimate: Estimate) -> str:
    if not estimate.known:
        return f"{format_bytes(estimate.value)} (n={estimate.n})"
    return (
        f"{format_bytes(estimate.value)} ({format_bytes(estimate.low)} to "
        f"{format_bytes(estimate.high)}, n={estimate.n})"
    )


@claim(
    "processes_cost_memory",
    order=30,
    statement="Every extra process costs far more memory than an extra thread.",
    measured_by="extra memory (PSS) of the process tree per live idle worker, per start method",
    criteria=f"holds when, for the cheapest process configuration, the whole 95% interval of "
    f"its extra memory is at least {format_threshold(MEMORY_RATIO)} the top of a thread's "
    f"(a thread counted as at least {format_bytes(PAGE)}) and {format_bytes(MEMORY_GAP_BYTES)} "
    f"more; does not hold when even the top of its interval is under "
    f"{format_bytes(MEMORY_SAME_BYTES)} above the bottom of a thread's; depends otherwise",
    figures=(MEMORY_FIGURE,),
)
def processes_cost_memory(frame: pd.DataFrame) -> Verdict:
    """Holds when even the cheapest process configuration adds 4x and 1 MiB more per
    idle worker than a thread, interval against interval; does not hold when its
    interval stays within 256 KiB of a thread's; depends otherwise. The per-worker
    figure is the slope the memory figure and table show."""
    found = worker_memory(frame)
    if found is None:
        return no_data("memory of live workers")
    kind, slopes = found
    costs: dict[str, Estimate] = {}
    model_of_config: dict[str, str] = {}
    for _, row in slopes.iterrows():
        config = config_label(row["model"], row.get("start_method"))
        costs[config], model_of_config[config] = _bytes_estimate(row), str(row["model"])
    # a thread's memory: threads, else a thread pool (fixed: never the lower of two);
    # "every extra process": any model of processes, never subinterpreters
    thread_roles = (Role.THREADS, Role.THREAD_POOL)
    thread_model = next(
        (c for r in thread_roles for c in costs if model_of_config[c] == model_of(r)), None
    )
    processes = models_where(runs_processes)
    process = {c: e for c, e in costs.items() if model_of_config[c] in processes}
    if thread_model is None or not process:
        return no_data("extra memory per worker of both threads and processes")
    thread = costs[thread_model]
    # "every extra process": the cheapest configuration is the one that could refute it
    cheapest = min(process, key=lambda c: process[c].value)
    proc = process[cheapest]
    gap_low, gap_high = proc.low - thread.high, proc.high - thread.low
    figures: dict[str, Any] = {
        "kind": kind,
        "thread_model": thread_model,
        "per_thread_bytes": thread.value,
        "per_thread": estimate_figures(thread),
        "per_process_bytes": {c: e.value for c, e in process.items()},
        "cheapest_process": cheapest,
        "cheapest": estimate_figures(proc),
        "gap_bytes": proc.value - thread.value,
        "gap_interval_bytes": [gap_low, gap_high],
    }
    working = where(frame, measure="memory", variant="working_set", metric=f"{kind}_bytes")
    if not working.empty and working["workers"].nunique() >= 2:
        figures["working_set_per_worker_bytes"] = {
            config_label(r["model"], r.get("start_method")): float(r["bytes_per_worker"])
            for _, r in memory_per_worker(working).iterrows()
        }
    line = f"extra {kind.upper()} per idle worker: {thread_model} {_bytes_text(thread)}, " + (
        ", ".join(f"{c} {_bytes_text(e)}" for c, e in process.items())
    )
    if not (thread.known and proc.known):
        return verdict_of_tests(
            holds=False, fails=False, line=line, figures=figures,
            reason="too few values for an interval: too little data",
        )  # fmt: skip
    top_thread = max(thread.high, PAGE)
    holds = gap_low >= MEMORY_GAP_BYTES and proc.low >= MEMORY_RATIO * top_thread
    fails = gap_high < MEMORY_SAME_BYTES
    if gap_low >= MEMORY_GAP_BYTES:
        reason = (
            f"{cheapest} adds at least {format_bytes(proc.low)}, under "
            f"{format_threshold(MEMORY_RATIO)} a thread's up to {format_bytes(top_thread)}"
        )
    else:
        reason = (
            f"the gap between {cheapest} and a thread, {format_bytes(gap_low)} to "
            f"{format_bytes(gap_high)}, is not clear of {format_bytes(MEMORY_SAME_BYTES)} "
            f"and {format_bytes(MEMORY_GAP_BYTES)}"
        )
    return verdict_of_tests(holds=holds, fails=fails, line=line, figures=figures, reason=reason)
