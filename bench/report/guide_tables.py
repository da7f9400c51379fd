"""Tables of what the guide measures beyond speed: what breaks where, CPU limits, and
copy-on-write as it really behaves. Pure functions, DataFrame in, Markdown out, built on
``tables``' generic table (escaped cells, fixed row order)."""

from __future__ import annotations

import statistics
from collections import Counter
from numbers import Real
from typing import Any

import numpy as np
import pandas as pd

from bench.report.format import (
    DASH,
    TIMES,
    Formatter,
    format_any,
    format_bytes,
    format_ratio,
    is_missing,
)
from bench.report.markdown import inert
from bench.report.select import is_process, model_where
from bench.report.tables import (
    NO_DATA,
    ensure_columns,
    identity_keys,
    markdown_table,
    sorted_rows,
    with_identity,
)

#: Start methods in the order the guide discusses them; others (none today) follow, sorted.
START_METHOD_ORDER = ("fork", "forkserver", "spawn")


def _one_cell(values: list[Any], fmt: Formatter = format_any) -> str | None:
    """Several values of one thing as one cell: the value when all agree, else each
    with its count; numbers that vary: median (min-max)."""
    present = [v for v in values if not is_missing(v)]
    if not present:
        return None
    numeric = all(isinstance(v, Real) and not isinstance(v, (bool, np.bool_)) for v in present)
    if numeric and len({float(v) for v in present}) > 1:
        numbers = [float(v) for v in present]
        return f"{fmt(statistics.median(numbers))} ({fmt(min(numbers))}{DASH}{fmt(max(numbers))})"
    counts = Counter(fmt(v) for v in present)
    if len(counts) == 1:
        return next(iter(counts))
    ranked = sorted(counts.items(), key=lambda item: (-item[1], item[0]))
    return "; ".join(f"{text} {TIMES}{count}" for text, count in ranked)


def pitfalls_table(frame: pd.DataFrame) -> str:
    """What breaks where (``bench.families.pitfalls.measure``): a row per mistake and process API,
    a column per start method, each cell what the program met: "works", or the exception
    (type and first line), what a dying worker printed and any warning shown."""
    from bench.families.pitfalls.apis import PROCESS_APIS
    from bench.families.pitfalls.measure import PITFALLS

    if frame.empty or "measure" not in frame.columns:
        return NO_DATA
    data = ensure_columns(frame, ["variant", "model", "start_method", "metric", "value"])
    data = data[(data["measure"] == "pitfalls") & (data["metric"] == "outcome")]
    if data.empty:
        return NO_DATA
    identity = identity_keys(data)
    methods = sorted(
        {str(m) for m in data["start_method"].dropna()},
        key=lambda m: (START_METHOD_ORDER.index(m) if m in START_METHOD_ORDER else 99, m),
    )
    order = list(PITFALLS)
    apis = list(PROCESS_APIS)
    rows = []
    for key, part in data.groupby([*identity, "variant", "model"], dropna=False, sort=False):
        row = dict(zip([*identity, "variant", "model"], key, strict=True))
        known = PITFALLS.get(str(row["variant"]))
        row |= {
            "mistake": known.label if known else row["variant"],
            "api": api.label if (api := PROCESS_APIS.get(str(row["model"]))) else row["model"],
            "order": order.index(row["variant"]) if known else len(order),
            "api_order": apis.index(row["model"]) if row["model"] in apis else len(apis),
        }
        for method in methods:
            cell = part[part["start_method"] == method]
            row[f"method:{method}"] = _one_cell(list(cell["value"]))
        rows.append(row)
    table = sorted_rows(pd.DataFrame(rows), [*identity, "order", "variant", "api_order", "model"])
    columns = [("mistake", "mistake"), ("api", "API")]
    columns += [(f"method:{m}", m) for m in methods]
    return markdown_table(table, with_identity(table, columns))


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
    from bench.families.cpu_limits.measure import QUOTA_NOTE

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
            row[metric] = _one_cell(
                values, _speedup_cell if metric == "pool_speedup" else format_any
            )
        rows.append(row)
    table = sorted_rows(pd.DataFrame(rows), [*identity, "order", "variant"])
    columns = [("limit", "limit"), *_CPU_LIMIT_COLUMNS]
    if table["skipped"].notna().any():
        columns.append(("skipped", "note"))
    right = [name for name, _ in _CPU_LIMIT_COLUMNS if name != "cgroup_cpu_quota"]
    body = markdown_table(table, with_identity(table, columns), right=right)
    return f"{body}\n_{inert(QUOTA_NOTE[:1].upper() + QUOTA_NOTE[1:])}._\n"


def _speedup_cell(value: Any) -> str:
    # A ratio as the speedups write it; anything else (a text a newer suite sends) as is.
    return format_ratio(value) if isinstance(value, Real) else str(value)


#: The structures every forked worker reads, as a reader knows them, in reading order.
COPY_ON_WRITE_LABELS = {
    "working_set": "one bytes object",
    "small_objects": "small objects (distinct ints in a list)",
    "small_objects_frozen": "small objects, gc.freeze() before the workers start",
}


def copy_on_write_table(fits: pd.DataFrame) -> str:
    """Extra memory per worker process (``metrics.memory_per_worker``) when every worker
    reads 50 MiB held as one bytes object or as many small objects, with and without
    ``gc.freeze()``: PSS (and USS) per worker, with the 95 % interval of the slope."""
    if fits.empty or "variant" not in fits.columns:
        return NO_DATA
    process = model_where(is_process)  # the guide's processes: started per batch
    data = fits[fits["variant"].isin(list(COPY_ON_WRITE_LABELS)) & (fits["model"] == process)]
    if data.empty:
        return NO_DATA
    keys = [*identity_keys(data), "start_method", "variant"]
    data = ensure_columns(data, ["bytes_low", "bytes_high"])
    order = list(COPY_ON_WRITE_LABELS)
    rows = []
    for key, part in data.groupby(keys, dropna=False, sort=False):
        row = dict(zip(keys, key, strict=True))
        row["structure"] = COPY_ON_WRITE_LABELS[str(row["variant"])]
        row["order"] = order.index(row["variant"])
        for kind in ("pss", "uss"):
            fit = part[part["metric"] == f"{kind}_bytes"]
            row[kind] = None if fit.empty else _bytes_with_interval(fit.iloc[0])
        row["worker_counts"] = part["worker_counts"].max()
        rows.append(row)
    table = sorted_rows(pd.DataFrame(rows), [*identity_keys(data), "start_method", "order"])
    columns = [
        ("structure", "what every worker reads"),
        ("start_method", "start method"),
        ("pss", "PSS per worker (95% interval)"),
        ("uss", "USS per worker (95% interval)"),
        ("worker_counts", "worker counts"),
    ]
    return markdown_table(
        table, with_identity(table, columns), right=["pss", "uss", "worker_counts"]
    )


def _bytes_with_interval(fit: pd.Series) -> str:
    value, low, high = fit["bytes_per_worker"], fit.get("bytes_low"), fit.get("bytes_high")
    if is_missing(low) or is_missing(high) or not np.isfinite(float(low) + float(high)):
        return format_bytes(value)
    return f"{format_bytes(value)} ({format_bytes(low)}{DASH}{format_bytes(high)})"
