"""NumPy: threads speed up array code that releases the GIL; processes lose to them on
large arrays because every task's array is pickled (shared memory shows the difference)."""

from __future__ import annotations

from typing import Any

import pandas as pd

from bench.capacity import FAMILY as CAPACITY_FAMILY
from bench.families.cpu.claims import SCALES_FRACTION
from bench.families.numpy.figures import chosen_workers
from bench.models import Role, model_of
from bench.report.claims import (
    MIXED_OR_UNCLEAR,
    NO_GAIN,
    Bound,
    Judgement,
    Verdict,
    chosen_start_method,
    claim,
    depends,
    estimate_figures,
    judge_estimate,
    kept_estimate,
    no_data,
    verdict_of_judgements,
)
from bench.report.estimate import ratio_estimate
from bench.report.format import format_estimate, format_percent, format_threshold
from bench.report.metrics import paired_ratios
from bench.report.select import (
    RUN_KEYS,
    config_label,
    first,
    present,
    where,
)

NUMPY_FAMILY = "numpy"
#: Array work in C code that releases the GIL; the Python loop is shown for contrast.
RELEASING = ("numpy_matmul", "numpy_ufuncs", "numpy_sort")
CONTRAST = "numpy_python_loop"
#: The workloads with the most data per unit of work, where a copy costs most: 16 MiB of
#: ufuncs and 4 MiB of sorting per ~30 ms task (a 768x768 product does O(n^3) work on
#: O(n^2) data, and is shown beside).
LARGE_ARRAYS = ("numpy_ufuncs", "numpy_sort")
#: The variant whose tasks read their array from shared memory (bench.families.numpy.workload).
SHARED = "shared_memory"
#: "Processes lose": the thread pool at least this many times faster than the pool that
#: pickles the arrays, and the pool reading shared memory at least this much faster than
#: it (the copy is what it loses to). Below 1.2x is the noise of a shared VM (NO_GAIN).
COPY_LOSS = NO_GAIN
#: "Processes do not lose": the thread pool no faster than the pickled pool.
NO_LOSS = 1.0


def thread_choice() -> tuple[str, ...]:
    """The threaded models a verdict may rest on, fixed before any timing: the pool first."""
    return (model_of(Role.THREAD_POOL), model_of(Role.THREADS))


def short(workload: Any) -> str:
    return str(workload).removeprefix("numpy_")


def machine_gave(rows: pd.DataFrame, workers: int, ideal: float) -> float:
    """What the machine gave at ``workers`` (its capacity, where the run probed that many
    processes, ``bench.report.capacity``), else the ideal: the 3/4 threshold's yardstick."""
    if "probed_processes" not in rows:
        return ideal
    del workers  # ideal is min(workers, cores): the k probed for them
    exact = rows[rows["probed_processes"] == ideal]
    measured = pd.to_numeric(exact["machine_capacity"], errors="coerce").dropna()
    return float(measured.median()) if not measured.empty else ideal


def thread_rows(rows: pd.DataFrame) -> tuple[str, pd.DataFrame] | None:
    """The first of ``thread_choice()`` measured among ``rows``, and its rows."""
    for model in thread_choice():
        found = rows[rows["model"] == model]
        if not found.empty:
            return model, found
    return None


@claim(
    "numpy_threads_speed_up",
    order=87,
    statement="Threads speed up NumPy code, even with the GIL: NumPy releases it while it "
    "computes on large arrays.",
    measured_by="speedup of a thread pool over the plain loop on a matrix product, "
    "elementwise ufuncs and a sort (BLAS on one thread), with a Python loop over an array "
    "for contrast",
    criteria=f"holds when, on every NumPy workload that releases the GIL, the 95% interval "
    f"of the thread pool's speedup, at the machine's cores, lies at or above "
    f"{format_percent(SCALES_FRACTION)} of what the machine gives there (its capacity; "
    f"min(workers, cores) where not probed); does not hold when it lies below "
    f"{format_threshold(NO_GAIN)} on every one; {MIXED_OR_UNCLEAR} (the Python loop is "
    f"shown, not judged)",
)
def numpy_threads_speed_up(frame: pd.DataFrame) -> Verdict:
    """Holds when the thread pool's interval clears 3/4 of what the machine gives on every
    GIL-releasing NumPy workload; does not hold under 1.2x on all; else depends or is
    inconclusive (saying which)."""
    # the capacity probes come along: they flag the rounds the host withheld cores
    ratios = paired_ratios(where(frame, family=(NUMPY_FAMILY, CAPACITY_FAMILY)))
    if not ratios.empty:
        ratios = ratios[ratios["model"] != model_of(Role.LOOP)]
    workers = chosen_workers(ratios) if not ratios.empty else None
    if workers is None:
        return no_data("NumPy tasks on threads against the sequential loop")
    at = ratios[ratios["workers"] == workers]
    cores = pd.to_numeric(at.get("cpu_count"), errors="coerce")
    ideal = float(
        workers if cores is None or cores.dropna().empty else min(workers, cores.median())
    )
    gave = machine_gave(at, workers, ideal)
    judgements: dict[str, Judgement] = {}
    texts, speedups = [], {}
    for workload in (*RELEASING, CONTRAST):
        found = thread_rows(at[at["workload"] == workload])
        if found is None:
            continue
        model, rows = found
        estimate, dropped = kept_estimate(rows)
        speedups[short(workload)] = {"config": config_label(model, None)} | estimate_figures(
            estimate
        )
        shown = f"{short(workload)}: {config_label(model, None)} {format_estimate(estimate)}"
        contrast = " (contrast: pure Python, which holds the GIL where there is one)"
        texts.append(shown + (contrast if workload == CONTRAST else ""))
        if workload in RELEASING:
            judgements[short(workload)] = judge_estimate(
                estimate,
                holds=Bound(SCALES_FRACTION * gave, above=True),
                fails=Bound(NO_GAIN, above=False),
                dropped=dropped,
            )
    if not judgements:
        return no_data("threads on NumPy work that releases the GIL")
    gil = first(frame, "gil_enabled")
    figures: dict[str, Any] = {
        "workers": workers,
        "ideal": ideal,
        "machine_gave": gave,
        "gil": gil,
        "speedup": speedups,
    }
    given = "" if abs(gave - ideal) < 1e-9 else f", the machine gave {format_threshold(gave)}"
    line = (
        f"{workers} workers vs the loop (GIL {gil or 'unknown'}, ideal "
        f"{format_threshold(ideal)}{given}): " + "; ".join(texts)
    )
    if ideal < 2:
        return depends(line, "on the machine: one core, nothing can run in parallel", figures)
    return verdict_of_judgements(judgements, line, figures, across="the workload")


def copy_costs(ratios: pd.DataFrame, workload: str) -> tuple[Any, Any] | None:
    """Per round, on ``workload``: the thread pool's speedup over the process pool that
    pickles the arrays, and the shared-memory pool's speedup over that pool (each an
    ``Estimate``; the second ``None`` when it was not measured)."""
    rows = ratios[ratios["workload"] == workload]
    shared = (
        rows["variant"] == SHARED
        if "variant" in rows.columns
        else pd.Series(False, index=rows.index)
    )
    pickled, in_block = rows[~shared], rows[shared]
    if pickled.empty:
        return None
    loss = kept_estimate(pickled)[0].inverse()
    if in_block.empty:
        return loss, None
    on = present(rows, [*RUN_KEYS, "interpreter", "workers", "start_method", "round"])
    both = pickled.merge(in_block, on=on, suffixes=("_pickled", "_shared"))
    # both ratios share the round's thread pool time: their quotient is pickled / shared
    gain = ratio_estimate((both["ratio_shared"] / both["ratio_pickled"]).tolist())
    return loss, gain


@claim(
    "numpy_processes_copy_arrays",
    order=89,
    statement="Processes lose to threads on large NumPy arrays, because every task's array "
    "is copied to the worker process.",
    measured_by="time of a thread pool against a process pool that pickles each task's "
    "array and one whose tasks read theirs from shared memory, on ufuncs and a sort of "
    "large arrays",
    criteria=f"holds when, on every large-array workload, the 95% interval of the thread "
    f"pool's speedup over the pickling process pool lies at or above "
    f"{format_threshold(COPY_LOSS)} and that of the shared-memory pool over the pickling "
    f"pool too (the copy is what it loses to); does not hold when both lie below "
    f"{format_threshold(NO_LOSS)}; {MIXED_OR_UNCLEAR}",
)
def numpy_processes_copy_arrays(frame: pd.DataFrame) -> Verdict:
    """Holds when the thread pool beats the pickling pool by 1.2x or more and shared
    memory wins that back (1.2x or more), on every large-array workload; does not hold
    when neither is faster; else depends or is inconclusive."""
    pool = model_of(Role.PROCESS_POOL)
    ratios = paired_ratios(
        where(frame, family=(NUMPY_FAMILY, CAPACITY_FAMILY)),
        baseline=model_of(Role.THREAD_POOL),
        match=("workers",),
    )
    pools = ratios[ratios["model"] == pool] if not ratios.empty else ratios
    workers = chosen_workers(pools) if not pools.empty else None
    if workers is None:
        return no_data("NumPy tasks on a process pool beside a thread pool")
    pools = pools[pools["workers"] == workers]
    method = chosen_start_method(frame, pools["start_method"].unique())
    if method is not None:
        pools = pools[pools["start_method"] == method]
    config = config_label(pool, method)
    judgements: dict[str, Judgement] = {}
    texts: list[str] = []
    each: dict[str, dict[str, Any]] = {}
    figures: dict[str, Any] = {"workers": workers, "config": config, "workloads": each}
    for workload in (*LARGE_ARRAYS, *(w for w in RELEASING if w not in LARGE_ARRAYS)):
        found = copy_costs(pools, workload)
        if found is None:
            continue
        loss, gain = found
        text = f"{short(workload)}: thread pool {format_estimate(loss)} the pickling pool"
        entry: dict[str, Any] = {"thread_pool_over_pickled": estimate_figures(loss)}
        if gain is not None:
            text += f", shared memory {format_estimate(gain)} it"
            entry["shared_over_pickled"] = estimate_figures(gain)
        each[short(workload)] = entry
        if workload not in LARGE_ARRAYS:
            texts.append(text + " (shown, not judged)")
            continue
        texts.append(text)
        holds, fails = Bound(COPY_LOSS, above=True), Bound(NO_LOSS, above=False)
        judgements[f"{short(workload)} (threads)"] = judge_estimate(loss, holds=holds, fails=fails)
        if gain is not None:
            judgements[f"{short(workload)} (shared memory)"] = judge_estimate(
                gain, holds=holds, fails=fails
            )
    if not judgements:
        return no_data("a process pool on the large-array NumPy workloads")
    line = f"{config}, {workers} workers: " + "; ".join(texts)
    return verdict_of_judgements(judgements, line, figures, across="the workload")
