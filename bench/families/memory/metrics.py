"""Memory in numbers: what one more live worker adds to the process tree."""

from __future__ import annotations

import pandas as pd

from bench.report.estimate import slope_estimate
from bench.report.select import RUN_KEYS, present


def memory_per_worker(frame: pd.DataFrame) -> pd.DataFrame:
    """Extra memory per added worker: the slope of a least-squares line through the
    process tree's total (RSS, USS, PSS) against the number of live workers.

    ``bytes_low``/``bytes_high`` are the slope's 95 % interval (Student t, n - 2 degrees
    of freedom; NaN with fewer than three values), ``values`` how many it rests on.
    The one estimate of a worker's memory: the memory claim, figure and table show it.
    """
    totals = frame[frame["metric"].isin(["rss_bytes", "uss_bytes", "pss_bytes"])]
    keys = present(totals, [*RUN_KEYS, "interpreter", "model", "start_method", "variant", "metric"])
    rows = []
    for key, part in totals.groupby(keys, dropna=False):
        if part["workers"].nunique() < 2:
            continue  # a line needs two worker counts
        fit = slope_estimate(part["workers"].astype(float), part["value"].astype(float))
        rows.append(
            dict(zip(keys, key, strict=True))
            | {
                "bytes_per_worker": fit.value,
                "bytes_low": fit.low,
                "bytes_high": fit.high,
                "intercept_bytes": fit.intercept,
                "worker_counts": part["workers"].nunique(),
                "values": len(part),
            }
        )
    return pd.DataFrame(rows)
