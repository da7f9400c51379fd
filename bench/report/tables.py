"""Markdown tables (GitHub / MkDocs pipe tables): pure functions, DataFrame in, str out.

Every cell is escaped, whatever its origin: CPU names, hostnames and exception
texts come from results files that anyone may send, and the site must show them
as plain text, never as Markdown structure or HTML. Numbers are written by
``bench.report.format``; a missing value is shown as ``MISSING``. Rows are
sorted on fixed keys, so the same data always gives the same string (the site's
pages are diffed night to night).

Over 400 lines on purpose: the generic table and its sorting rules, then one short
function per table of the report; the guide's extra tables are in ``guide_tables``.
"""

from __future__ import annotations

import statistics
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from numbers import Real
from typing import Any

import numpy as np
import pandas as pd

from bench.report.format import (
    DASH,
    MISSING,
    TIMES,
    UNIT_FORMATS,
    Formatter,
    format_any,
    format_bytes,
    format_interval,
    format_number,
    format_ratio,
    format_seconds,
    is_missing,
    significant,
)
from bench.report.markdown import inert
from bench.report.select import model_label

#: What a table with no rows becomes: one short line instead of a header with no body.
NO_DATA = "_No data._\n"

#: Metrics of the race and fault measurements, in reading order (others follow, sorted).
OUTCOME_METRICS = (
    "lost_updates",
    "lost_updates_per_million",
    "seconds_per_million_increments",
    "final_count",
    "tasks_finished",
    "tasks_failed",
    "raised",
    "recovered",
    "crashed_exitcode",
    "program_exitcode",
    "program_survived",
    "parent_rss_growth_bytes",
    "workers_rss_bytes_at_end",
)

# --------------------------------------------------------------------------- the generic table


def markdown_table(
    frame: pd.DataFrame,
    columns: Sequence[tuple[str, str]],
    formats: Mapping[str, Formatter] | None = None,
    right: Iterable[str] = (),
) -> str:
    """A pipe table of ``frame``'s rows, in their order, with ``columns`` as
    ``(column, header)`` pairs. A cell is ``formats[column](value)`` (``format_any``
    without one) or ``MISSING``; every cell and header is escaped. Columns named in
    ``right`` are right-aligned (numbers). No rows gives ``NO_DATA``."""
    if frame.empty:
        return NO_DATA
    formats = formats or {}
    right = set(right)
    names = [name for name, _ in columns]
    missing = [name for name in names if name not in frame.columns]
    if missing:
        raise KeyError(f"markdown_table: no column {missing} in the frame")

    def cell(name: str, value: Any) -> str:
        if is_missing(value):
            return MISSING
        return inert(formats.get(name, format_any)(value))

    lines = [
        _row([inert(header) for _, header in columns]),
        _row(["---:" if name in right else "---" for name in names]),
    ]
    lines.extend(
        _row([cell(name, value) for name, value in zip(names, values, strict=True)])
        for values in frame.loc[:, names].itertuples(index=False, name=None)
    )
    return "\n".join(lines) + "\n"


def _row(cells: list[str]) -> str:
    # An empty cell would be dropped by some renderers and shift the row.
    return "| " + " | ".join(c or MISSING for c in cells) + " |"


# --------------------------------------------------------------------------- helpers


def ensure_columns(frame: pd.DataFrame, columns: Iterable[str]) -> pd.DataFrame:
    """``frame`` with every one of ``columns``, missing ones added empty (older results)."""
    absent = [c for c in columns if c not in frame.columns]
    if not absent:
        return frame
    return frame.assign(**dict.fromkeys(absent, None))


#: What tells the rows of a frame holding several machines, runs or interpreters apart.
IDENTITY = [("machine", "machine"), ("run_id", "run"), ("interpreter", "interpreter")]


def identity_keys(frame: pd.DataFrame) -> list[str]:
    """The identity columns ``frame`` has: results of different runs are never merged."""
    return [name for name, _ in IDENTITY if name in frame.columns]


def with_identity(frame: pd.DataFrame, columns: list[tuple[str, str]]) -> list[tuple[str, str]]:
    # One machine, run and interpreter per table is the usual page: those columns are
    # shown only when they tell rows apart.
    shown = [
        (name, header)
        for name, header in IDENTITY
        if name in frame.columns and frame[name].nunique(dropna=True) > 1
    ]
    return [*shown, *columns]


def sorted_rows(frame: pd.DataFrame, keys: list[str]) -> pd.DataFrame:
    """Rows in a fixed order: by ``keys``, missing values last, ties kept as they came."""
    keys = [k for k in keys if k in frame.columns]
    if not keys:
        return frame.reset_index(drop=True)
    return frame.sort_values(keys, kind="stable", na_position="last", key=sort_key).reset_index(
        drop=True
    )


def sort_key(column: pd.Series) -> pd.Series:
    # Numbers sort as numbers; anything else (mixed objects, None) as text.
    if pd.api.types.is_numeric_dtype(column) or pd.api.types.is_bool_dtype(column):
        return column
    return column.map(lambda v: None if is_missing(v) else str(v))


def _distinct(values: pd.Series) -> str | None:
    """The distinct values of a column as one text ("2" or "disabled, enabled")."""
    seen = sorted({format_any(v) for v in values if not is_missing(v)})
    return ", ".join(seen) if seen else None


# --------------------------------------------------------------------------- specific tables


def speedup_table(speedups: pd.DataFrame) -> str:
    """Paired speedups (``metrics.paired_speedups``): one row per case, grouped by
    workload, the baseline first; the speedup is the one estimate of a ratio (the
    geometric mean of the rounds' ratios) with its 95 % interval in parentheses, as
    the verdicts and figures write it; ``rounds`` counts the rounds it rests on."""
    if speedups.empty:
        return NO_DATA
    frame = sorted_rows(
        ensure_columns(speedups, ["group", "start_method"]),
        [*identity_keys(speedups), "group", "workers", "model", "start_method", "benchmark"],
    )
    frame["speedup_text"] = [
        _speedup_text(m, lo, hi)
        for m, lo, hi in zip(frame["speedup"], frame["low"], frame["high"], strict=True)
    ]
    columns = [
        ("benchmark", "benchmark"),
        ("model", "model"),
        ("start_method", "start method"),
        ("workers", "workers"),
        ("speedup_text", "speedup (95% CI)"),
        ("rounds", "rounds"),
    ]
    return markdown_table(
        frame,
        with_identity(frame, columns),
        {"model": model_label},
        right=["workers", "speedup_text", "rounds"],
    )


def _speedup_text(value: Any, low: Any, high: Any) -> str | None:
    if is_missing(value):
        return None
    if is_missing(low) or is_missing(high):
        return format_ratio(value)
    return f"{format_ratio(value)} ({format_interval(low, high)})"


def environment_table(frame: pd.DataFrame) -> str:
    """Where the numbers come from: one row per machine and interpreter, with the CPU,
    its logical cores, the Python version and build, the GIL state the workers saw
    and the dates of the runs (UTC, to the minute)."""
    if frame.empty:
        return NO_DATA
    keys = ["machine", "interpreter"]
    fields = {
        "cpu_model_name": "CPU",
        "cpu_count": "cores",
        "python_version": "Python",
        "python_build": "build",
        "gil_enabled": "GIL",
    }
    data = ensure_columns(frame, [*keys, *fields, "run_id"])
    data = data.assign(_when=_run_times(data))
    rows = []
    for key, part in data.groupby(keys, dropna=False, sort=False):
        row = dict(zip(keys, key, strict=True))
        row |= {name: _distinct(part[name]) for name in fields}
        row["dates"] = _date_range(part["_when"])
        rows.append(row)
    table = sorted_rows(pd.DataFrame(rows), keys)
    columns = [("machine", "machine"), ("interpreter", "interpreter")]
    columns += [*fields.items(), ("dates", "date (UTC)")]
    return markdown_table(table, columns, right=["cpu_count"])


def capacity_table(summary: pd.DataFrame) -> str:
    """The parallel capacity of each run (``capacity.capacity_summary``), per interpreter:
    the median of its rounds' capacities in cores, with their range, how many rounds
    were probed and how many fell below the threshold a speedup at every core needs
    (their speedups at that many workers are left out of the estimates)."""
    if summary.empty:
        return NO_DATA
    table = sorted_rows(summary, [*identity_keys(summary)])
    table = table.assign(
        capacity_text=[
            None if is_missing(m) else f"{significant(float(m))} ({_cores_range(lo, hi)})"
            for m, lo, hi in zip(table["median"], table["low"], table["high"], strict=True)
        ],
        below_text=[
            None if is_missing(t) else f"{int(b)} (below {significant(float(t))})"
            for b, t in zip(table["below"], table["threshold"], strict=True)
        ],
    )
    columns = [
        ("interpreter", "interpreter"),
        ("cores", "cores"),
        ("rounds", "rounds"),
        ("capacity_text", "capacity, cores: median (range)"),
        ("below_text", "rounds below threshold"),
    ]
    shown = [c for c in IDENTITY if c[0] != "interpreter" and c[0] in table.columns
             and table[c[0]].nunique(dropna=True) > 1]  # fmt: skip
    return markdown_table(
        table, [*shown, *columns], {"cores": format_any}, right=["cores", "rounds"]
    )


def _cores_range(low: Any, high: Any) -> str:
    if is_missing(low) or is_missing(high):
        return MISSING
    return f"{significant(float(low))}{DASH}{significant(float(high))}"


def _run_times(frame: pd.DataFrame) -> pd.Series:
    """When each value was taken: pyperf's ``date`` when the loader keeps it, else the
    start of its run, which the run id spells as ``2026-11-25T08-18-49Z-<profile>``."""
    if "date" in frame.columns and frame["date"].notna().any():
        return pd.to_datetime(frame["date"], errors="coerce")
    started = frame["run_id"].map(lambda r: r[:20] if isinstance(r, str) else None)
    return pd.to_datetime(started, format="%Y-%m-%dT%H-%M-%SZ", errors="coerce")


def _date_range(times: pd.Series) -> str | None:
    times = times.dropna()
    if times.empty:
        return None
    first, last = times.min(), times.max()
    start = first.strftime("%Y-%m-%d %H:%M")
    if first.floor("min") == last.floor("min"):
        return start
    if first.date() == last.date():
        return f"{start}{DASH}{last.strftime('%H:%M')}"
    return f"{start} {DASH} {last.strftime('%Y-%m-%d %H:%M')}"


def timings_table(frame: pd.DataFrame) -> str:
    """Every timed benchmark (unit "second"): median, min and max of its values, how
    many values and how many rounds. Absolute times drift with the CPU's speed: this
    is the raw record, the speedups are the comparison."""
    if frame.empty or "time_s" not in frame.columns:
        return NO_DATA
    timed = ensure_columns(frame, ["round"])
    timed = timed[timed["time_s"].notna()].assign(time_s=lambda f: f["time_s"].astype(float))
    if timed.empty:
        return NO_DATA
    keys = [*identity_keys(timed), "benchmark"]
    summary = (
        timed.groupby(keys, dropna=False)
        .agg(
            median=("time_s", "median"),
            low=("time_s", "min"),
            high=("time_s", "max"),
            values=("time_s", "size"),
            rounds=("round", "nunique"),
        )
        .reset_index()
    )
    summary = sorted_rows(summary, keys)
    columns = [
        ("benchmark", "benchmark"),
        ("median", "median"),
        ("low", "min"),
        ("high", "max"),
        ("values", "values"),
        ("rounds", "rounds"),
    ]
    seconds = dict.fromkeys(["median", "low", "high"], format_seconds)
    return markdown_table(
        summary,
        with_identity(summary, columns),
        seconds,
        right=["median", "low", "high", "values", "rounds"],
    )


def memory_table(fits: pd.DataFrame) -> str:
    """Extra memory per added worker (``metrics.memory_per_worker``): RSS, USS and PSS
    side by side for each model, start method and variant (idle or with a working set)."""
    if fits.empty:
        return NO_DATA
    keys = [*identity_keys(fits), "model", "start_method", "variant"]
    data = ensure_columns(fits, keys)
    rows = []
    for key, part in data.groupby(keys, dropna=False, sort=False):
        slopes = dict(zip(part["metric"], part["bytes_per_worker"], strict=True))
        rows.append(
            dict(zip(keys, key, strict=True))
            | {m: slopes.get(f"{m}_bytes") for m in ("rss", "uss", "pss")}
            | {"worker_counts": part["worker_counts"].max()}
        )
    table = sorted_rows(pd.DataFrame(rows), keys)
    columns = [
        ("model", "model"),
        ("start_method", "start method"),
        ("variant", "variant"),
        ("rss", "RSS per worker"),
        ("uss", "USS per worker"),
        ("pss", "PSS per worker"),
        ("worker_counts", "worker counts"),
    ]
    per_worker: dict[str, Formatter] = dict.fromkeys(["rss", "uss", "pss"], format_bytes)
    per_worker["model"] = model_label
    return markdown_table(
        table,
        with_identity(table, columns),
        per_worker,
        right=["rss", "uss", "pss", "worker_counts"],
    )


def ipc_table(throughput: pd.DataFrame) -> str:
    """Round trips by channel and payload (``metrics.ipc_throughput``), smallest payload
    first, with the memory copy's MB/s of the same payload as the ceiling."""
    if throughput.empty:
        return NO_DATA
    table = sorted_rows(
        ensure_columns(throughput, ["start_method", "memcpy_mb_per_s"]),
        [*identity_keys(throughput), "size", "model", "start_method"],
    )
    columns = [
        ("model", "channel"),
        ("start_method", "start method"),
        ("size", "payload"),
        ("round_trip_s", "round trip"),
        ("mb_per_s", "MB/s"),
        ("memcpy_mb_per_s", "memcpy MB/s"),
    ]
    formats = {
        "size": format_bytes,
        "round_trip_s": format_seconds,
        "mb_per_s": format_number,
        "memcpy_mb_per_s": format_number,
    }
    return markdown_table(
        table,
        with_identity(table, columns),
        formats,
        right=["size", "round_trip_s", "mb_per_s", "memcpy_mb_per_s"],
    )


def outcomes_table(frame: pd.DataFrame) -> str:
    """The race and fault measurements, one row per benchmark and metric. Values are
    summarised by their unit: one value or all equal: that value; numbers that vary:
    median (min-max); flags and texts that vary: each with its count. ``n`` is how
    many values there were."""
    if frame.empty or "measure" not in frame.columns:
        return NO_DATA
    data = ensure_columns(frame, ["benchmark", "metric", "unit", "value"])
    data = data[data["measure"].isin(["race", "fault"])]
    if data.empty:
        return NO_DATA
    identity = identity_keys(data)
    rows = []
    for key, part in data.groupby([*identity, "benchmark", "metric", "unit"], dropna=False):
        row = dict(zip([*identity, "benchmark", "metric", "unit"], key, strict=True))
        rows.append(
            row
            | {
                "benchmark": _strip_suffix(row["benchmark"], row["metric"]),
                "order": _metric_order(row["metric"]),
                "values": summarise_values(list(part["value"]), row["unit"]),
            }
        )
    table = sorted_rows(pd.DataFrame(rows), [*identity, "benchmark", "order", "metric"])
    columns = [("benchmark", "benchmark"), ("metric", "metric"), ("values", "values")]
    return markdown_table(table, with_identity(table, columns))


def _strip_suffix(benchmark: Any, metric: Any) -> Any:
    # Outcome benchmarks are named "<case> <metric>"; the metric has its own column.
    if isinstance(benchmark, str) and isinstance(metric, str):
        return benchmark.removesuffix(f" {metric}")
    return benchmark


def _metric_order(metric: Any) -> int:
    return OUTCOME_METRICS.index(metric) if metric in OUTCOME_METRICS else len(OUTCOME_METRICS)


def summarise_values(values: list[Any], unit: Any) -> str:
    """Several values of one metric as one cell's text (see ``outcomes_table``)."""
    present = [v for v in values if not is_missing(v)]
    if not present:
        return MISSING
    fmt = UNIT_FORMATS.get(unit, format_any) if isinstance(unit, str) else format_any
    n = f"n={len(present)}"
    numeric = all(isinstance(v, Real) and not isinstance(v, (bool, np.bool_)) for v in present)
    if numeric:
        numbers = [float(v) for v in present]
        low, high = min(numbers), max(numbers)
        if low == high:
            return f"{fmt(low)}, {n}"
        return f"{fmt(statistics.median(numbers))} ({fmt(low)}{DASH}{fmt(high)}), {n}"
    counts = Counter(fmt(v) for v in present)
    if len(counts) == 1:
        return f"{next(iter(counts))}, {n}"
    ranked = sorted(counts.items(), key=lambda item: (-item[1], item[0]))
    return "; ".join(f"{text} {TIMES}{count}" for text, count in ranked)
