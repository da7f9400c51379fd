"""The free-threaded build against the default build beside it, paired within rounds:
what one thread pays for the build, and the same work done the fastest way each build
offers (``crossbuild.py``; the numbers are those the free-threading claims quote)."""

from __future__ import annotations

import numpy as np
import pandas as pd
from matplotlib.axes import Axes

from bench.families.free_threading.claims import (
    CAPACITY,
    CLEARLY_SLOWER,
    COST_FIGURE,
    JUDGED_FAMILY,
    NEARLY_AS_FAST,
    SAME_WORK_FIGURE,
    free_thread_comparison,
)
from bench.families.free_threading.crossbuild import (
    COST_FAMILIES,
    estimate_of,
    single_thread_cost,
    task_label,
)
from bench.models import Role, model_of
from bench.report.figures.registry import figure
from bench.report.figures.scaling import cores
from bench.report.figures.style import (
    PALETTE,
    TEXT,
    FigureWithAlt,
    axes_grid,
    dodge,
    errorbar,
    legend_below,
    model_colour,
    new_figure,
    series_style,
    worker_axis,
)
from bench.report.format import format_estimate, format_threshold
from bench.report.select import (
    interpreter_label,
    model_label,
    models_where,
    pick,
    runs_threads,
    series_label,
)

COST_TITLE = "Free-threaded build: the cost of one thread"
SAME_WORK_TITLE = "The same work, the fastest way each build offers"


# --- the single-thread cost ---------------------------------------------------------------


def select_cost(frame: pd.DataFrame) -> pd.DataFrame:
    return pick(frame, family=COST_FAMILIES, metric="time", model=model_of(Role.LOOP))


@figure(COST_FIGURE, COST_TITLE, select_cost, order=61)
def make_cost(frame: pd.DataFrame) -> FigureWithAlt:
    """Dots with 95 % intervals: the free-threaded loop's time over the default build's,
    per CPU workload, one colour per free-threaded interpreter; the claim's thresholds."""
    rows = select_cost(frame)
    costs = single_thread_cost(rows)
    if costs.empty:
        return None
    groups = list(dict.fromkeys(costs.sort_values(["family", "size"])["group"]))
    interpreters = sorted(costs["interpreter"].unique())
    fig = new_figure(1, width=7.0, height=0.42 * len(groups) + 1.4)
    ax = axes_grid(fig, 1)[0, 0]
    summary = []
    for i, interpreter in enumerate(interpreters):
        part = costs[costs["interpreter"] == interpreter].set_index("group").reindex(groups)
        known = part["cost"].notna().to_numpy()
        ys = np.arange(len(groups)) + (i - (len(interpreters) - 1) / 2) * 0.22
        default = part["default_interpreter"].dropna().iloc[0]
        mid, low, high = (part[c].to_numpy(float)[known] for c in ("cost", "cost_low", "cost_high"))
        # an unknown interval (one round) is drawn as the dot alone
        low, high = np.where(np.isnan(low), mid, low), np.where(np.isnan(high), mid, high)
        ax.errorbar(
            mid,
            ys[known],
            xerr=np.vstack([np.clip(mid - low, 0, None), np.clip(high - mid, 0, None)]),
            fmt="o",
            color=PALETTE[i % len(PALETTE)],
            ecolor=PALETTE[i % len(PALETTE)],
            label=interpreter_label(rows, interpreter),
        )
        each = ", ".join(
            f"{task_label(group)} {format_estimate(estimate_of(row, 'cost'))}"
            for group, row in part[known].iterrows()
        )
        summary.append(f"{interpreter_label(rows, interpreter)} against {default}: {each}")
    ax.axvline(1, color=TEXT, linestyle=":", linewidth=1.2, label="as fast")
    for threshold, style in ((NEARLY_AS_FAST, "--"), (CLEARLY_SLOWER, "-.")):
        ax.axvline(
            threshold,
            color=TEXT,
            linestyle=style,
            linewidth=1,
            label=f"threshold {format_threshold(threshold)}",
        )
    ax.set_yticks(range(len(groups)), [task_label(g) for g in groups])
    ax.invert_yaxis()
    ax.grid(axis="y", visible=False)
    ax.set_xlabel(
        "free-threaded loop's time / the default build's, same round (\N{MULTIPLICATION SIGN})"
    )
    fig.suptitle(COST_TITLE)
    defaults = sorted(costs["default_interpreter"].unique())
    ax.set_title(f"against the default build beside it: {', '.join(defaults)}")
    legend_below(fig, [ax], ncols=2)
    alt = (
        "The free-threaded build's plain loop time over the default build's, per CPU workload "
        "(geometric mean of the rounds' ratios, 95% interval, rounds n), against the "
        f"thresholds {format_threshold(NEARLY_AS_FAST)} and {format_threshold(CLEARLY_SLOWER)}. "
        f"{'; '.join(summary)}."
    )
    return fig, alt


# --- the same work ------------------------------------------------------------------------


def select_same_work(frame: pd.DataFrame) -> pd.DataFrame:
    models = (model_of(Role.LOOP), *models_where(runs_threads), model_of(Role.PROCESS_POOL))
    work = pick(frame, family=JUDGED_FAMILY, metric="time", model=models)
    probes = pick(frame, family=CAPACITY)
    return pd.concat([work, probes]) if not probes.empty else work


@figure(SAME_WORK_FIGURE, SAME_WORK_TITLE, select_same_work, order=62)
def make_same_work(frame: pd.DataFrame) -> FigureWithAlt:
    """Speedup over the default build's loop against workers: the default build's process
    pool beside the free-threaded build's threads and thread pool, one panel per
    free-threaded interpreter and pure-Python task."""
    rows = select_same_work(frame)
    table = free_thread_comparison(rows)
    if table.empty:
        return None
    panels = list(
        table.sort_values(["interpreter", "size"])[["interpreter", "group"]]
        .drop_duplicates()
        .itertuples(index=False, name=None)
    )
    interpreters = list(dict.fromkeys(i for i, _ in panels))
    groups = list(dict.fromkeys(g for _, g in panels))
    fig = new_figure(len(groups), len(interpreters), width=4.4, height=3.0)
    axes = axes_grid(fig, len(groups), len(interpreters), sharey=True)
    ideal_cores = cores(rows)
    workers = sorted(int(w) for w in table["workers"].unique())
    summary = []
    for (r, interpreter), (c, group) in (
        ((r, i), (c, g)) for r, i in enumerate(interpreters) for c, g in enumerate(groups)
    ):
        ax = axes[r, c]
        part = table[(table["interpreter"] == interpreter) & (table["group"] == group)]
        if part.empty:
            ax.set_visible(False)
            continue
        line = _same_work_panel(
            ax, part, interpreter_label(rows, interpreter), workers, ideal_cores
        )
        if line:
            summary.append(line)
    fig.suptitle(SAME_WORK_TITLE)
    fig.supylabel("speedup over the default build's loop (\N{MULTIPLICATION SIGN})")
    legend_below(fig, list(axes.flat), ncols=3)
    alt = (
        "Speedup over the default build's plain loop, within each round, against workers: "
        "the default build's process pool beside the free-threaded build's threads and "
        "thread pool (95% intervals, rounds n), one panel per free-threaded interpreter "
        f"and pure-Python task. {'; '.join(summary)}."
    )
    return fig, alt


def _same_work_panel(
    ax: Axes, part: pd.DataFrame, interpreter: str, workers: list[int], ideal_cores: int
) -> str | None:
    """One interpreter's panel for one task; its sentence for the alt text at 2 workers."""
    group = str(part["group"].iloc[0])
    default = str(part["default_interpreter"].iloc[0])
    thread_pool, process_pool = model_of(Role.THREAD_POOL), model_of(Role.PROCESS_POOL)
    reference = part[part["model"] == thread_pool] if (part["model"] == thread_pool).any() else part
    reference = reference.sort_values("workers")
    method = reference["pool_start_method"].iloc[0]
    series = [
        (f"{default}: {series_label(process_pool, method)}", process_pool, method,
         reference, "pool_vs_loop"),
        *(
            (f"free-threaded: {model_label(model)}", model, None, part[part["model"] == model]
             .sort_values("workers"), "vs_loop")
            for model in models_where(runs_threads)
            if (part["model"] == model).any()
        ),
    ]  # fmt: skip
    for k, (label, model, start, data, prefix) in enumerate(series):
        style = series_style(model, start)
        errorbar(
            ax,
            data["workers"].to_numpy(float) * dodge(k, len(series)),
            data[prefix],
            data[f"{prefix}_low"].fillna(data[prefix]),
            data[f"{prefix}_high"].fillna(data[prefix]),
            label=label,
            color=model_colour(model),
            linestyle=style["linestyle"],
            marker=style["marker"],
        )
    ideal = [min(w, ideal_cores) for w in workers]
    ax.plot(workers, ideal, color=TEXT, linestyle="--", linewidth=1, label="ideal")
    ax.axhline(1, color=TEXT, linestyle=":", linewidth=1.2, label=f"{default}'s loop")
    worker_axis(ax, workers)
    ax.set_title(f"{interpreter}\n{task_label(group)}", fontsize=9)
    at_two = part[part["workers"] == 2]
    if at_two.empty:
        return None
    pool = estimate_of(reference[reference["workers"] == 2].iloc[0], "pool_vs_loop")
    threads = ", ".join(
        f"{model_label(row['model'])} {format_estimate(estimate_of(row, 'vs_loop'))}"
        for _, row in at_two.iterrows()
    )
    return (
        f"{interpreter}, {task_label(group)}, 2 workers: "
        f"{default}'s process pool {format_estimate(pool)}, free-threaded {threads}"
    )
