"""Memory in numbers: what one more live worker adds to the process tree."""

from __future__ import annotations

import pandas as pd

from bench.report.estimate import slope_estimate
from bench.report.select import RUN_KEYS, present

#: What every worker reads in the working-set variants of the measure, as a reader knows
#: it, in reading order. Any other variant ("none") is idle workers.
WORKING_SETS = {
    "working_set": "one bytes object",
    "small_objects": "small objects (distinct ints in a list)",
    "small_objects_frozen": "small objects, gc.freeze() before the workers start",
}
#: Totals that cannot shrink when a live process joins the tree: each page it maps counts
#: (RSS) or counts a share (PSS). USS can: fork moves the parent's pages out of its USS.
NEVER_NEGATIVE = ("rss_bytes", "pss_bytes")


def memory_per_worker(frame: pd.DataFrame) -> pd.DataFrame:
    """Extra memory per added worker: the slope of a least-squares line through the
    process tree's total (RSS, USS, PSS) against the number of live workers.

    ``bytes_low``/``bytes_high`` are the slope's 95 % interval (Student t, n - 2 degrees
    of freedom; NaN with fewer than three values), ``values`` how many it rests on.
    For RSS and PSS, which one more live worker cannot lower, the interval is cut at zero:
    the true slope lies in the cut interval whenever it lies in the whole one, so it keeps
    its 95 % coverage (with 3 values, one degree of freedom, t is 12.7 and a line through
    one disturbed total reaches far below zero). The one estimate of a worker's memory:
    the memory claim, figure and table show it.
    """
    totals = frame[frame["metric"].isin(["rss_bytes", "uss_bytes", "pss_bytes"])]
    keys = present(totals, [*RUN_KEYS, "interpreter", "model", "start_method", "variant", "metric"])
    rows = []
    for key, part in totals.groupby(keys, dropna=False):
        if part["workers"].nunique() < 2:
            continue  # a line needs two worker counts
        fit = slope_estimate(part["workers"].astype(float), part["value"].astype(float))
        named = dict(zip(keys, key, strict=True))
        low = max(fit.low, 0.0) if named["metric"] in NEVER_NEGATIVE else fit.low
        rows.append(
            named
            | {
                "bytes_per_worker": fit.value,
                "bytes_low": low,
                "bytes_high": fit.high,
                "intercept_bytes": fit.intercept,
                "worker_counts": part["workers"].nunique(),
                "values": len(part),
            }
        )
    return pd.DataFrame(rows)
