"""CPU-bound scaling: the GIL claims (processes side-step it; it limits threads), and
subinterpreters against processes: one process, one GIL per interpreter (PEP 684)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import pandas as pd

from bench.capacity import FAMILY as CAPACITY_FAMILY
from bench.families.cpu.family import FEATURED_GROUP
from bench.families.cpu.figures import GIL_FIGURE
from bench.models import Role, model_of
from bench.report.claims import (
    NO_GAIN,
    UNCLEAR,
    Bound,
    Verdict,
    chosen_start_method,
    claim,
    depends,
    estimate_figures,
    estimates_by_config,
    judge_estimate,
    kept_estimate,
    kept_text,
    no_data,
    verdict_of_judgements,
)
from bench.report.estimate import Estimate
from bench.report.figures.scaling import scaling_name
from bench.report.format import format_estimate, format_percent, format_threshold
from bench.report.metrics import paired_ratios
from bench.report.select import config_label, first, has_start_method, model_label, present, where

#: Processes scale if they reach 3/4 of what the machine gives at their worker count: its
#: parallel capacity, probed in the same run (min(workers, cores) where not probed): 1.5x
#: for 2 workers on 2 free cores. Pickling tasks and results costs a little; 2 CPU-bound
#: processes on 2 cores reach 1.8-1.95x here, so 3/4 leaves room for a noisy VM, not for
#: a GIL. Against the capacity, not the logical cores: a machine with two hardware threads
#: a core, or a shared host, never gives all of them (bench.report.capacity).
SCALES_FRACTION = 0.75
#: The pure-Python task the GIL claims rest on, when it was measured.
CPU_TASK = "100ms"


def cpu_scaling(frame: pd.DataFrame) -> tuple[pd.DataFrame, str, int] | None:
    """Per-round speedups (``metrics.paired_ratios``) of the pure-Python task: 100 ms
    per task (else the longest measured), at the machine's cores (the most workers
    measured up to them; 2, else the fewest above one, where the cores are unknown), with
    ``ideal`` = min(workers, cores) and ``given``: what the machine gave at that count (its
    capacity, where the run probed it at that many processes; else the ideal)."""
    # the capacity probes come along: they flag the rounds the host withheld cores
    ratios = paired_ratios(where(frame, family=("cpu_python", CAPACITY_FAMILY)))
    parallel = ratios[ratios["model"] != model_of(Role.LOOP)] if not ratios.empty else ratios
    if parallel.empty:
        return None
    labels = parallel.sort_values("size")["size_label"].tolist()
    size = CPU_TASK if CPU_TASK in labels else labels[-1]
    at_size = parallel[parallel["size_label"] == size]
    counts = sorted(int(w) for w in at_size["workers"].unique() if w >= 2)
    if not counts:
        return None
    cores = pd.to_numeric(at_size.get("cpu_count"), errors="coerce")
    known = cores is not None and not cores.dropna().empty
    machine = int(cores.median()) if known else 2
    workers = max((w for w in counts if w <= machine), default=counts[0])
    table = at_size[at_size["workers"] == workers]
    ideal = float(min(workers, machine)) if known else float(workers)
    given = ideal
    if "probed_processes" in table:  # what the machine gave at that many processes
        exact = table[table["probed_processes"] == min(workers, machine)]
        measured = pd.to_numeric(exact["machine_capacity"], errors="coerce").dropna()
        given = float(measured.median()) if not measured.empty else ideal
    return table.assign(ideal=ideal, given=given), size, int(workers)


def chosen(
    table: pd.DataFrame, models: Sequence[str], frame: pd.DataFrame
) -> tuple[str, pd.DataFrame] | None:
    """The configuration a verdict rests on, fixed before looking at any timing: the
    first of ``models`` measured, at the platform's default start method
    (``core.chosen_start_method``). Never the best of several: the luckiest of a few
    noisy values would become the verdict's figure."""
    for model in models:
        rows = where(table, model=model)
        if rows.empty:
            continue
        if not rows["start_method"].map(has_start_method).any():
            return config_label(model, None), rows
        method = chosen_start_method(frame, rows["start_method"].unique())
        if method is not None:
            return config_label(model, method), where(rows, start_method=method)
    return None


def _scaling_figures(
    table: pd.DataFrame, config: str, estimate: Estimate, dropped: int, size: str, workers: int
) -> dict[str, Any]:
    return {
        "speedup": estimate.value,
        "interval": [estimate.low, estimate.high],
        "rounds": estimate.n,
        "dropped_low_capacity": dropped,
        "config": config,
        "workers": workers,
        "task": size,
        "ideal": float(table["ideal"].median()),
        "machine_gave": float(table["given"].median()),
        "speedup_by_config": {c: e.value for c, e in estimates_by_config(table).items()},
    }


def _what_the_machine_gave(figures: dict[str, Any]) -> str:
    """The ideal ("ideal 2x"), and what the machine gave at that count where its probe said
    otherwise: the thresholds are taken against what it gave."""
    ideal, gave = figures["ideal"], figures["machine_gave"]
    if abs(gave - ideal) < 1e-9:
        return f"ideal {format_threshold(ideal)}"
    return f"ideal {format_threshold(ideal)}, the machine gave {format_threshold(gave)}"


def _chosen_scaling(
    frame: pd.DataFrame, models: tuple[str, ...], what: str
) -> Verdict | tuple[str, Any, int, str, int, dict[str, Any]]:
    """The configuration of ``models`` chosen in advance on the pure-Python task, its
    estimate, dropped rounds, task, workers and figures; no data when it is missing."""
    found = cpu_scaling(frame)
    if found is None:
        return no_data("pure-Python CPU tasks against the sequential loop")
    table, size, workers = found
    choice = chosen(table, models, frame)
    if choice is None:
        return no_data(f"{what} on the pure-Python CPU task")
    config, rows = choice
    estimate, dropped = kept_estimate(rows)
    figures = _scaling_figures(table, config, estimate, dropped, size, workers)
    return config, estimate, dropped, size, workers, figures


@claim(
    "processes_sidestep_gil",
    order=10,
    from_article=True,
    statement="Separate processes get around the GIL: CPU-heavy Python code runs on several "
    "cores at once.",
    measured_by="speedup of a process pool over the plain loop on a pure-Python CPU task",
    criteria=f"holds when the 95% interval of the process pool's speedup (at the platform's "
    f"default start method), at the machine's cores, lies at or above "
    f"{format_percent(SCALES_FRACTION)} of what the machine gives there (its capacity, "
    f"probed in the same run; min(workers, cores) where not probed); does not hold when it "
    f"lies below "
    f"{format_threshold(NO_GAIN)}; {UNCLEAR}",
    figures=(scaling_name(FEATURED_GROUP),),
)
def processes_sidestep_gil(frame: pd.DataFrame) -> Verdict:
    """Holds when the process pool's interval (default start method) clears 3/4 of the
    ideal speedup on the pure-Python task; does not hold when it lies under 1.2x;
    inconclusive between or on too few rounds; depends (on the machine) on one core."""
    pools = (model_of(Role.PROCESS_POOL), model_of(Role.PROCESSES))
    found = _chosen_scaling(frame, pools, "a process pool")
    if isinstance(found, Verdict):
        return found
    config, estimate, dropped, size, workers, figures = found
    ideal = figures["ideal"]
    line = (
        f"{config}, {workers} workers, {size} tasks: {format_estimate(estimate)} the loop"
        f"{kept_text(estimate.n, dropped)}"
    )
    if ideal < 2:
        return depends(line, "on the machine: one core, nothing can run in parallel", figures)
    line += f" ({_what_the_machine_gave(figures)})"
    judged = judge_estimate(
        estimate,
        holds=Bound(SCALES_FRACTION * figures["machine_gave"], above=True),
        fails=Bound(NO_GAIN, above=False),
        dropped=dropped,
    )
    return verdict_of_judgements({"the process pool": judged}, line, figures)


@claim(
    "gil_limits_threads",
    order=60,
    from_article=True,
    statement="Because of the GIL, more threads do not make CPU-heavy Python code faster.",
    measured_by="speedup of threads over the plain loop on a pure-Python CPU task",
    criteria=f"holds when the 95% interval of the thread pool's speedup lies below "
    f"{format_threshold(NO_GAIN)} the loop; does not hold when it lies at or above "
    f"{format_percent(SCALES_FRACTION)} of what the machine gives at that count; {UNCLEAR}",
    figures=(scaling_name(FEATURED_GROUP), GIL_FIGURE),
)
def gil_limits_threads(frame: pd.DataFrame) -> Verdict:
    """Holds when the thread pool's interval lies under 1.2x the loop; does not hold
    when it clears 3/4 of the ideal, as on a free-threaded build; inconclusive between."""
    threads = (model_of(Role.THREAD_POOL), model_of(Role.THREADS))
    found = _chosen_scaling(frame, threads, "threads")
    if isinstance(found, Verdict):
        return found
    config, estimate, dropped, size, workers, figures = found
    gil = first(frame, "gil_enabled")
    figures |= {"gil": gil, "build": first(frame, "python_build")}
    ideal = figures["ideal"]
    line = (
        f"{config}, {workers} workers, {size} tasks: {format_estimate(estimate)} the loop"
        f"{kept_text(estimate.n, dropped)} ({_what_the_machine_gave(figures)}; "
        f"GIL {gil or 'unknown'})"
    )
    if ideal < 2:
        return depends(line, "on the machine: one core, nothing can run in parallel", figures)
    judged = judge_estimate(
        estimate,
        holds=Bound(NO_GAIN, above=False),
        # threads scale as processes would: no GIL holds them
        fails=Bound(SCALES_FRACTION * figures["machine_gave"], above=True),
        dropped=dropped,
    )
    return verdict_of_judgements({"the thread pool": judged}, line, figures)


# --- subinterpreters against processes ------------------------------------------------------
# The question a 3.12+ reader asks: do subinterpreters give the parallelism of a process
# pool without its processes? Judged on the pure-Python task of the GIL claims, at the
# same worker count, paired within rounds: per round, the subinterpreters' speedup over
# the loop against the process pool's (the loop cancels out).

#: Subinterpreters "keep up" when they take at most 10% longer than the process pool.
KEEPS_UP = 1.1


def paired_with_pool(frame: pd.DataFrame) -> tuple[pd.DataFrame, str, str, int] | None:
    """Per round: subinterpreters' time over the process pool's (``ratio``), at the pool's
    default start method; with its configuration, task and worker count."""
    found = cpu_scaling(frame)
    if found is None:
        return None
    table, size, workers = found
    subinterpreters = table[table["model"] == model_of(Role.SUBINTERPRETERS)]
    choice = chosen(table, (model_of(Role.PROCESS_POOL),), frame)
    if subinterpreters.empty or choice is None:
        return None
    config, pool = choice
    keys = present(table, ["machine", "interpreter", "run_id", "round"])
    merged = subinterpreters.merge(pool, on=keys, suffixes=("", "_pool"))
    if merged.empty:
        return None
    own_low = merged["low_capacity"].fillna(False).astype(bool)
    low = own_low | merged["low_capacity_pool"].fillna(False).astype(bool)
    # speedups over the same loop in the same round: their quotient is pool time / own time
    ratio = merged["ratio_pool"] / merged["ratio"]
    return merged.assign(ratio=ratio, low_capacity=low), config, size, workers


@claim(
    "subinterpreters_keep_up",
    order=15,
    statement="Subinterpreters run CPU-heavy Python code in parallel about as fast as a "
    "process pool: each has a GIL of its own, inside one process.",
    measured_by="time of subinterpreters over a process pool (the platform's default start "
    "method) on the pure-Python CPU task, same worker count, paired within rounds",
    criteria=f"holds when the 95% interval of the subinterpreters' time over the process "
    f"pool's lies below {format_threshold(KEEPS_UP)}; does not hold when it lies at or above "
    f"it; {UNCLEAR}",
)
def subinterpreters_keep_up(frame: pd.DataFrame) -> Verdict:
    """Holds when subinterpreters take at most 10% longer than the process pool (the
    interval decides); does not hold when the whole interval is slower than that."""
    found = paired_with_pool(frame)
    if found is None:
        return no_data("subinterpreters beside a process pool on the pure-Python CPU task")
    rows, config, size, workers = found
    estimate, dropped = kept_estimate(rows)
    label = ", ".join(model_label(m) for m in sorted(rows["model"].unique()))
    line = (
        f"{label} over {config}, {workers} workers, {size} tasks: "
        f"{format_estimate(estimate)} the pool's time{kept_text(estimate.n, dropped)}"
    )
    figures = {
        "slowdown": estimate_figures(estimate),
        "config": config,
        "workers": workers,
        "task": size,
        "dropped_low_capacity": dropped,
    }
    if float(rows["ideal"].median()) < 2:
        return depends(line, "on the machine: one core, nothing can run in parallel", figures)
    judged = judge_estimate(
        estimate,
        holds=Bound(KEEPS_UP, above=False),
        fails=Bound(KEEPS_UP, above=True),
        dropped=dropped,
    )
    return verdict_of_judgements({"subinterpreters": judged}, line, figures)
