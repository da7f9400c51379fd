"""Scaling curves: speedup over the sequential loop against workers, one SVG per group.

A chart the CPU and I/O families share: each registers it for its own groups
(:func:`register_scaling`). CPU work is drawn beside the machine's own scaling curve: the
capacity its probes measured at 2, 4, 8 ... processes up to its cores, in the same run
(``bench.report.capacity``); each speedup is judged against it, and the numbers drawn,
with their efficiency against that curve, go beside the SVG as CSV."""

from __future__ import annotations

import numpy as np
import pandas as pd
from matplotlib.axes import Axes

from bench.capacity import FAMILY as CAPACITY_FAMILY
from bench.report.capacity import capacity_curve, judged_curve, physical_cores
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
from bench.report.metrics import paired_speedups
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
ABOVE_CAPACITY = "interval above capacity: noise"
CAPACITY_LABEL = "the machine's capacity (band: rounds)"
PHYSICAL_LABEL = "physical cores"
#: The columns of a scaling chart's numbers (its CSV): one row per line point.
NUMBER_COLUMNS = [
    "machine", "run_id", "interpreter", "model", "start_method", "workers", "speedup", "low",
    "high", "rounds", "dropped", "capacity", "efficiency", "above_capacity",
]  # fmt: skip


def select_scaling(frame: pd.DataFrame, group: str, with_capacity: bool = True) -> pd.DataFrame:
    """The group's timings and, ``with_capacity`` (CPU work), the capacity probes of the
    same runs (every k): waiting needs no core, and capacity does not limit it."""
    rows = pick(frame, group=group, metric="time")
    # one case per (model, start method, workers): the default dispatch only
    rows = rows[rows["chunksize"] == 1] if "chunksize" in rows else rows
    if rows.empty or not with_capacity:
        return rows
    probes = pick(frame, family=CAPACITY_FAMILY)
    keys = present(rows, [*RUN_KEYS, "interpreter"])
    if probes.empty or any(k not in probes for k in keys):
        return rows
    probes = probes.merge(rows.loc[:, keys].drop_duplicates(), on=keys, how="inner")
    return pd.concat([rows, probes], ignore_index=True) if not probes.empty else rows


def scaling_numbers(frame: pd.DataFrame) -> pd.DataFrame:
    """What a scaling chart draws from ``frame`` (timings and probes): per interpreter,
    model, start method and worker count the speedup over the loop with its interval and
    rounds (``paired_speedups``: the claims' one estimator), the rounds dropped, what the
    machine gave at that count and the efficiency against it, and ``above_capacity``:
    the whole interval lies above what the machine gave, which no model can honestly
    reach: noise, drawn hollow and never named the best."""
    rows = frame[frame["family"] != CAPACITY_FAMILY] if "family" in frame else frame
    if rows.empty:
        return pd.DataFrame(columns=NUMBER_COLUMNS)
    speed = paired_speedups(frame)
    speed = speed[~speed["model"].isin(models_where(is_loop))] if not speed.empty else speed
    if speed.empty:
        return pd.DataFrame(columns=NUMBER_COLUMNS)
    above = (pd.to_numeric(speed["low"], errors="coerce") > speed["capacity"]).fillna(False)
    speed = speed.assign(above_capacity=above.astype(bool))
    for column in NUMBER_COLUMNS:
        if column not in speed:
            speed[column] = np.nan
    return (
        speed.loc[:, NUMBER_COLUMNS]
        .sort_values(["interpreter", "model", "start_method", "workers"], kind="stable")
        .reset_index(drop=True)
    )


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
    one panel per interpreter, to the most workers measured, against the ideal:
    min(workers, cores) and the machine's own curve for CPU work (where it probed it),
    the worker count for I/O (waiting needs no core)."""
    data = select_scaling(frame, group)
    rows = data[data["family"] != CAPACITY_FAMILY] if "family" in data else data
    numbers = scaling_numbers(data)
    if numbers.empty:
        return None
    waits = "family" in rows and (rows["family"] == "io").all()
    curve = judged_curve(capacity_curve(data)) if not waits else pd.DataFrame()
    ideal_label = "ideal: workers" if waits else "ideal: min(workers, cores)"
    interpreters = sorted(numbers["interpreter"].unique())
    fig = new_figure(len(interpreters))
    axes = axes_grid(fig, len(interpreters), sharey=True)[0]
    summary = []
    for ax, interpreter in zip(axes, interpreters, strict=True):
        part = numbers[numbers["interpreter"] == interpreter]
        mine = rows[rows["interpreter"] == interpreter]
        core_count = cores(mine)
        physical = physical_cores(mine)
        workers = sorted({1, *part["workers"].astype(int)} | (set() if waits else {core_count}))
        xs = np.geomspace(1, max(workers), 200)
        ax.plot(xs, xs if waits else np.minimum(xs, core_count), color=TEXT, linestyle="--",
                linewidth=1.2, label=ideal_label)  # fmt: skip
        machine = curve[curve["interpreter"] == interpreter] if not curve.empty else curve
        if not machine.empty:
            _draw_machine_curve(ax, machine, core_count, max(workers))
            summary.append(_capacity_summary(machine, interpreter))
        if not waits and not np.isnan(physical) and physical < core_count:
            ax.axvline(physical, color=TEXT, linestyle="-.", linewidth=0.8, label=PHYSICAL_LABEL)
        _draw_model_lines(ax, part)
        worker_axis(ax, workers)
        # an interval of two rounds can reach 50x: the chart stays on the estimates, and
        # the CSV beside it holds every interval whole
        top = max(float(part["speedup"].max()), 1.0 if waits else float(core_count))
        ax.set_ylim(bottom=0, top=1.25 * top)
        ax.set_title(f"{interpreter_label(rows, interpreter)}, {core_count} cores")
        summary.append(_scaling_summary(part, interpreter))
    axes[0].set_ylabel("speedup over the sequential loop (\N{MULTIPLICATION SIGN})")
    fig.suptitle(scaling_title(group))
    legend_below(fig, list(axes.flat), ncols=3 if not curve.empty else 4)
    told = "; ".join(summary)
    alt = (
        f"Speedup over the sequential loop against the number of workers for {group}, "
        f"geometric means of within-round ratios with their 95% intervals, beside the ideal "
        f"({ideal_label.removeprefix('ideal: ')}). {told[:1].upper()}{told[1:]}."
    )
    return fig, alt, numbers


def _draw_model_lines(ax: Axes, part: pd.DataFrame) -> None:
    """One line per model and start method; a point whose whole interval lies above what
    the machine gave at that count is drawn hollow (noise, never a result)."""
    lines = list(part.groupby(["model", "start_method"], dropna=False))
    noted = False
    for k, ((model, method), group_rows) in enumerate(lines):
        line = group_rows.sort_values("workers")
        style = series_style(model, method)
        errorbar(ax, line["workers"] * dodge(k, len(lines)), line["speedup"], line["low"],
                 line["high"], label=series_label(model, method), **style)  # fmt: skip
        noise = line[line["above_capacity"].astype(bool)]
        if not noise.empty:
            ax.plot(noise["workers"] * dodge(k, len(lines)), noise["speedup"], linestyle="none",
                    marker=style["marker"], markerfacecolor="white",
                    markeredgecolor=style["color"], zorder=3)  # fmt: skip
            noted = True
    if noted:  # one neutral legend entry for every hollow marker
        ax.plot([], [], "o", markerfacecolor="white", color=TEXT, label=ABOVE_CAPACITY)


def _draw_machine_curve(ax: Axes, machine: pd.DataFrame, core_count: int, most: int) -> None:
    """What the machine gave at each k probed (the median of its kept rounds) and the
    band of the rounds' lowest to highest, flat past the cores (no more to give)."""
    per_k = machine.groupby("processes").agg(
        median=("machine_capacity", "median"), low=("capacity", "min"), high=("capacity", "max")
    )
    ks = [1, *per_k.index.astype(int)]
    medians = [1.0, *per_k["median"].astype(float)]
    lows, highs = [1.0, *per_k["low"].astype(float)], [1.0, *per_k["high"].astype(float)]
    if most > ks[-1]:  # past the most processes probed the machine gives no more
        ks, medians = [*ks, most], [*medians, medians[-1]]
        lows, highs = [*lows, lows[-1]], [*highs, highs[-1]]
    ax.fill_between(ks, lows, highs, color=TEXT, alpha=0.12, linewidth=0)
    ax.plot(ks, medians, color=TEXT, linestyle=":", linewidth=1.2, label=CAPACITY_LABEL)
    del core_count  # the curve is the machine's own: not held to its core count


def _capacity_summary(machine: pd.DataFrame, interpreter: str) -> str:
    top = int(machine["processes"].max())
    at_top = machine[machine["processes"] == top]
    dropped = int(at_top["unusually_low"].astype(bool).sum())
    gave = significant(float(at_top["machine_capacity"].iloc[0]))
    low, high = (
        significant(float(v)) for v in (at_top["capacity"].min(), at_top["capacity"].max())
    )
    text = f"on {interpreter} the machine gave {gave} cores to {top} spinning processes "
    text += f"(rounds {low} to {high})"
    return text + (f", {dropped} round(s) unusually low and left out" if dropped else "")


def _scaling_summary(part: pd.DataFrame, interpreter: str) -> str:
    """The best and the worst parallel configuration (two workers or more), the best named
    as such only where its interval lies above every other line's best, as a verdict
    decides; noise (an interval above capacity) is never the best."""

    def case(row: pd.Series) -> str:
        label = series_label(row["model"], row["start_method"])
        workers = int(row["workers"])
        efficiency = row.get("efficiency")
        use = (f", {significant(float(efficiency) * 100)}% of what the machine gave"
               if efficiency is not None and pd.notna(efficiency) else "")  # fmt: skip
        return f"{label} at {format_ratio(row['speedup'])} with {workers} workers{use}"

    honest = part[~part["above_capacity"].astype(bool) & (part["workers"] >= 2)]
    honest = honest[pd.to_numeric(honest["speedup"], errors="coerce").notna()]
    if honest.empty:  # every round of every case left out, or only noise
        return f"on {interpreter} no speedup rests on a round with the cores it needed"
    tops = honest.loc[honest.groupby(["model", "start_method"], dropna=False)["speedup"].idxmax()]
    best = tops.loc[tops["speedup"].idxmax()]
    worst = honest.loc[honest["speedup"].idxmin()]
    if len(tops) == 1:
        return f"on {interpreter} {case(best)}"
    rest = tops.drop(index=best.name)
    lowest = f"the worst {case(worst)}"
    # without an interval (one round) the best is told apart from none
    tied = rest if pd.isna(best["low"]) else rest[rest["high"].fillna(np.inf) >= best["low"]]
    if tied.empty:
        return f"on {interpreter} the best is {case(best)} and {lowest}"
    names = ", ".join(sorted({series_label(r["model"], r["start_method"])
                              for _, r in tied.iterrows()}))  # fmt: skip
    return (f"on {interpreter} the highest is {case(best)}, its interval overlapping that of "
            f"{names}; {lowest}")  # fmt: skip
