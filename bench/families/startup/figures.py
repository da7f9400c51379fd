"""Start-up cost: start and join threads against processes per start method."""

from __future__ import annotations

import pandas as pd

from bench.families.startup.metrics import startup_slowdowns
from bench.models import Role, model_of
from bench.report.estimate import Estimate
from bench.report.figures.registry import figure
from bench.report.figures.style import (
    PALETTE,
    TEXT,
    FigureWithAlt,
    axes_grid,
    legend_below,
    new_figure,
    plain_log_ticks,
)
from bench.report.format import format_estimate, format_seconds
from bench.report.select import (
    interpreter_label,
    is_loop,
    models_where,
    pick,
    runs_threads,
    series_label,
)

TITLE = "Start-up cost: threads vs processes"


def select_startup(frame: pd.DataFrame) -> pd.DataFrame:
    rows = pick(frame, family=("startup", "article"), metric="time")
    return rows[~rows["model"].isin(models_where(is_loop))] if "model" in rows else rows


def _startup_series(family: str, workers: int) -> str:
    plural = "s" if workers != 1 else ""
    if family == "article":
        return f"article: start, run, join {workers} worker{plural}"
    return f"start + join {workers} worker{plural}"


STARTUP_FIGURE = "startup"


@figure(STARTUP_FIGURE, TITLE, select_startup, order=10)
def make_startup(frame: pd.DataFrame) -> FigureWithAlt:
    """Start+join time of threads and of processes per start method, log scale."""
    rows = select_startup(frame)
    if rows.empty or rows["time_s"].dropna().empty:
        return None
    keys = ["interpreter", "family", "workers", "model", "start_method"]
    med = rows.groupby(keys, dropna=False)["time_s"].median().reset_index()
    med["series"] = [
        _startup_series(f, w) for f, w in zip(med["family"], med["workers"], strict=True)
    ]
    med["category"] = [
        series_label(m, s) for m, s in zip(med["model"], med["start_method"], strict=True)
    ]
    # threads first, then processes by start method: the order the text reads them
    threaded = set(med.loc[med["model"].isin(models_where(runs_threads)), "category"])
    categories = sorted(med["category"].unique(), key=lambda c: (c not in threaded, c))
    order = med.drop_duplicates("series").sort_values(
        ["workers", "family"], ascending=[True, False]
    )
    series = list(order["series"])
    interpreters = sorted(med["interpreter"].unique())
    fig = new_figure(len(interpreters), height=0.5 * len(categories) * max(1, len(series)) + 1.6)
    axes = axes_grid(fig, len(interpreters), sharex=True)[0]
    height = 0.8 / len(series)
    summary = []
    for ax, interpreter in zip(axes, interpreters, strict=True):
        part = med[med["interpreter"] == interpreter]
        for i, name in enumerate(series):
            bars = part[part["series"] == name].set_index("category")["time_s"]
            ys = [categories.index(c) - 0.4 + height * (i + 0.5) for c in bars.index]
            ax.barh(
                ys,
                bars.to_numpy() * 1e3,
                height=height * 0.9,
                color=PALETTE[i % len(PALETTE)],
                label=name,
            )
            for y, seconds in zip(ys, bars, strict=True):
                ax.annotate(
                    f" {format_seconds(seconds)}",
                    (seconds * 1e3, y),
                    va="center",
                    fontsize=8,
                    color=TEXT,
                )
        ax.set_xscale("log")
        plain_log_ticks(ax.xaxis)
        ax.set_yticks(range(len(categories)), categories)
        ax.invert_yaxis()
        ax.grid(axis="y", visible=False)
        ax.set_xlabel("time (ms, log scale)")
        ax.set_title(interpreter_label(rows, interpreter))
        summary.append(_startup_summary(rows, interpreter))
    right = axes[0].get_xlim()[1]
    for ax in axes:
        ax.set_xlim(right=right * 8)  # room for the value labels
    fig.suptitle(TITLE)
    legend_below(fig, list(axes.flat), ncols=2)
    alt = (
        "Time to start and join threads and processes (per start method), log scale, one "
        f"panel per interpreter. {' '.join(s for s in summary if s)}"
    )
    return fig, alt


def _startup_summary(frame: pd.DataFrame, interpreter: str) -> str:
    """The smallest batch of the start-up family: one thread's time and how many times
    it a process of each start method takes, each ratio the same estimate (geometric
    mean of the rounds' ratios, with its interval) that the start-up verdict quotes."""
    rows = frame[frame["interpreter"] == interpreter]
    slowdowns = startup_slowdowns(rows)
    if slowdowns.empty:
        return ""
    if (slowdowns["family"] == "startup").any():
        slowdowns = slowdowns[slowdowns["family"] == "startup"]
    smallest = slowdowns[slowdowns["workers"] == slowdowns["workers"].min()]
    n = int(smallest["workers"].iloc[0])
    threads = rows[
        (rows["family"] == smallest["family"].iloc[0])
        & (rows["model"] == model_of(Role.THREADS))
        & (rows["workers"] == n)
    ]["time_s"]
    each = ", ".join(
        f"{method} {format_estimate(Estimate(v, lo, hi, int(k)))}"
        for method, v, lo, hi, k in zip(
            smallest["start_method"], smallest["slowdown"], smallest["low"], smallest["high"],
            smallest["rounds"], strict=True,
        )
    )  # fmt: skip
    took = f" takes {format_seconds(float(threads.median()))}" if not threads.empty else ""
    return (
        f"On {interpreter}, starting and joining {n} thread{'s' * (n != 1)}{took}; "
        f"{n} process{'es' * (n != 1)}, by start method, {each} as long."
    )
