"""CPU-bound scaling: a scaling chart per group (the capacity beside it), and GIL against
free-threaded: threads and the process pool at 2 workers, per interpreter."""

from __future__ import annotations

import numpy as np
import pandas as pd

from bench.families.cpu.family import FEATURED_GROUP, READER_FAMILIES
from bench.models import Role, model_of
from bench.report.figures.registry import figure
from bench.report.figures.scaling import cores, register_scaling
from bench.report.figures.style import (
    TEXT,
    FigureWithAlt,
    axes_grid,
    legend_below,
    model_colour,
    new_figure,
)
from bench.report.format import format_ratio
from bench.report.metrics import paired_speedups
from bench.report.select import interpreter_label, model_label, pick, series_label

TITLE = "GIL vs free-threaded: speedup at 2 workers"
GIL_FIGURE = "gil-vs-free-threaded"

register_scaling("scaling-cpu", READER_FAMILIES, with_capacity=True, order=70)


def compared() -> tuple[str, str]:
    """The guide's threads and process pool, by their roles."""
    return model_of(Role.THREADS), model_of(Role.PROCESS_POOL)


def select_gil(frame: pd.DataFrame) -> pd.DataFrame:
    return pick(
        frame,
        group=FEATURED_GROUP,
        metric="time",
        model=(model_of(Role.LOOP), *compared()),
        workers=(1, 2),
    )


def gil_speedups(frame: pd.DataFrame) -> pd.DataFrame:
    """Threads and the process pool at 2 workers on the featured CPU workload, per
    interpreter (the process pool by fork where measured, else its first start method)."""
    rows = select_gil(frame)
    if rows.empty:
        return rows
    speed = paired_speedups(rows)
    speed = speed[(speed["workers"] == 2) & speed["model"].isin(compared())]
    rank = speed["start_method"].map(lambda m: (m != "fork", str(m)))
    speed = speed.assign(rank=rank).sort_values(["interpreter", "model", "rank"])
    return speed.drop_duplicates(["interpreter", "model"]).drop(columns="rank")


@figure(GIL_FIGURE, TITLE, select_gil, order=60)
def make_gil(frame: pd.DataFrame) -> FigureWithAlt:
    """Bars: speedup of threads and of the process pool at 2 workers, per interpreter."""
    speed = gil_speedups(frame)
    if speed.empty:
        return None
    rows = select_gil(frame)
    interpreters = sorted(speed["interpreter"].unique())
    models = [m for m in compared() if m in set(speed["model"])]
    fig = new_figure(1, width=max(5.0, 2.4 * len(interpreters) + 1.5), height=3.6)
    ax = axes_grid(fig, 1)[0, 0]
    width = 0.8 / len(models)
    summary = []
    for i, model in enumerate(models):
        part = speed[speed["model"] == model].set_index("interpreter").reindex(interpreters)
        xs = np.arange(len(interpreters)) - 0.4 + width * (i + 0.5)
        present = part["speedup"].notna().to_numpy()
        method = part["start_method"].dropna()
        label = series_label(model, method.iloc[0] if not method.empty else None)
        mid, low, high = (
            part[c].to_numpy(dtype=float)[present] for c in ("speedup", "low", "high")
        )
        ax.bar(
            xs[present],
            mid,
            width=width * 0.9,
            color=model_colour(model),
            label=label,
            yerr=np.vstack([mid - low, high - mid]),
            ecolor=TEXT,
        )
        for x, value, top in zip(xs[present], mid, high, strict=True):
            ax.annotate(
                format_ratio(value),
                (x, top),
                xytext=(0, 3),
                textcoords="offset points",
                ha="center",
                va="bottom",
                fontsize=8,
                color=TEXT,
            )
    ideal = min(2, cores(rows))
    ideal_text = format_ratio(ideal)
    ax.axhline(ideal, color=TEXT, linestyle="--", linewidth=1.2, label=f"ideal ({ideal_text})")
    loop = model_label(model_of(Role.LOOP))
    ax.axhline(1, color=TEXT, linestyle=":", linewidth=1.2, label=f"{loop} ({format_ratio(1)})")
    ax.set_xticks(
        range(len(interpreters)),
        [interpreter_label(rows, i).replace(" (", "\n(") for i in interpreters],
    )
    ax.grid(axis="x", visible=False)
    ax.set_ylim(0, max(ideal, float(speed["high"].max())) * 1.2)
    ax.set_ylabel("speedup over the sequential loop (\N{MULTIPLICATION SIGN})")
    for interpreter in interpreters:
        part = speed[speed["interpreter"] == interpreter]
        each = ", ".join(
            f"{series_label(m, s)} {format_ratio(v)}"
            for m, s, v in zip(part["model"], part["start_method"], part["speedup"], strict=True)
        )
        summary.append(f"{interpreter_label(rows, interpreter)}: {each}")
    fig.suptitle(TITLE)
    ax.set_title(FEATURED_GROUP)
    legend_below(fig, [ax])
    alt = (
        f"Speedup of threads and of a process pool at 2 workers over the sequential loop on "
        f"{FEATURED_GROUP}, per interpreter; the ideal is {ideal_text}. {'; '.join(summary)}."
    )
    return fig, alt
