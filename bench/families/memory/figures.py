"""Memory of the process tree against live workers, per model and start method."""

from __future__ import annotations

from typing import Any

import pandas as pd

from bench.families.memory.metrics import memory_per_worker
from bench.report.figures.registry import figure
from bench.report.figures.style import (
    FigureWithAlt,
    axes_grid,
    legend_below,
    new_figure,
    series_style,
    worker_axis,
)
from bench.report.format import format_bytes
from bench.report.select import interpreter_label, pick, series_label

TITLE = "Memory of the process tree vs live workers"


def select_memory(frame: pd.DataFrame) -> pd.DataFrame:
    return pick(frame, family="memory", metric=("pss_bytes", "uss_bytes"))


def _memory_set(variant: Any, size_label: Any) -> str:
    if variant == "working_set":
        return f"each worker reads a {size_label} structure"
    return "idle workers"


MEMORY_FIGURE = "memory"


@figure(MEMORY_FIGURE, TITLE, select_memory, order=20)
def make_memory(frame: pd.DataFrame) -> FigureWithAlt:
    """Total PSS (USS where PSS is not measured) of the process tree vs live workers,
    per model and start method; a row per interpreter, a column per working set."""
    rows = select_memory(frame)
    if rows.empty:
        return None
    metric = "pss_bytes" if (rows["metric"] == "pss_bytes").any() else "uss_bytes"
    rows = rows[rows["metric"] == metric].dropna(subset=["value"])
    if rows.empty:
        return None
    kind = metric.split("_", maxsplit=1)[0].upper()
    rows = rows.assign(
        set=[_memory_set(v, s) for v, s in zip(rows["variant"], rows["size_label"], strict=True)]
    )
    keys = ["interpreter", "set", "model", "start_method", "workers"]
    med = rows.groupby(keys, dropna=False)["value"].median().reset_index()
    interpreters = sorted(med["interpreter"].unique())
    sets = sorted(med["set"].unique(), key=lambda s: (s != "idle workers", s))
    fig = new_figure(len(sets), len(interpreters))
    axes = axes_grid(fig, len(sets), len(interpreters), sharex=True)
    workers = sorted(med["workers"].astype(int).unique())
    for r, interpreter in enumerate(interpreters):
        for c, name in enumerate(sets):
            ax = axes[r, c]
            part = med[(med["interpreter"] == interpreter) & (med["set"] == name)]
            for (model, method), group_rows in part.groupby(
                ["model", "start_method"], dropna=False
            ):
                line = group_rows.sort_values("workers")
                ax.plot(
                    line["workers"],
                    line["value"] / (1 << 20),
                    label=series_label(model, method),
                    **series_style(model, method),
                )
            worker_axis(ax, workers, "live workers")
            if r < len(interpreters) - 1:
                ax.set_xlabel("")  # shared with the row below
            ax.set_ylim(bottom=0)
            ax.set_title(f"{interpreter_label(rows, interpreter)}\n{name}")
            if c == 0:
                ax.set_ylabel(f"total {kind} of the process tree (MiB)")
    fig.suptitle(TITLE)
    legend_below(fig, list(axes.flat))
    slopes = memory_per_worker(rows)
    set_of = dict(zip(rows["variant"], rows["set"], strict=False))
    summary = []
    for (interpreter, variant), part in (
        slopes.groupby(["interpreter", "variant"], dropna=False) if not slopes.empty else []
    ):
        items = ", ".join(
            f"{series_label(m, s)} {format_bytes(b)}"
            for m, s, b in zip(
                part["model"], part["start_method"], part["bytes_per_worker"], strict=True
            )
        )
        summary.append(f"{interpreter}, {set_of.get(variant, variant)}: {items}")
    numbers = f" Extra {kind} per added worker: {'; '.join(summary)}." if summary else ""
    alt = (
        f"Total {kind} memory of the process tree against the number of live workers, per "
        f"model and start method, idle and with a working set.{numbers}"
    )
    return fig, alt
