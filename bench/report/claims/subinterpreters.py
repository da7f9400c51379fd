"""Subinterpreters against processes: one process, one GIL per interpreter (PEP 684).

The question a 3.12+ reader asks: do subinterpreters give the parallelism of a process
pool without its processes? Judged on the pure-Python task of the GIL claims, at the
same worker count, paired within rounds: per round, the subinterpreters' speedup over
the loop against the process pool's (the loop cancels out).
"""

from __future__ import annotations

from typing import Any

import pandas as pd

from bench.models import Isolation
from bench.report.claims.core import (
    Bound,
    Verdict,
    claim,
    depends,
    estimate_figures,
    judge,
    kept_estimate,
    kept_text,
    no_data,
    settle,
)
from bench.report.claims.cpu import chosen, cpu_scaling
from bench.report.format import format_estimate, format_threshold
from bench.report.select import is_process_pool, model_label, models_where, present

#: Subinterpreters "keep up" when they take at most 10% longer than the process pool.
KEEPS_UP = 1.1


def is_subinterpreter(spec: Any) -> bool:
    """Workers that are interpreters of this one process, each with its own GIL."""
    return bool(spec.isolation is Isolation.INTERPRETER)


def paired_with_pool(frame: pd.DataFrame) -> tuple[pd.DataFrame, str, str, int] | None:
    """Per round: subinterpreters' time over the process pool's (``ratio``), at the pool's
    default start method; with its configuration, task and worker count."""
    found = cpu_scaling(frame)
    if found is None:
        return None
    table, size, workers = found
    subinterpreters = table[table["model"].isin(models_where(is_subinterpreter))]
    choice = chosen(table, models_where(is_process_pool), frame)
    if subinterpreters.empty or choice is None:
        return None
    config, pool = choice
    keys = present(table, ["machine", "interpreter", "run_id", "round"])
    merged = subinterpreters.merge(pool, on=keys, suffixes=("", "_pool"))
    if merged.empty:
        return None
    own_low = merged["low_capacity"].fillna(False).astype(bool)
    low = own_low | merged["low_capacity_pool"].fillna(False).astype(bool)
    # speedups over the same loop in the same round: their quotient is pool time / own time
    ratio = merged["ratio_pool"] / merged["ratio"]
    return merged.assign(ratio=ratio, low_capacity=low), config, size, workers


@claim(
    "subinterpreters_keep_up",
    order=15,
    statement="Subinterpreters run CPU-heavy Python code in parallel about as fast as a "
    "process pool: each has a GIL of its own, inside one process.",
    measured_by="time of subinterpreters over a process pool (the platform's default start "
    "method) on the pure-Python CPU task, same worker count, paired within rounds",
    criteria=f"holds when the 95% interval of the subinterpreters' time over the process "
    f"pool's lies below {format_threshold(KEEPS_UP)}; does not hold when it lies at or above "
    f"it; depends otherwise, or on fewer than two rounds kept",
)
def subinterpreters_keep_up(frame: pd.DataFrame) -> Verdict:
    """Holds when subinterpreters take at most 10% longer than the process pool (the
    interval decides); does not hold when the whole interval is slower than that."""
    found = paired_with_pool(frame)
    if found is None:
        return no_data("subinterpreters beside a process pool on the pure-Python CPU task")
    rows, config, size, workers = found
    estimate, dropped = kept_estimate(rows)
    label = ", ".join(model_label(m) for m in sorted(rows["model"].unique()))
    line = (
        f"{label} over {config}, {workers} workers, {size} tasks: "
        f"{format_estimate(estimate)} the pool's time{kept_text(estimate.n, dropped)}"
    )
    figures = {
        "slowdown": estimate_figures(estimate),
        "config": config,
        "workers": workers,
        "task": size,
        "dropped_low_capacity": dropped,
    }
    if float(rows["ideal"].median()) < 2:
        return depends(line, "one core: nothing can run in parallel", figures)
    judged = judge(
        estimate,
        holds=Bound(KEEPS_UP, above=False),
        fails=Bound(KEEPS_UP, above=True),
        dropped=dropped,
    )
    return settle({"subinterpreters": judged}, line, figures)
