"""Scaling curves: speedup over the sequential loop against workers, one SVG per group
of CPU and I/O work."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from bench.report.figures.registry import figure_per_group
from bench.report.figures.style import (
    TEXT,
    Made,
    axes_grid,
    dodge,
    errorbar,
    legend_below,
    new_figure,
    save_made,
    series_style,
    worker_axis,
)
from bench.report.format import format_ratio
from bench.report.metrics import paired_speedups
from bench.report.select import interpreter_label, pick, series_label, slug

#: The featured scaling curve: pure-Python CPU work, ~100 ms per task.
SCALING_GROUP = "cpu_python:count_primes[100ms]"
#: Families whose groups get a scaling figure of their own in ``render_all``.
SCALING_FAMILIES = ("cpu_python", "cpu_c", "io")


def select_scaling(frame: pd.DataFrame, group: str = SCALING_GROUP) -> pd.DataFrame:
    rows = pick(frame, group=group, metric="time")
    # one case per (model, start method, workers): the default dispatch only
    return rows[rows["chunksize"] == 1] if "chunksize" in rows else rows


def scaling_groups(frame: pd.DataFrame) -> list[str]:
    """The batch groups that get a scaling figure: CPU and I/O workloads."""
    rows = pick(frame, family=SCALING_FAMILIES, metric="time")
    return sorted(rows["group"].dropna().unique()) if not rows.empty else []


def scaling_name(group: str) -> str:
    """``cpu_python:count_primes[100ms]`` -> ``scaling-cpu-python-count-primes-100ms``."""
    return f"scaling-{slug(group)}"


def scaling_title(group: str) -> str:
    return f"Speedup vs workers: {group}"


def cores(rows: pd.DataFrame) -> int:
    """Logical cores of the machine (the largest worker count where not recorded)."""
    count = pd.to_numeric(rows["cpu_count"], errors="coerce").max() if "cpu_count" in rows else None
    return int(count) if count is not None and pd.notna(count) else int(rows["workers"].max())


@figure_per_group(
    name="scaling",
    groups=scaling_groups,
    file_name=scaling_name,
    title=scaling_title,
    select=select_scaling,
    order=70,
)
def make_scaling_group(frame: pd.DataFrame, group: str) -> Made:
    """Speedup (paired within rounds) vs workers, one line per model and start method,
    one panel per interpreter, against the ideal: min(workers, cores) for CPU work,
    the worker count for I/O (waiting needs no core)."""
    rows = select_scaling(frame, group)
    speed = paired_speedups(rows) if not rows.empty else rows
    speed = speed[speed["model"] != "sequential"] if not speed.empty else speed
    if speed.empty:
        return None
    waits = "family" in rows and (rows["family"] == "io").all()
    ideal_label = "ideal: workers" if waits else "ideal: min(workers, cores)"
    interpreters = sorted(speed["interpreter"].unique())
    fig = new_figure(len(interpreters))
    axes = axes_grid(fig, len(interpreters), sharey=True)[0]
    summary = []
    for ax, interpreter in zip(axes, interpreters, strict=True):
        part = speed[speed["interpreter"] == interpreter]
        core_count = cores(rows[rows["interpreter"] == interpreter])
        workers = sorted({1, *part["workers"].astype(int)} | (set() if waits else {core_count}))
        xs = np.geomspace(1, max(workers), 200)
        ax.plot(
            xs,
            xs if waits else np.minimum(xs, core_count),
            color=TEXT,
            linestyle="--",
            linewidth=1.2,
            label=ideal_label,
        )
        lines = list(part.groupby(["model", "start_method"], dropna=False))
        for k, ((model, method), group_rows) in enumerate(lines):
            line = group_rows.sort_values("workers")
            errorbar(
                ax,
                line["workers"] * dodge(k, len(lines)),
                line["speedup"],
                line["low"],
                line["high"],
                label=series_label(model, method),
                **series_style(model, method),
            )
        worker_axis(ax, workers)
        ax.set_ylim(bottom=0)
        ax.set_title(f"{interpreter_label(rows, interpreter)}, {core_count} cores")
        summary.append(_scaling_summary(part, interpreter))
    axes[0].set_ylabel("speedup over the sequential loop (\N{MULTIPLICATION SIGN})")
    fig.suptitle(scaling_title(group))
    legend_below(fig, list(axes.flat))
    numbers = "; ".join(summary)
    alt = (
        f"Speedup over the sequential loop against the number of workers for {group}, "
        f"medians of within-round ratios with their range, beside the ideal "
        f"({ideal_label.removeprefix('ideal: ')}). {numbers[:1].upper()}{numbers[1:]}."
    )
    return fig, alt


def _scaling_summary(part: pd.DataFrame, interpreter: str) -> str:
    def case(row: pd.Series) -> str:
        label = series_label(row["model"], row["start_method"])
        return f"{label} at {format_ratio(row['speedup'])} with {row['workers']} workers"

    best = part.loc[part["speedup"].idxmax()]
    worst = part.loc[part["speedup"].idxmin()]
    if len(part) == 1:
        return f"on {interpreter} {case(best)}"
    return f"on {interpreter} the best is {case(best)} and the worst {case(worst)}"


def make_scaling(frame: pd.DataFrame) -> Made:
    """The featured scaling curve (:data:`SCALING_GROUP`)."""
    return make_scaling_group(frame, SCALING_GROUP)


def plot_scaling(frame: pd.DataFrame, path: Path) -> str | None:
    return save_made(make_scaling(frame), path)
