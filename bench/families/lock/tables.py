"""The lock-cost table: seconds per million increments with no lock and under a lock, and
the lock's cost as their ratio within each round, per worker count and interpreter."""

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

METRIC = "seconds_per_million_increments"


def contention(workers: int) -> str:
    return "1 thread (uncontended)" if workers == 1 else f"{workers} threads (contended)"


def lock_cost_table(frame: pd.DataFrame) -> str:
    """A row per machine, run, interpreter and thread count: the median seconds per million
    increments of each variant over its rounds, and locked / no lock paired per round."""
    if frame.empty or "measure" not in frame.columns:
        return NO_DATA
    rows = frame[(frame["measure"] == "lock") & (frame["metric"] == METRIC)]
    if rows.empty:
        return NO_DATA
    identity = identity_keys(rows)
    out = []
    for key, part in rows.groupby([*identity, "workers"], dropna=False, sort=True):
        row = dict(zip([*identity, "workers"], key, strict=True))
        for variant in ("racy", "locked"):
            row[variant] = median_value(part[part["variant"] == variant])
        row["threads"] = contention(int(row["workers"]))
        row["cost"] = format_estimate(paired_ratio(part, "variant", "locked", "racy"))
        out.append(row)
    table = sorted_rows(pd.DataFrame(out), [*identity, "workers"])
    columns = [
        ("threads", "threads on the counter"),
        ("racy", "no lock, per million increments"),
        ("locked", "threading.Lock, per million increments"),
        ("cost", "the lock's cost (locked / no lock, per round)"),
    ]
    formats = {"racy": format_seconds, "locked": format_seconds}
    return markdown_table(table, with_identity(table, columns), formats,
                          right=["racy", "locked", "cost"])  # fmt: skip


@table("lock_cost", order=75)
def lock_cost(latest: pd.DataFrame) -> str:
    return lock_cost_table(latest)
