"""Memory: every extra process costs far more than an extra thread."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pandas as pd

from bench.families.memory.figures import MEMORY_FIGURE
from bench.families.memory.metrics import WORKING_SETS, memory_per_worker
from bench.models import Role, model_of
from bench.report.claims import (
    DOES_NOT_HOLD,
    HOLDS,
    INCONCLUSIVE,
    MIXED_OR_UNCLEAR,
    Judgement,
    Verdict,
    claim,
    estimate_figures,
    no_data,
    verdict_of_judgements,
)
from bench.report.estimate import Estimate
from bench.report.format import format_bytes, format_ratio, format_threshold
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
#: The judgement of idle workers, beside one per structure of ``WORKING_SETS``.
IDLE = "idle"
#: Short names of the working sets in the evidence (the table has the long ones).
SHORT_NAMES = {
    "working_set": "one bytes object",
    "small_objects": "small objects",
    "small_objects_frozen": "small objects after gc.freeze()",
}


def memory_kind(frame: pd.DataFrame) -> str | None:
    """The first of ``MEMORY_KINDS`` measured at two worker counts or more."""
    memory = where(frame, measure="memory")
    for kind in MEMORY_KINDS:
        rows = where(memory, metric=f"{kind}_bytes")
        if not rows.empty and rows["workers"].nunique() >= 2:
            return kind
    return None


def worker_memory(frame: pd.DataFrame) -> tuple[str, pd.DataFrame] | None:
    """The extra memory per worker of every model, start method and variant (idle, or
    what the workers read: ``metrics.memory_per_worker``, the slope of the tree's total
    against live workers, with its interval), of the first of ``MEMORY_KINDS`` measured."""
    kind = memory_kind(frame)
    if kind is None:
        return None
    # the copy-on-write measure holds the working sets of small objects
    rows = where(frame, measure=("memory", "copy_on_write"), metric=f"{kind}_bytes")
    return kind, memory_per_worker(rows)


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


@dataclass(frozen=True)
class Costs:
    """One case of the claim (idle, or a working set): a thread's extra memory and each
    process configuration's, by label."""

    thread_config: str
    thread: Estimate
    processes: dict[str, Estimate]

    @property
    def cheapest(self) -> str:
        """The process configuration that could refute "every extra process costs more"."""
        return min(self.processes, key=lambda c: self.processes[c].value)


def costs_by_case(slopes: pd.DataFrame) -> dict[str, Costs]:
    """Per case (``IDLE``, then each working set measured for processes): a thread's cost
    and every process configuration's. A thread is threads, else a thread pool (fixed,
    never the lower of two); with a working set, a thread that read the bytes object
    (threads share whatever they read: no structure is copied for them), else an idle
    one. "Every extra process": any model of processes, never subinterpreters."""
    processes = models_where(runs_processes)
    thread_models = [model_of(role) for role in (Role.THREADS, Role.THREAD_POOL)]
    variant = slopes["variant"] if "variant" in slopes else pd.Series("none", index=slopes.index)
    idle = slopes[~variant.isin(list(WORKING_SETS))]

    def thread_of(rows: pd.DataFrame) -> tuple[str, Estimate] | None:
        for model in thread_models:
            found = rows[rows["model"] == model]
            if not found.empty:
                return config_label(model, None), _bytes_estimate(found.iloc[0])
        return None

    def processes_of(rows: pd.DataFrame) -> dict[str, Estimate]:
        mine = rows[rows["model"].isin(processes)]
        return {
            config_label(r["model"], r.get("start_method")): _bytes_estimate(r)
            for _, r in mine.iterrows()
        }

    out: dict[str, Costs] = {}
    idle_thread = thread_of(idle)
    if idle_thread is not None and processes_of(idle):
        out[IDLE] = Costs(*idle_thread, processes_of(idle))
    for name, label in SHORT_NAMES.items():
        reading = slopes[variant == name]
        thread = thread_of(slopes[variant == "working_set"]) or idle_thread
        if thread is not None and processes_of(reading):
            out[label] = Costs(*thread, processes_of(reading))
    return out


def judge_costs(costs: Costs) -> tuple[Judgement, str, list[float]]:
    """The cheapest process configuration against a thread, interval against interval:
    holds when the gap is at least ``MEMORY_GAP_BYTES`` and ``MEMORY_RATIO`` times a
    thread's; does not hold when even its top is under ``MEMORY_SAME_BYTES``; else
    inconclusive. Returns the judgement, the words saying how close to the threshold it
    sits, and the gap's interval."""
    thread, cheapest = costs.thread, costs.cheapest
    proc = costs.processes[cheapest]
    if not (thread.known and proc.known):
        return Judgement(INCONCLUSIVE, "too few values for an interval: too little data"), "", []
    gap_low, gap_high = proc.low - thread.high, proc.high - thread.low
    gap = f"a gap of {format_bytes(gap_low)} to {format_bytes(gap_high)}"
    top_thread = max(thread.high, PAGE)
    if gap_low >= MEMORY_GAP_BYTES and proc.low >= MEMORY_RATIO * top_thread:
        margin = f"{gap}, its low end {format_ratio(gap_low / MEMORY_GAP_BYTES)} the threshold"
        return Judgement(HOLDS), margin, [gap_low, gap_high]
    if gap_high < MEMORY_SAME_BYTES:
        return Judgement(DOES_NOT_HOLD), gap, [gap_low, gap_high]
    if gap_low >= MEMORY_GAP_BYTES:
        reason = (
            f"{cheapest} adds at least {format_bytes(proc.low)}, under "
            f"{format_threshold(MEMORY_RATIO)} a thread's up to {format_bytes(top_thread)}"
        )
    elif gap_low < MEMORY_GAP_BYTES <= gap_high:
        reason = f"{gap} straddles the {format_bytes(MEMORY_GAP_BYTES)} threshold"
    else:
        reason = (
            f"{gap} lies between {format_bytes(MEMORY_SAME_BYTES)} and "
            f"{format_bytes(MEMORY_GAP_BYTES)}, clear of neither"
        )
    return Judgement(INCONCLUSIVE, reason), gap, [gap_low, gap_high]


@claim(
    "processes_cost_memory",
    order=30,
    from_article=True,
    statement="Every extra process costs far more memory than an extra thread.",
    measured_by="extra memory (PSS) of the process tree per live worker, idle and reading a "
    "50 MiB working set, per start method",
    criteria=f"judged for idle workers and for each working set measured (one bytes object, "
    f"small objects with and without gc.freeze()): holds when, for the cheapest process "
    f"configuration, the whole 95% interval of its extra memory is at least "
    f"{format_threshold(MEMORY_RATIO)} the top of a thread's (a thread counted as at least "
    f"{format_bytes(PAGE)}) and {format_bytes(MEMORY_GAP_BYTES)} more; does not hold when even "
    f"the top of its interval is under {format_bytes(MEMORY_SAME_BYTES)} above the bottom of "
    f"a thread's; {MIXED_OR_UNCLEAR}",
    figures=(MEMORY_FIGURE,),
)
def processes_cost_memory(frame: pd.DataFrame) -> Verdict:
    """Holds when, idle and with every working set, even the cheapest process
    configuration adds 4x and 1 MiB more per worker than a thread, interval against
    interval; does not hold when every one stays within 256 KiB of a thread's; depends
    when the cases go different ways; inconclusive otherwise. The evidence says how far
    each gap sits from the threshold. The per-worker figure is the slope the memory
    figure and table show."""
    found = worker_memory(frame)
    if found is None:
        return no_data("memory of live workers")
    kind, slopes = found
    cases = costs_by_case(slopes)
    if IDLE not in cases:
        return no_data("extra memory per idle worker of both threads and processes")
    idle = cases[IDLE]
    cheapest = idle.cheapest
    judgements: dict[str, Judgement] = {}
    texts: list[str] = []
    figures: dict[str, Any] = {
        "kind": kind,
        "thread_model": idle.thread_config,
        "per_thread_bytes": idle.thread.value,
        "per_thread": estimate_figures(idle.thread),
        "per_process_bytes": {c: e.value for c, e in idle.processes.items()},
        "cheapest_process": cheapest,
        "cheapest": estimate_figures(idle.processes[cheapest]),
        "gap_bytes": idle.processes[cheapest].value - idle.thread.value,
        "working_set_per_worker_bytes": {},
        "cases": {},
    }
    for case, costs in cases.items():
        judgement, margin, gap = judge_costs(costs)
        judgements[case] = judgement
        proc = costs.processes[costs.cheapest]
        figures["cases"][case] = {
            "cheapest_process": costs.cheapest,
            "process": estimate_figures(proc),
            "thread": estimate_figures(costs.thread),
            "gap_interval_bytes": gap,
        }
        if case == IDLE:
            figures["gap_interval_bytes"] = gap
        elif case == SHORT_NAMES["working_set"]:
            figures["working_set_per_worker_bytes"] = {
                c: e.value for c, e in costs.processes.items()
            }
        texts.append(
            f"{case}: {costs.cheapest} {_bytes_text(proc)} vs {costs.thread_config} "
            f"{_bytes_text(costs.thread)}" + (f", {margin}" if margin else "")
        )
    every = ", ".join(f"{c} {_bytes_text(e)}" for c, e in idle.processes.items())
    line = (
        f"extra {kind.upper()} per worker, the cheapest process against a thread: "
        f"{'; '.join(texts)}; every process configuration idle: {every}"
    )
    return verdict_of_judgements(judgements, line, figures, across="what the workers hold")
