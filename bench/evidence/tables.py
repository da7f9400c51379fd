"""The report's tables of no one family: the verdicts, the environment, the capacity, every
speedup and timing, and the outcomes of the measures that record outcomes. Built on the
generic table (``bench.report.tables``: escaped cells, fixed row order)."""

from __future__ import annotations

from typing import Any

import pandas as pd

from bench.families import catalogue
from bench.report.format import (
    DASH,
    MISSING,
    format_interval,
    format_percent,
    format_ratio,
    format_seconds,
    is_missing,
    significant,
)
from bench.report.select import model_label
from bench.report.tables import (
    IDENTITY,
    NO_DATA,
    distinct,
    ensure_columns,
    identity_keys,
    markdown_table,
    sorted_rows,
    summarise_values,
    with_identity,
)


def verdict_table(verdicts: pd.DataFrame) -> str:
    return markdown_table(
        verdicts,
        [("statement", "claim"), ("interpreter", "interpreter"), ("verdict", "verdict"),
         ("evidence", "evidence")],
    )  # fmt: skip


def speedup_table(speedups: pd.DataFrame) -> str:
    """Paired speedups (``metrics.paired_speedups``): one row per case, grouped by
    workload, the baseline first; the speedup is the one estimate of a ratio (the
    geometric mean of the rounds' ratios) with its 95 % interval in parentheses, as
    the verdicts and figures write it; ``rounds`` counts the rounds it rests on, and the
    efficiency is the speedup over what the machine gave at that count (its capacity,
    where the run probed it), shown where known."""
    if speedups.empty:
        return NO_DATA
    frame = sorted_rows(
        ensure_columns(speedups, ["group", "start_method", "efficiency"]),
        [*identity_keys(speedups), "group", "workers", "model", "start_method", "benchmark"],
    )
    frame["speedup_text"] = [
        _speedup_text(m, lo, hi)
        for m, lo, hi in zip(frame["speedup"], frame["low"], frame["high"], strict=True)
    ]
    frame["efficiency_text"] = [
        None if is_missing(e) else format_percent(float(e)) for e in frame["efficiency"]
    ]
    columns = [
        ("benchmark", "benchmark"),
        ("model", "model"),
        ("start_method", "start method"),
        ("workers", "workers"),
        ("speedup_text", "speedup (95% CI)"),
        ("rounds", "rounds"),
    ]
    if frame["efficiency_text"].notna().any():
        columns.append(("efficiency_text", "of what the machine gave"))
    return markdown_table(
        frame,
        with_identity(frame, columns),
        {"model": model_label},
        right=["workers", "speedup_text", "rounds", "efficiency_text"],
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
        row |= {name: distinct(part[name]) for name in fields}
        row["dates"] = _date_range(part["_when"])
        rows.append(row)
    table = sorted_rows(pd.DataFrame(rows), keys)
    columns = [("machine", "machine"), ("interpreter", "interpreter")]
    columns += [*fields.items(), ("dates", "date (UTC)")]
    return markdown_table(table, columns, right=["cpu_count"])


def capacity_table(summary: pd.DataFrame) -> str:
    """The parallel capacity of each run (``capacity.capacity_summary``), per interpreter:
    at the most processes probed, the median of its rounds' capacities in cores with their
    range, the machine's logical and physical cores, how many rounds were probed and how
    many were unusually low against the run's others (left out of the estimates)."""
    if summary.empty:
        return NO_DATA
    table = sorted_rows(summary, [*identity_keys(summary)])
    table = table.assign(
        capacity_text=[
            None if is_missing(m) else f"{significant(float(m))} ({_cores_range(lo, hi)})"
            for m, lo, hi in zip(table["median"], table["low"], table["high"], strict=True)
        ],
        cores_text=[
            None if is_missing(c) else
            f"{int(c)}" + ("" if is_missing(p) else f" ({int(p)} physical)")
            for c, p in zip(table["cores"], table["physical_cores"], strict=True)
        ],
    )  # fmt: skip
    columns = [
        ("interpreter", "interpreter"),
        ("cores_text", "cores"),
        ("processes", "processes probed"),
        ("rounds", "rounds"),
        ("capacity_text", "capacity, cores: median (range)"),
        ("unusually_low", "rounds unusually low"),
    ]
    shown = [c for c in IDENTITY if c[0] != "interpreter" and c[0] in table.columns
             and table[c[0]].nunique(dropna=True) > 1]  # fmt: skip
    return markdown_table(
        table,
        [*shown, *columns],
        right=["cores_text", "processes", "rounds", "unusually_low"],
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


def outcomes_table(frame: pd.DataFrame) -> str:
    """The outcomes of the measures whose folders name them (``OUTCOME_METRICS``: the race
    and fault measurements), one row per benchmark and metric, values summarised by their
    unit (``tables.summarise_values``)."""
    if frame.empty or "measure" not in frame.columns:
        return NO_DATA
    data = ensure_columns(frame, ["benchmark", "metric", "unit", "value"])
    data = data[data["measure"].isin(list(catalogue.outcome_metrics()))]
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
    # the folders' reading order (race, then fault), then any other metric
    order = [m for metrics in catalogue.outcome_metrics().values() for m in metrics]
    return order.index(metric) if metric in order else len(order)
