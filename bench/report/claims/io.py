"""I/O: threads speed up programs that spend their time waiting."""

from __future__ import annotations

import pandas as pd

from bench.report.claims.core import (
    NO_GAIN,
    THREAD_MODELS,
    Verdict,
    by_config,
    claim,
    decide,
    no_data,
)
from bench.report.format import format_ratio
from bench.report.metrics import paired_speedups
from bench.report.select import where

#: I/O-bound work "suits" threads when they at least double the loop's throughput:
#: waiting overlaps, so any worker count above one should, on any core count.
IO_GAIN = 2.0
IO_WORKLOADS = ("sleep", "tcp")  # the waits the claim is about; file I/O is shown beside


@claim(
    "threads_suit_io",
    order=80,
    statement="Threads speed up programs that spend their time waiting on I/O.",
    measured_by="speedup of threads over the plain loop on sleeps and loopback TCP requests",
    criteria=f"holds when the best thread model does at least {format_ratio(IO_GAIN)} the "
    f"loop's throughput on every wait; does not hold when below {format_ratio(NO_GAIN)} on "
    f"every wait; depends between",
)
def threads_suit_io(frame: pd.DataFrame) -> Verdict:
    """Holds when the best thread model at least doubles the loop on every one of sleep
    and TCP; does not hold when it stays under 1.2x on all; depends when mixed."""
    speedups = paired_speedups(where(frame, family="io"))
    if speedups.empty:
        return no_data("I/O-bound tasks against the sequential loop")
    per_workload = {
        str(workload): by_config(part[part["model"] != "sequential"], "speedup")
        for workload, part in speedups.groupby("workload", sort=True)
    }
    best = {
        w: max(v for c, v in configs.items() if c in THREAD_MODELS)
        for w, configs in per_workload.items()
        if w in IO_WORKLOADS and any(c in THREAD_MODELS for c in configs)
    }
    if not best:
        return no_data("threads on sleep or TCP tasks")
    workers = int(where(speedups, model=THREAD_MODELS)["workers"].max())
    figures = {"best_thread_speedup": best, "speedup": per_workload, "workers": workers}
    line = f"best of threads, up to {workers} workers, vs the loop: " + ", ".join(
        f"{w} {format_ratio(v)}" for w, v in best.items()
    )
    return decide(
        holds=all(v >= IO_GAIN for v in best.values()),
        fails=all(v < NO_GAIN for v in best.values()),
        line=line,
        figures=figures,
    )
