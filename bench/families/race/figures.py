"""Races: updates lost by threads on one shared counter, without and with a lock."""

from __future__ import annotations

import pandas as pd
from matplotlib.ticker import FuncFormatter

from bench.report.figures.registry import figure
from bench.report.figures.style import (
    GREEN,
    TEXT,
    VERMILLION,
    FigureWithAlt,
    axes_grid,
    errorbar,
    legend_below,
    new_figure,
    worker_axis,
)
from bench.report.format import format_number
from bench.report.select import interpreter_label, pick

TITLE = "Lost updates of a shared counter"
RACE_COLOURS = {"racy": VERMILLION, "locked": GREEN}


def select_races(frame: pd.DataFrame) -> pd.DataFrame:
    return pick(frame, metric="lost_updates_per_million")


RACES_FIGURE = "races"


@figure(RACES_FIGURE, TITLE, select_races, order=40)
def make_races(frame: pd.DataFrame) -> FigureWithAlt:
    """Lost updates per million increments vs threads, racy and locked, per interpreter."""
    rows = select_races(frame)
    rows = rows.dropna(subset=["value"]) if not rows.empty else rows
    if rows.empty:
        return None
    keys = ["interpreter", "variant", "workers"]
    stats = rows.groupby(keys, dropna=False)["value"].agg(["median", "min", "max"]).reset_index()
    interpreters = sorted(stats["interpreter"].unique())
    workers = sorted(stats["workers"].astype(int).unique())
    fig = new_figure(len(interpreters))
    axes = axes_grid(fig, len(interpreters), sharey=True)[0]
    summary = []
    for ax, interpreter in zip(axes, interpreters, strict=True):
        part = stats[stats["interpreter"] == interpreter]
        for variant, group_rows in part.groupby("variant", dropna=False):
            line = group_rows.sort_values("workers")
            errorbar(
                ax,
                line["workers"],
                line["median"],
                line["min"],
                line["max"],
                label=str(variant),
                color=RACE_COLOURS.get(str(variant), TEXT),
                marker="o" if variant == "racy" else "s",
            )
            each = ", ".join(
                f"{format_number(m)} at {w} threads"
                for w, m in zip(line["workers"], line["median"], strict=True)
            )
            summary.append(f"{interpreter} {variant}: {each}")
        worker_axis(ax, workers, "threads")
        ax.set_ylim(bottom=0)
        ax.yaxis.set_major_formatter(FuncFormatter(lambda v, _pos: f"{v:,.0f}"))
        ax.set_title(interpreter_label(rows, interpreter))
    axes[0].set_ylabel("lost updates per million increments (count)")
    fig.suptitle(TITLE)
    legend_below(fig, list(axes.flat))
    alt = (
        "Updates lost by threads incrementing one shared counter, per million increments, "
        "without and with a lock, by number of threads (median and range over runs). "
        f"Medians: {'; '.join(summary)}."
    )
    return fig, alt
