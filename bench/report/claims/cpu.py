"""CPU-bound scaling: the GIL claims (processes side-step it; it limits threads)."""

from __future__ import annotations

from collections.abc import Sequence

import pandas as pd

from bench.report.claims.core import (
    DEPENDS,
    NO_GAIN,
    THREAD_MODELS,
    Verdict,
    by_config,
    claim,
    decide,
    no_data,
)
from bench.report.format import format_percent, format_ratio
from bench.report.metrics import parallel_efficiency
from bench.report.select import first, where

#: Processes scale if they reach 3/4 of the ideal speedup min(workers, cores): 1.5x for
#: 2 workers on 2 cores. Pickling tasks and results costs a little; 2 CPU-bound processes
#: on 2 cores reach 1.8-1.95x here, so 1.5x leaves room for a noisy VM, not for a GIL.
SCALES_FRACTION = 0.75
#: The pure-Python task the GIL claims rest on, when it was measured.
CPU_TASK = "100ms"


def cpu_scaling(frame: pd.DataFrame) -> tuple[pd.DataFrame, str, int] | None:
    """Speedups of the pure-Python task: 100 ms per task (else the longest measured),
    at 2 workers (else the fewest above one)."""
    speedups = parallel_efficiency(where(frame, family="cpu_python"))
    parallel = speedups[speedups["model"] != "sequential"] if not speedups.empty else speedups
    if parallel.empty:
        return None
    labels = parallel.sort_values("size")["size_label"].tolist()
    size = CPU_TASK if CPU_TASK in labels else labels[-1]
    at_size = parallel[parallel["size_label"] == size]
    counts = sorted(w for w in at_size["workers"].unique() if w >= 2)
    if not counts:
        return None
    workers = 2 if 2 in counts else counts[0]
    return at_size[at_size["workers"] == workers], size, int(workers)


def best(table: pd.DataFrame, models: Sequence[str]) -> tuple[float, str] | None:
    """The best median speedup among the models' configurations, and which one it is.

    The best, not a typical one: the claims are about what a program can get from a
    model, and a configuration that scales shows the model can.
    """
    medians = by_config(where(table, model=tuple(models)), "speedup")
    if not medians:
        return None
    config = max(medians, key=lambda c: medians[c])
    return medians[config], config


@claim(
    "processes_sidestep_gil",
    order=10,
    statement="Separate processes get around the GIL: CPU-heavy Python code runs on several "
    "cores at once.",
    measured_by="speedup of a process pool over the plain loop on a pure-Python CPU task",
    criteria=f"holds when the best process model reaches {format_percent(SCALES_FRACTION)} of "
    f"the ideal speedup min(workers, cores); does not hold below {format_ratio(NO_GAIN)}; "
    f"depends between",
)
def processes_sidestep_gil(frame: pd.DataFrame) -> Verdict:
    """Holds when the best process pool reaches 3/4 of the ideal speedup on the
    pure-Python task; does not hold under 1.2x; depends between, or on one core."""
    found = cpu_scaling(frame)
    if found is None:
        return no_data("pure-Python CPU tasks against the sequential loop")
    table, size, workers = found
    found_best = best(table, ("process_pool",)) or best(table, ("processes",))
    if found_best is None:
        return no_data("a process pool on the pure-Python CPU task")
    speedup, config = found_best
    ideal = float(table["ideal"].median())
    figures = {
        "speedup": speedup,
        "config": config,
        "workers": workers,
        "task": size,
        "ideal": ideal,
        "speedup_by_config": by_config(table, "speedup"),
    }
    line = f"{config}, {workers} workers, {size} tasks: {format_ratio(speedup)} the loop"
    if ideal < 2:
        return Verdict(DEPENDS, f"{line}; one core: nothing can run in parallel", figures)
    line += f" (ideal {format_ratio(ideal)})"
    return decide(
        holds=speedup >= SCALES_FRACTION * ideal,
        fails=speedup < NO_GAIN,
        line=line,
        figures=figures,
    )


@claim(
    "gil_limits_threads",
    order=60,
    statement="Because of the GIL, more threads do not make CPU-heavy Python code faster.",
    measured_by="speedup of threads over the plain loop on a pure-Python CPU task",
    criteria=f"holds when the best thread model stays below {format_ratio(NO_GAIN)} the loop; "
    f"does not hold when it reaches {format_percent(SCALES_FRACTION)} of the ideal speedup; "
    f"depends between",
)
def gil_limits_threads(frame: pd.DataFrame) -> Verdict:
    """Holds when even the best thread model stays under 1.2x the loop; does not hold
    when threads reach 3/4 of the ideal, as on a free-threaded build; depends between."""
    found = cpu_scaling(frame)
    if found is None:
        return no_data("pure-Python CPU tasks against the sequential loop")
    table, size, workers = found
    found_best = best(table, THREAD_MODELS)
    if found_best is None:
        return no_data("threads on the pure-Python CPU task")
    speedup, config = found_best
    ideal = float(table["ideal"].median())
    gil = first(frame, "gil_enabled")
    figures = {
        "speedup": speedup,
        "config": config,
        "workers": workers,
        "task": size,
        "ideal": ideal,
        "gil": gil,
        "build": first(frame, "python_build"),
        "speedup_by_config": by_config(table, "speedup"),
    }
    line = f"best of threads, {workers} workers, {size} tasks: {format_ratio(speedup)} the loop"
    line += f" (ideal {format_ratio(ideal)}; GIL {gil or 'unknown'})"
    if ideal < 2:
        return Verdict(DEPENDS, f"{line}; one core: nothing can run in parallel", figures)
    return decide(
        holds=speedup < NO_GAIN,
        fails=speedup >= SCALES_FRACTION * ideal,  # threads scale as processes do: no GIL
        line=line,
        figures=figures,
    )
