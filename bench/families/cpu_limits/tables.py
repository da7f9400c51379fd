"""The CPU limits table: what a child counts, and what a pool gains, under each limit."""

from __future__ import annotations

from numbers import Real
from typing import Any

import pandas as pd

from bench.families.cpu_limits.measure import QUOTA_NOTE
from bench.report.estimate import ratio_estimate
from bench.report.format import format_any, format_estimate
from bench.report.markdown import inert
from bench.report.tables import (
    NO_DATA,
    ensure_columns,
    identity_keys,
    markdown_table,
    one_cell,
    sorted_rows,
    table,
    with_identity,
)

#: The CPU limits' variants as a reader knows them, in reading order.
CPU_LIMIT_LABELS = {
    "unrestricted": "no limit",
    "affinity_1": "affinity cut to 1 core (os.sched_setaffinity)",
    "x_cpu_count_1": "-X cpu_count=1",
}


_CPU_LIMIT_COLUMNS = (
    ("cpu_count", "os.cpu_count()"),
    ("process_cpu_count", "os.process_cpu_count()"),
    ("affinity_cores", "cores allowed"),
    ("default_thread_workers", "ThreadPoolExecutor default"),
    ("default_process_workers", "ProcessPoolExecutor default"),
    ("cgroup_cpu_quota", "cgroup CPU quota"),
    ("pool_speedup", "2 tasks on 2 processes: speedup"),
)


def cpu_limits_table(frame: pd.DataFrame) -> str:
    """What a child interpreter counts and what a pool of 2 processes gains on 2 pure-Python
    tasks, with no limit, its affinity cut to one core and ``-X cpu_count=1``
    (``bench.families.cpu_limits.measure``); a note says why a cgroup quota is only read."""
    if frame.empty or "measure" not in frame.columns:
        return NO_DATA
    data = ensure_columns(frame, ["variant", "metric", "value"])
    data = data[data["measure"] == "cpu_limits"]
    if data.empty:
        return NO_DATA
    identity = identity_keys(data)
    order = list(CPU_LIMIT_LABELS)
    rows = []
    for key, part in data.groupby([*identity, "variant"], dropna=False, sort=False):
        row = dict(zip([*identity, "variant"], key, strict=True))
        row["limit"] = CPU_LIMIT_LABELS.get(str(row["variant"]), row["variant"])
        row["order"] = order.index(row["variant"]) if row["variant"] in order else len(order)
        for metric, _ in (*_CPU_LIMIT_COLUMNS, ("skipped", "")):
            values = list(part.loc[part["metric"] == metric, "value"])
            if metric == "pool_speedup":
                row[metric] = speedup_cell(values)
            else:
                row[metric] = one_cell(values, format_any)
        rows.append(row)
    table = sorted_rows(pd.DataFrame(rows), [*identity, "order", "variant"])
    columns = [("limit", "limit"), *_CPU_LIMIT_COLUMNS]
    if table["skipped"].notna().any():
        columns.append(("skipped", "note"))
    right = [name for name, _ in _CPU_LIMIT_COLUMNS if name != "cgroup_cpu_quota"]
    body = markdown_table(table, with_identity(table, columns), right=right)
    return f"{body}\n_{inert(QUOTA_NOTE[:1].upper() + QUOTA_NOTE[1:])}._\n"


def speedup_cell(values: list[Any]) -> str | None:
    """The pool's speedups under one limit as every speedup is written: the estimate with
    its 95 % interval and count ("1.3x (n=1)" where it rests on one value); anything but
    numbers (a text a newer suite sends) as it came."""
    numbers = [float(v) for v in values if isinstance(v, Real) and not isinstance(v, bool)]
    if numbers and len(numbers) == len(values):
        return format_estimate(ratio_estimate(numbers))
    return one_cell(values, format_any)


@table("cpu_limits", order=90)
def cpu_limits(latest: pd.DataFrame) -> str:
    return cpu_limits_table(latest)
