"""One row per run and benchmark metric: what trends and the change detector read.

A year of nightly history is millions of values; its trend of a benchmark needs
only each run's median and the confidence interval of that median. Pure
functions, vectorised: the cache (``bench.history.cache``) summarises every file
once, when it first sees it.
"""

from __future__ import annotations

import functools

import numpy as np
import pandas as pd

from bench.report.metrics import median_ci
from bench.results.schema import DEFINITION_HASH_KEY

#: One summary row per these keys (never across machines, interpreters or runs).
SUMMARY_KEYS = [
    "machine", "interpreter", "run_id", "benchmark", "metric", "unit", DEFINITION_HASH_KEY,
]  # fmt: skip
#: Parameters carried along (first value of the group) to select and label series.
CONTEXT = [
    "profile", "family", "group", "model", "start_method", "workers", "size_label",
    "payload_bytes", "variant", "measure", "python_version", "python_build", "gil_enabled",
    "cpu_count", "cpu_model_name",
]  # fmt: skip
#: Columns of :func:`run_summaries`, in order.
SUMMARY_COLUMNS = [*SUMMARY_KEYS, "date", *CONTEXT, "n", "median", "low", "high", "coverage"]
#: Units whose values are numbers worth a trend (flags and texts are not).
NUMERIC_UNITS = ("second", "byte", "count")


@functools.cache
def _order_k(n: int) -> tuple[int, float]:
    """The order statistic k of ``median_ci`` for n values, and its coverage."""
    low, _, coverage = median_ci([float(i) for i in range(n)])
    return int(low) + 1, coverage


def run_dates(frame: pd.DataFrame) -> pd.Series:
    """When each row's run started: the earliest pyperf ``date`` of its machine,
    interpreter and run, else the start the run id spells (``2026-11-25T08-18-49Z-...``)."""
    when = pd.to_datetime(frame["date"], errors="coerce", format="ISO8601")
    started = pd.to_datetime(
        frame["run_id"].astype(str).str.slice(0, 20), format="%Y-%m-%dT%H-%M-%SZ", errors="coerce"
    )
    when = when.fillna(started)
    keys = [frame[k].astype(str) for k in ("machine", "interpreter", "run_id")]
    return when.groupby(keys, dropna=False).transform("min")


def empty_summaries() -> pd.DataFrame:
    return pd.DataFrame(columns=SUMMARY_COLUMNS)


def run_summaries(frame: pd.DataFrame) -> pd.DataFrame:
    """Per machine, interpreter, run, benchmark and metric (numeric units only):
    ``date`` (the run's start, see :func:`run_dates`), ``n`` values, their ``median``
    and the distribution-free interval of the median ``low``/``high`` with its
    ``coverage`` (``bench.report.metrics.median_ci``: 95 % from six values on; the
    range, with its real coverage, below). Sorted by :data:`SUMMARY_KEYS`."""
    if frame.empty:
        return empty_summaries()
    if DEFINITION_HASH_KEY not in frame:  # a frame made by hand, not read from files
        frame = frame.assign(**{DEFINITION_HASH_KEY: None})
    rows = frame[frame["unit"].isin(NUMERIC_UNITS)]
    numbers = pd.to_numeric(rows["value"], errors="coerce").astype(float)
    rows = rows.assign(_x=numbers, date=run_dates(rows) if not rows.empty else rows["date"])
    rows = rows[rows["_x"].notna()]
    if rows.empty:
        return empty_summaries()
    grouped = rows.groupby(SUMMARY_KEYS, dropna=False, sort=True)
    ids = grouped.ngroup().to_numpy()
    values = rows["_x"].to_numpy()
    order = np.lexsort((values, ids))
    ordered = values[order]
    sizes = np.bincount(ids)
    starts = np.concatenate(([0], np.cumsum(sizes)[:-1]))
    ks = np.array([_order_k(int(n))[0] for n in sizes])
    out = grouped[["date", *CONTEXT]].first().reset_index()
    out["n"] = sizes
    out["median"] = grouped["_x"].median().to_numpy()
    out["low"] = ordered[starts + ks - 1]
    out["high"] = ordered[starts + sizes - ks]
    out["coverage"] = [_order_k(int(n))[1] for n in sizes]
    return out.loc[:, SUMMARY_COLUMNS]
