"""The convoy table: an I/O-bound thread's round trip with nothing else running and
while CPU-bound workers spin, per kind of worker, count and switch interval, and the
slowdown as busy / idle paired within each round."""

from __future__ import annotations

import pandas as pd

from bench.report.format import format_estimate, format_seconds
from bench.report.rounds import paired_ratio
from bench.report.tables import (
    NO_DATA,
    identity_keys,
    markdown_table,
    median_value,
    sorted_rows,
    table,
    with_identity,
)

IDLE, BUSY = "idle_round_trip_seconds", "busy_round_trip_seconds"
SWITCH = {"switch_default": "default (5 ms)", "switch_0.5ms": "0.5 ms"}


def convoy_table(frame: pd.DataFrame) -> str:
    """A row per machine, run, interpreter, CPU-bound model, switch interval and worker
    count: the medians over the rounds, and busy / idle per round."""
    if frame.empty or "measure" not in frame.columns:
        return NO_DATA
    rows = frame[(frame["measure"] == "convoy") & frame["metric"].isin((IDLE, BUSY))]
    if rows.empty:
        return NO_DATA
    identity = identity_keys(rows)
    keys = [*identity, "model", "variant", "workers"]
    out = []
    for key, part in rows.groupby(keys, dropna=False, sort=True):
        row = dict(zip(keys, key, strict=True))
        row["switch"] = SWITCH.get(str(row["variant"]), str(row["variant"]))
        row["idle"] = median_value(part[part["metric"] == IDLE])
        row["busy"] = median_value(part[part["metric"] == BUSY])
        estimate = paired_ratio(part, "metric", BUSY, IDLE)
        row["slowdown"] = format_estimate(estimate) if estimate.n else None
        out.append(row)
    table = sorted_rows(pd.DataFrame(out), keys)
    columns = [
        ("model", "CPU-bound workers are"),
        ("workers", "how many"),
        ("switch", "switch interval"),
        ("idle", "round trip, nothing else running"),
        ("busy", "round trip, workers spinning"),
        ("slowdown", "busy / idle (per round)"),
    ]
    formats = {"idle": format_seconds, "busy": format_seconds}
    return markdown_table(table, with_identity(table, columns), formats,
                          right=["workers", "idle", "busy", "slowdown"])  # fmt: skip


@table("convoy", order=63)
def convoy(latest: pd.DataFrame) -> str:
    return convoy_table(latest)
