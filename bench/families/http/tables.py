"""The HTTP table: the requests each client really kept in flight, beside what it was given.

A client given 4,096 in flight may keep far fewer (a thread pool starts a thread only when
none is idle, and a client that is busy sending cannot keep many waiting), so the claim
compares clients at equal requests really in flight and this table shows them.
"""

from __future__ import annotations

import pandas as pd

from bench.families.http.claims import achieved_in_flight, per_round
from bench.families.http.clients import CLIENTS
from bench.report.format import DASH, format_bytes, format_number
from bench.report.select import where
from bench.report.tables import (
    NO_DATA,
    identity_keys,
    markdown_table,
    sorted_rows,
    table,
    with_identity,
)

#: The columns after the client and its setting: what it kept in flight, and its cost.
COLUMNS = [
    ("group", "service latency, answer"),
    ("client", "client"),
    ("workers", "configured in flight"),
    ("in_flight", "really in flight (median over rounds, range)"),
    ("rounds", "rounds"),
    ("how", "in flight from"),
    ("peak_rss", "peak RSS"),
    ("threads", "threads started"),
]


def _median_range(values: pd.Series) -> str:
    numbers = values.astype(float)
    middle = format_number(float(numbers.median()))
    if numbers.nunique() < 2:
        return middle
    low, high = format_number(float(numbers.min())), format_number(float(numbers.max()))
    return f"{middle} ({low}{DASH}{high})"


def in_flight_table(frame: pd.DataFrame) -> str:
    """Per interpreter, group, client and configured concurrency: the mean requests in flight
    of each batch (``claims.achieved_in_flight``), their median over rounds with the range,
    how they are known, the client's median peak RSS and the threads it started."""
    rows = where(frame, measure="http")
    if rows.empty:
        return NO_DATA
    identity = identity_keys(rows)
    out = []
    for key, part in rows.groupby([*identity, "group"], dropna=False, sort=True):
        named = dict(zip([*identity, "group"], key, strict=True))
        achieved = achieved_in_flight(part)
        rss = per_round(part, "peak_rss_bytes")
        started = per_round(part, "threads_created")
        for (model, workers), kept in achieved.groupby(["model", "workers"], sort=True):
            mine = (rss["model"] == model) & (rss["workers"] == workers)
            threads = started[(started["model"] == model) & (started["workers"] == workers)]
            out.append(
                named
                | {
                    "group": str(named["group"]).split("[", 1)[-1].replace("] payload=", ", "),
                    "client": CLIENTS[model].label if model in CLIENTS else str(model),
                    "order": list(CLIENTS).index(model) if model in CLIENTS else len(CLIENTS),
                    "workers": int(workers),
                    "in_flight": _median_range(kept["value"]),
                    "rounds": int(kept["round"].nunique()),
                    "how": ", ".join(sorted(set(kept["how"]))),
                    "peak_rss": float(rss.loc[mine, "value"].median()) if mine.any() else None,
                    "threads": int(threads["value"].median()) if not threads.empty else None,
                }
            )
    if not out:
        return NO_DATA
    data = sorted_rows(pd.DataFrame(out), [*identity, "group", "order", "workers"])
    return markdown_table(
        data,
        with_identity(data, COLUMNS),
        {"peak_rss": format_bytes, "workers": lambda v: f"{int(v):,}"},
        right=["workers", "in_flight", "rounds", "peak_rss", "threads"],
    )


@table("http_in_flight", order=70)
def http_in_flight(latest: pd.DataFrame) -> str:
    return in_flight_table(latest)
