"""The free-threaded builds by series: which builds were compared, how each was built, and
what one thread and two threads get on each, from the same estimates the claims quote."""

from __future__ import annotations

from typing import Any

import pandas as pd

from bench.families.free_threading.claims import (
    CAPACITY,
    JUDGED_FAMILY,
    free_thread_comparison,
    judged_workers,
    of_pair,
)
from bench.families.free_threading.crossbuild import (
    build_pairs,
    estimate_of,
    flags_differ,
    flags_text,
    single_thread_cost,
    task_label,
)
from bench.models import Role, model_of
from bench.report.format import format_estimate
from bench.report.select import config_label, where
from bench.report.tables import NO_DATA, markdown_table, sorted_rows, table

#: The series the nightly measures, each beside its free-threaded build: the matrix of
#: .github/workflows/nightly.yml (a test holds the two together). A series with no results
#: here is named, and the measured series stand in for it, labelled as such.
NIGHTLY_SERIES = ("3.13", "3.14", "3.15")
GIL_WORDS = {"disabled": "GIL off", "enabled": "GIL on"}

COLUMNS = [
    ("series", "series"),
    ("free", "free-threaded build"),
    ("default", "against the default build"),
    ("flags", "build flags (free-threaded; default)"),
    ("cost", "one thread: time over the default build's loop"),
    ("work", "2 threads: time over the default build's process pool"),
]


def _per_task(estimates: dict[str, Any]) -> str:
    return "; ".join(f"{task} {format_estimate(e)}" for task, e in estimates.items()) or "-"


def series_rows(frame: pd.DataFrame) -> list[dict[str, Any]]:
    """One row per free-threaded build paired with a default build of its series."""
    pairs = build_pairs(frame)
    costs = single_thread_cost(where(frame, family=JUDGED_FAMILY))
    work = free_thread_comparison(where(frame, family=(JUDGED_FAMILY, CAPACITY)))
    thread_pool = model_of(Role.THREAD_POOL)
    rows = []
    for _, pair in pairs.iterrows():
        mine = of_pair(costs, pair).sort_values("size") if not costs.empty else costs
        cost = {task_label(str(r["group"])): estimate_of(r, "cost") for _, r in mine.iterrows()}
        same = of_pair(work, pair) if not work.empty else work
        same = same[same["model"] == thread_pool] if not same.empty else same
        workers = judged_workers(same) if not same.empty else None
        at = same[same["workers"] == workers].sort_values("size") if workers else same.iloc[0:0]
        against = {task_label(str(r["group"])): estimate_of(r, "vs_pool") for _, r in at.iterrows()}
        pool = (
            config_label(model_of(Role.PROCESS_POOL), at["pool_start_method"].iloc[0])
            if not at.empty
            else ""
        )
        differ = flags_differ(pair)
        rows.append(
            {
                "minor": str(pair["minor"]),
                "series": f"{pair['minor']}t",
                "free": f"{pair['interpreter']} ({pair.get('version') or '?'}, "
                f"{GIL_WORDS.get(pair['gil'], 'GIL unknown')})",
                "default": f"{pair['default_interpreter']} ({pair.get('default_version') or '?'})",
                "flags": f"{flags_text(pair)}; {flags_text(pair, 'default_')}"
                + (f" (differ: {', '.join(differ)})" if differ else ""),
                "cost": _per_task(cost),
                "work": _per_task(against) + (f" ({pool})" if pool else ""),
            }
        )
    return rows


def by_series_table(frame: pd.DataFrame) -> str:
    """Every free-threaded build measured beside a default build of its own series, with
    its versions, build flags, one thread's cost and two threads against the default
    build's process pool (``crossbuild``); then each series the nightly measures that
    these results lack, saying which measured series stand in for it."""
    rows = series_rows(frame) if not frame.empty else []
    if not rows:
        return NO_DATA
    measured = sorted({r["minor"] for r in rows})
    stand_in = ", ".join(f"{m}t" for m in measured)
    for series in NIGHTLY_SERIES:
        if series not in measured:
            rows.append(
                {
                    "minor": series,
                    "series": f"{series}t",
                    "free": f"not in these results (the nightly measures it); "
                    f"the {stand_in} rows stand in for it",
                }
            )
    data = sorted_rows(pd.DataFrame(rows), ["minor"])
    return markdown_table(data, COLUMNS)


@table("free_threading_by_series", order=65)
def free_threading_by_series(latest: pd.DataFrame) -> str:
    return by_series_table(latest)
