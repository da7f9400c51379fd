"""NumPy: speedup over the loop of threads, a thread pool and a process pool that pickles
each task's array or reads it from shared memory, per workload, per interpreter."""

from __future__ import annotations

import numpy as np
import pandas as pd

from bench.capacity import FAMILY as CAPACITY_FAMILY
from bench.models import Role, model_of
from bench.report.figures.registry import figure
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
from bench.report.select import (
    config_label,
    interpreter_label,
    is_loop,
    is_thread,
    is_thread_pool,
    models_where,
    pick,
)

TITLE = "NumPy: speedup over the loop"
FAMILY = "numpy"
SHARED = "shared_memory"


def series() -> tuple[tuple[str, str, str], ...]:
    """The series, in the order drawn: (model, variant, hatch), models by trait."""
    pool = model_of(Role.PROCESS_POOL)
    return (
        *((thread, "none", "") for thread in models_where(is_thread)),
        *((thread, "none", "") for thread in models_where(is_thread_pool)),
        (pool, "none", ""),
        (pool, SHARED, "//"),
    )


WORKLOADS = ("numpy_matmul", "numpy_ufuncs", "numpy_sort", "numpy_python_loop")


def select_numpy(frame: pd.DataFrame) -> pd.DataFrame:
    """The NumPy timings and the capacity probes of the same runs: a round the host
    withheld cores in is dropped here as in the verdicts (one estimator for both)."""
    rows = pick(frame, family=FAMILY, metric="time")
    probes = pick(frame, family=CAPACITY_FAMILY)
    return rows if rows.empty or probes.empty else pd.concat([rows, probes])


def numpy_speedups(frame: pd.DataFrame) -> pd.DataFrame:
    """Speedups over the loop at ``chosen_workers``, the process pool
    by fork where measured, else its first start method; one row per interpreter,
    workload, model and variant."""
    rows = select_numpy(frame)
    if rows.empty:
        return rows
    speed = paired_speedups(rows)
    speed = speed[~speed["model"].isin(models_where(is_loop))]
    workers = chosen_workers(speed)
    if workers is None:
        return speed.iloc[0:0]
    speed = speed[speed["workers"] == workers]
    variant = speed["variant"] if "variant" in speed.columns else pd.Series("none", speed.index)
    rank = speed["start_method"].map(lambda m: (m != "fork", str(m)))
    speed = speed.assign(variant=variant.fillna("none").replace("", "none"), rank=rank)
    speed = speed.sort_values(["interpreter", "workload", "model", "variant", "rank"])
    keys = ["interpreter", "workload", "model", "variant"]
    return speed.drop_duplicates(keys).drop(columns="rank")


def chosen_workers(rows: pd.DataFrame) -> int | None:
    """The worker count the figure and the verdicts show: the most measured up to the
    machine's cores (2 where the cores are unknown), else the fewest above one; fixed
    before any timing is read."""
    counts = sorted(int(w) for w in rows["workers"].unique() if int(w) >= 2)
    if not counts:
        return None
    cores = pd.to_numeric(rows.get("cpu_count"), errors="coerce")
    machine = int(cores.median()) if cores is not None and not cores.dropna().empty else 2
    return max((w for w in counts if w <= machine), default=counts[0])


def series_label(model: str, variant: str, method: object) -> str:
    label = config_label(model, method)
    if model == model_of(Role.PROCESS_POOL):
        label += ", shared memory" if variant == SHARED else ", pickled"
    return label


@figure("numpy", TITLE, select_numpy, order=65)
def make_numpy(frame: pd.DataFrame) -> FigureWithAlt:
    """Grouped bars per workload: each model's speedup and its interval, one panel per
    interpreter; the loop (1x) dotted."""
    speed = numpy_speedups(frame)
    if speed.empty:
        return None
    rows = select_numpy(frame)
    interpreters = sorted(speed["interpreter"].unique())
    workloads = [w for w in WORKLOADS if w in set(speed["workload"])]
    workers = int(speed["workers"].iloc[0])
    fig = new_figure(len(interpreters), width=max(6.0, 1.4 * len(workloads) + 2.5), height=3.8)
    axes = axes_grid(fig, len(interpreters))[0]
    drawn = series()
    width = 0.8 / len(drawn)
    summary = []
    for ax, interpreter in zip(axes, interpreters, strict=True):
        mine = speed[speed["interpreter"] == interpreter]
        for k, (model, variant, hatch) in enumerate(drawn):
            part = mine[(mine["model"] == model) & (mine["variant"] == variant)]
            part = part.set_index("workload").reindex(workloads)
            present = part["speedup"].notna().to_numpy()
            if not present.any():
                continue
            method = part["start_method"].dropna()
            label = series_label(model, variant, method.iloc[0] if not method.empty else None)
            xs = np.arange(len(workloads)) - 0.4 + width * (k + 0.5)
            mid, low, high = (
                part[c].to_numpy(dtype=float)[present] for c in ("speedup", "low", "high")
            )
            known = np.isfinite(low) & np.isfinite(high)
            yerr = np.vstack(
                [np.where(known, mid - low, 0).clip(0), np.where(known, high - mid, 0).clip(0)]
            )
            ax.bar(
                xs[present],
                mid,
                width=width * 0.9,
                color=model_colour(model),
                hatch=hatch,
                edgecolor=TEXT if hatch else None,
                label=label,
                yerr=yerr,
                ecolor=TEXT,
            )
            values = ", ".join(
                f"{w.removeprefix('numpy_')} {format_ratio(v)}"
                for w, v in zip(np.asarray(workloads)[present], mid, strict=True)
            )
            summary.append(f"{interpreter_label(rows, interpreter)}, {label}: {values}")
        ax.axhline(1, color=TEXT, linestyle=":", linewidth=1.2, label=f"loop ({format_ratio(1)})")
        ax.set_xticks(range(len(workloads)), [w.removeprefix("numpy_") for w in workloads])
        ax.grid(axis="x", visible=False)
        ax.set_title(interpreter_label(rows, interpreter))
        ax.set_ylabel("speedup over the loop (\N{MULTIPLICATION SIGN})")
    fig.suptitle(f"{TITLE} ({workers} workers)")
    legend_below(fig, list(axes), ncols=2)
    alt = (
        f"Speedup over the sequential loop at {workers} workers of threads, a thread pool "
        f"and a process pool whose tasks get their array pickled or from shared memory, "
        f"on NumPy workloads. {'; '.join(summary)}."
    )
    return fig, alt
