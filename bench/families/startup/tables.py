"""The start method a program gets without asking, and what it costs: on Linux, fork
before Python 3.14 and forkserver from 3.14 on. Per interpreter, a process pool's time to
its first result and its whole life (create, one task per worker, shut down) under each
start method, and forkserver's and spawn's times over fork's, paired within each round.
"""

from __future__ import annotations

import pandas as pd

from bench.report.claims import default_start_method
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

MODEL = "process_pool"
METHODS = ("fork", "forkserver", "spawn")
FAMILY = "pool_startup"  # both pool families' group: ``timed`` tells them apart
#: What each case times, as the table names it.
TIMED = {
    "first_result": "first result",
    "lifecycle": "create, one task per worker, shut down",
}


def start_method_table(frame: pd.DataFrame) -> str:
    """A row per machine, run, interpreter, timing and worker count of the process pool:
    the default start method of that interpreter, the median time under each method over
    its rounds, and forkserver / fork and spawn / fork paired per round."""
    if frame.empty or not {"family", "model", "start_method", "timed"} <= set(frame.columns):
        return NO_DATA
    rows = frame[
        (frame["family"] == FAMILY)
        & (frame["model"] == MODEL)
        & frame["timed"].isin(tuple(TIMED))
        & frame["start_method"].isin(METHODS)
    ]
    if rows.empty:
        return NO_DATA
    identity = identity_keys(rows)
    out = []
    keys = [*identity, "timed", "workers"]
    for key, part in rows.groupby(keys, dropna=False, sort=True):
        row = dict(zip(keys, key, strict=True))
        row["what"] = TIMED[str(row["timed"])]
        row["default"] = default_start_method(part)
        for method in METHODS:
            row[method] = median_value(part[part["start_method"] == method])
        for method in METHODS[1:]:
            row[f"{method}_over_fork"] = format_estimate(
                paired_ratio(part, "start_method", method, "fork")
            )
        out.append(row)
    table = sorted_rows(pd.DataFrame(out), keys)
    columns = [
        ("default", "default start method"),
        ("what", "timed"),
        ("workers", "workers"),
        *((method, method) for method in METHODS),
        ("forkserver_over_fork", "forkserver / fork (per round)"),
        ("spawn_over_fork", "spawn / fork (per round)"),
    ]
    formats = dict.fromkeys(METHODS, format_seconds)
    return markdown_table(table, with_identity(table, columns), formats,
                          right=[*METHODS, "workers", "forkserver_over_fork",
                                 "spawn_over_fork"])  # fmt: skip


@table("start_methods", order=35)
def start_methods(latest: pd.DataFrame) -> str:
    return start_method_table(latest)
