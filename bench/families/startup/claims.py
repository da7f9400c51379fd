"""Start-up: a thread is much quicker to start than a process."""

from __future__ import annotations

import pandas as pd

from bench.families.startup.figures import STARTUP_FIGURE
from bench.families.startup.metrics import startup_slowdowns
from bench.models import Role, model_of
from bench.report.claims import (
    MIXED_OR_UNCLEAR,
    Bound,
    Judgement,
    Verdict,
    by_config,
    chosen_start_method,
    claim,
    estimate_figures,
    judge_estimate,
    no_data,
    verdict_of_judgements,
)
from bench.report.estimate import Estimate
from bench.report.format import format_estimate, format_threshold
from bench.report.metrics import paired_speedups
from bench.report.select import config_label, where

#: Threads are "cheaper to start" when a process takes at least twice as long to start
#: and join; at or below 1.0x a process starts as fast as a thread.
STARTUP_CHEAPER = 2.0


def _workers_text(workers: float, family: str) -> str:
    plural = "" if workers == 1 else "s"
    return f"{'article, ' if family == 'article' else ''}{int(workers)} worker{plural}"


@claim(
    "threads_start_faster",
    order=50,
    statement="A thread is much quicker to start than a process.",
    measured_by="start and join of threads vs processes, per start method",
    criteria=f"holds when, at the platform's default start method and every worker count, "
    f"the 95% interval of a process's start-up time over a thread's lies at or above "
    f"{format_threshold(STARTUP_CHEAPER)}; does not hold when it lies below "
    f"{format_threshold(1)} at every count; {MIXED_OR_UNCLEAR}",
    figures=(STARTUP_FIGURE,),
)
def threads_start_faster(frame: pd.DataFrame) -> Verdict:
    """Holds when starting and joining processes by the default start method takes 2x
    the threads' time or more, interval and all, at every worker count measured; does
    not hold when under 1x at all; else depends or is inconclusive. The other start methods are
    shown beside; the start-up figure quotes the same estimates."""
    slowdowns = startup_slowdowns(frame)
    if slowdowns.empty:
        return no_data("start and join of threads and processes")
    method = chosen_start_method(frame, slowdowns["start_method"].unique())
    judgements: dict[str, Judgement] = {}
    per_workers: dict[str, dict[str, float]] = {}
    default_figures: dict[str, dict[str, float]] = {}
    texts = []
    ordered = slowdowns.sort_values(["family", "workers"], ascending=[False, True])
    for (family, workers), part in ordered.groupby(["family", "workers"], sort=False):
        case = _workers_text(workers, str(family))
        per_workers[case] = {
            config_label(model_of(Role.PROCESSES), m): float(v)
            for m, v in zip(part["start_method"], part["slowdown"], strict=True)
        }
        mine = part[part["start_method"] == method]
        if mine.empty:
            continue
        estimate = startup_estimate(mine.iloc[0])
        texts.append(f"{case}: {format_estimate(estimate)}")
        default_figures[case] = estimate_figures(estimate)
        judgements[case] = judge_estimate(
            estimate, holds=Bound(STARTUP_CHEAPER, above=True), fails=Bound(1.0, above=False)
        )
    if not judgements:
        return no_data("start and join of threads and processes by the default start method")
    pools = where(
        paired_speedups(
            where(frame, family="pool_startup"), model_of(Role.THREAD_POOL), ("workers",)
        ),
        model=model_of(Role.PROCESS_POOL),
    )
    figures = {
        "start_method": method,
        "process_vs_thread": per_workers,
        "default_method": default_figures,
        "pool_vs_thread_pool": by_config(pools.assign(slowdown=1 / pools["speedup"]), "slowdown"),
    }  # fmt: skip
    line = f"start+join, a process ({method}, the default) vs a thread: " + "; ".join(texts)
    return verdict_of_judgements(judgements, line, figures, across="the worker count")


def startup_estimate(row: pd.Series) -> Estimate:
    """One row of ``metrics.startup_slowdowns`` as an estimate."""
    return Estimate(
        float(row["slowdown"]), float(row["low"]), float(row["high"]), int(row["rounds"])
    )
