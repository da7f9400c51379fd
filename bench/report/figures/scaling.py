"""Scaling curves: speedup over the sequential loop against workers, one SVG per group.

A chart the CPU and I/O families share: each registers it for its own groups
(:func:`register_scaling`), CPU work with the capacity the machine gave beside it."""

from __future__ import annotations

import numpy as np
import pandas as pd
from matplotlib.axes import Axes

from bench.capacity import FAMILY as CAPACITY_FAMILY
from bench.capacity import METRIC as CAPACITY_METRIC
from bench.report.capacity import round_capacity
from bench.report.figures.registry import MakeGroup, figure_per_group
from bench.report.figures.style import (
    TEXT,
    FigureWithAlt,
    axes_grid,
    dodge,
    errorbar,
    legend_below,
    new_figure,
    series_style,
    styled,
    worker_axis,
)
from bench.report.format import format_ratio, significant
from bench.report.metrics import paired_ratios, paired_speedups
from bench.report.select import (
    RUN_KEYS,
    interpreter_label,
    is_loop,
    models_where,
    pick,
    present,
    series_label,
    slug,
)

#: The legend's note on a speedup drawn hollow.
ABOVE_CAPACITY = "above capacity: noise"
CAPACITY_LABEL = "measured capacity (band: rounds)"


def select_scaling(frame: pd.DataFrame, group: str, with_capacity: bool = True) -> pd.DataFrame:
    """The group's timings and, ``with_capacity`` (CPU work), the capacity probes of the
    same runs: waiting needs no core, and capacity does not limit it."""
    rows = pick(frame, group=group, metric="time")
    # one case per (model, start method, workers): the default dispatch only
    rows = rows[rows["chunksize"] == 1] if "chunksize" in rows else rows
    if rows.empty or not with_capacity:
        return rows
    probes = pick(frame, family=CAPACITY_FAMILY, metric=CAPACITY_METRIC)
    keys = present(rows, [*RUN_KEYS, "interpreter"])
    if probes.empty or any(k not in probes for k in keys):
        return rows
    probes = probes.merge(rows.loc[:, keys].drop_duplicates(), on=keys, how="inner")
    return pd.concat([rows, probes], ignore_index=True) if not probes.empty else rows


def capacity_limits(frame: pd.DataFrame) -> pd.DataFrame:
    """Per case of ``frame`` (timings and capacity probes): ``capacity``, the median
    capacity of the rounds its speedup rests on (those not flagged low), and ``limit``
    = min(workers, capacity), the most a speedup can honestly reach. No rows without
    probes."""
    ratios = paired_ratios(frame)
    keys = present(ratios, [*RUN_KEYS, "interpreter", "benchmark"])
    if ratios.empty or "capacity" not in ratios or ratios["capacity"].isna().all():
        return pd.DataFrame(columns=[*keys, "capacity", "limit"])
    kept = ratios[~ratios["low_capacity"].astype(bool) & ratios["capacity"].notna()]
    found = (
        kept.groupby(keys, dropna=False)
        .agg(capacity=("capacity", "median"), workers=("workers", "first"))
        .reset_index()
    )
    found["limit"] = np.minimum(found["workers"].astype(float), found["capacity"])
    return found.loc[:, [*keys, "capacity", "limit"]]


def flag_above_capacity(speed: pd.DataFrame, frame: pd.DataFrame) -> pd.DataFrame:
    """``speed`` (``paired_speedups``) with ``limit`` (see ``capacity_limits``; NaN
    when unknown) and ``above``: True where the speedup exceeds it, which no machine
    that gave that capacity can do: noise, never a result."""
    limits = capacity_limits(frame)
    keys = [k for k in present(speed, [*RUN_KEYS, "interpreter", "benchmark"]) if k in limits]
    if limits.empty or speed.empty or not keys:
        return speed.assign(limit=np.nan, above=False)
    out = speed.merge(limits.drop(columns="capacity"), on=keys, how="left")
    above = pd.to_numeric(out["speedup"], errors="coerce") > out["limit"]
    return out.assign(above=above.fillna(False).astype(bool))


def scaling_groups(frame: pd.DataFrame, families: tuple[str, ...]) -> list[str]:
    """The groups of ``families`` that get a scaling figure each."""
    rows = pick(frame, family=families, metric="time")
    return sorted(rows["group"].dropna().unique()) if not rows.empty else []


def scaling_name(group: str) -> str:
    """``cpu_python:count_primes[100ms]`` -> ``scaling-cpu-python-count-primes-100ms``."""
    return f"scaling-{slug(group)}"


def scaling_figures(family: str) -> str:
    """The names of the scaling figures of every group of ``family`` (a prefix and ``*``)."""
    return f"scaling-{slug(family)}-*"


def scaling_title(group: str) -> str:
    return f"Speedup vs workers: {group}"


def cores(rows: pd.DataFrame) -> int:
    """Logical cores of the machine (the largest worker count where not recorded)."""
    count = pd.to_numeric(rows["cpu_count"], errors="coerce").max() if "cpu_count" in rows else None
    return int(count) if count is not None and pd.notna(count) else int(rows["workers"].max())


def register_scaling(
    name: str, families: tuple[str, ...], *, with_capacity: bool, order: int
) -> MakeGroup:
    """Register the scaling chart of every group of ``families`` as the figure ``name``."""
    return figure_per_group(
        name=name,
        groups=lambda frame: scaling_groups(frame, families),
        file_name=scaling_name,
        title=scaling_title,
        select=lambda frame, group: select_scaling(frame, group, with_capacity),
        order=order,
    )(make_scaling_group)


@styled
def make_scaling_group(frame: pd.DataFrame, group: str) -> FigureWithAlt:
    """Speedup (paired within rounds) vs workers, one line per model and start method,
    one panel per interpreter, against the ideal: min(workers, cores) for CPU work,
    the worker count for I/O (waiting needs no core)."""
    data = select_scaling(frame, group)
    rows = data[data["family"] != CAPACITY_FAMILY] if "family" in data else data
    speed = paired_speedups(data) if not rows.empty else rows
    speed = speed[~speed["model"].isin(models_where(is_loop))] if not speed.empty else speed
    if speed.empty:
        return None
    waits = "family" in rows and (rows["family"] == "io").all()
    speed = flag_above_capacity(speed, data)
    capacity = round_capacity(data)
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
        measured = capacity.loc[capacity["interpreter"] == interpreter, "capacity"].astype(float)
        if not waits and not measured.empty:
            _draw_capacity(ax, xs, measured)
        _draw_model_lines(ax, part)
        worker_axis(ax, workers)
        ax.set_ylim(bottom=0)
        title = f"{interpreter_label(rows, interpreter)}, {core_count} cores"
        if not waits and not measured.empty:
            title += f", capacity {significant(float(measured.median()))}"
        ax.set_title(title)
        summary.append(_scaling_summary(part, interpreter))
        if not waits and not measured.empty:
            summary.append(_capacity_summary(part, measured, interpreter))
    axes[0].set_ylabel("speedup over the sequential loop (\N{MULTIPLICATION SIGN})")
    fig.suptitle(scaling_title(group))
    legend_below(fig, list(axes.flat), ncols=3 if not capacity.empty and not waits else 4)
    numbers = "; ".join(summary)
    alt = (
        f"Speedup over the sequential loop against the number of workers for {group}, "
        f"medians of within-round ratios with their range, beside the ideal "
        f"({ideal_label.removeprefix('ideal: ')}). {numbers[:1].upper()}{numbers[1:]}."
    )
    return fig, alt


def _draw_model_lines(ax: Axes, part: pd.DataFrame) -> None:
    """One line per model and start method, hollow markers where the workers exceed the
    capacity measured in the round."""
    lines = list(part.groupby(["model", "start_method"], dropna=False))
    noted = False
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
        noise = line[line["above"]]
        if not noise.empty:
            style = series_style(model, method)
            ax.plot(
                noise["workers"] * dodge(k, len(lines)),
                noise["speedup"],
                linestyle="none",
                marker=style["marker"],
                markerfacecolor="white",
                markeredgecolor=style["color"],
                zorder=3,
            )
            noted = True
    if noted:  # one neutral legend entry for every hollow marker
        ax.plot([], [], "o", markerfacecolor="white", color=TEXT, label=ABOVE_CAPACITY)


def _draw_capacity(ax: Axes, xs: np.ndarray, measured: pd.Series) -> None:
    """The capacity measured in the run beside the ideal: min(workers, capacity) at its
    median over the rounds, and the band of the rounds' lowest to highest."""
    low, high = float(measured.min()), float(measured.max())
    ax.fill_between(
        xs, np.minimum(xs, low), np.minimum(xs, high), color=TEXT, alpha=0.12, linewidth=0
    )
    ax.plot(
        xs,
        np.minimum(xs, float(measured.median())),
        color=TEXT,
        linestyle=":",
        linewidth=1.2,
        label=CAPACITY_LABEL,
    )


def _capacity_summary(part: pd.DataFrame, measured: pd.Series, interpreter: str) -> str:
    text = (
        f"on {interpreter} the machine gave {significant(float(measured.median()))} cores "
        f"(median of {len(measured)} round(s), {significant(float(measured.min()))} to "
        f"{significant(float(measured.max()))})"
    )
    noise = part[part["above"]]
    if noise.empty:
        return text
    named = ", ".join(
        f"{series_label(r['model'], r['start_method'])} at {format_ratio(r['speedup'])} with "
        f"{r['workers']} workers"
        for _, r in noise.sort_values(["workers", "model"], kind="stable").iterrows()
    )
    return f"{text}; above the capacity of their own rounds, so noise and drawn hollow: {named}"


def _scaling_summary(part: pd.DataFrame, interpreter: str) -> str:
    def case(row: pd.Series) -> str:
        label = series_label(row["model"], row["start_method"])
        return f"{label} at {format_ratio(row['speedup'])} with {row['workers']} workers"

    if "above" in part and not part["above"].all():
        part = part[~part["above"]]  # noise is never the figure's best (nor its worst)
    part = part[pd.to_numeric(part["speedup"], errors="coerce").notna()]
    if part.empty:  # every round of every case left out for low capacity
        return f"on {interpreter} no speedup rests on a round with the cores it needed"
    best = part.loc[part["speedup"].idxmax()]
    worst = part.loc[part["speedup"].idxmin()]
    if len(part) == 1:
        return f"on {interpreter} {case(best)}"
    return f"on {interpreter} the best is {case(best)} and the worst {case(worst)}"
