"""The map_buffer table: eager ``Executor.map`` against 3.14's ``buffersize`` over a long
input, per pool: time to the first result and to all of them, the parent's peak
allocation, and buffered / eager paired within each round."""

from __future__ import annotations

import pandas as pd

from bench.report.format import format_bytes, format_estimate, format_seconds
from bench.report.rounds import paired_ratio
from bench.report.select import config_label
from bench.report.tables import (
    NO_DATA,
    identity_keys,
    markdown_table,
    median_value,
    sorted_rows,
    table,
    with_identity,
)

METRICS = {
    "first_result_seconds": "first",
    "all_results_seconds": "all",
    "parent_peak_bytes": "peak",
}


def _outcome(rows: pd.DataFrame) -> str | None:
    texts = rows[rows["metric"] == "outcome"]["value"].dropna().astype(str)
    return texts.iloc[0] if not texts.empty else None


def map_buffer_table(frame: pd.DataFrame) -> str:
    """A row per machine, run, interpreter, pool and worker count: the medians over the
    rounds of each variant, and buffered / eager per round (first result, peak)."""
    if frame.empty or "measure" not in frame.columns:
        return NO_DATA
    rows = frame[frame["measure"] == "map_buffer"]
    if rows.empty:
        return NO_DATA
    identity = identity_keys(rows)
    keys = [*identity, "model", "start_method", "workers"]
    out = []
    for key, part in rows.groupby(keys, dropna=False, sort=True):
        row = dict(zip(keys, key, strict=True))
        row["pool"] = config_label(row["model"], row["start_method"])
        for variant in ("eager", "buffered"):
            side = part[part["variant"] == variant]
            for metric, short in METRICS.items():
                row[f"{variant}_{short}"] = median_value(side[side["metric"] == metric])
        buffered = part[part["variant"] == "buffered"]
        row["note"] = _outcome(buffered) or ""
        for metric, short in (("first_result_seconds", "first"), ("parent_peak_bytes", "peak")):
            both = part[part["metric"] == metric]
            estimate = paired_ratio(both, "variant", "buffered", "eager")
            row[f"ratio_{short}"] = format_estimate(estimate) if estimate.n else None
        out.append(row)
    table = sorted_rows(pd.DataFrame(out), keys)
    columns = [
        ("pool", "pool"),
        ("workers", "workers"),
        ("eager_first", "eager: first result"),
        ("buffered_first", "buffersize: first result"),
        ("ratio_first", "first result, buffersize / eager"),
        ("eager_all", "eager: all results"),
        ("buffered_all", "buffersize: all results"),
        ("eager_peak", "eager: parent's peak"),
        ("buffered_peak", "buffersize: parent's peak"),
        ("ratio_peak", "peak, buffersize / eager"),
        ("note", "note"),
    ]
    seconds = ("eager_first", "buffered_first", "eager_all", "buffered_all")
    formats = {**dict.fromkeys(seconds, format_seconds),
               "eager_peak": format_bytes, "buffered_peak": format_bytes}  # fmt: skip
    numbers = [name for name, _ in columns if name not in ("pool", "note")]
    return markdown_table(table, with_identity(table, columns), formats, right=numbers)


@table("map_buffer", order=46)
def map_buffer(latest: pd.DataFrame) -> str:
    return map_buffer_table(latest)
