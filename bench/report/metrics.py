"""Numbers derived from the tidy table: pure functions, DataFrame in, DataFrame out.

Every function groups by machine and run as well as by interpreter and case, so a
frame holding several runs (or machines) never mixes them. A key missing from the
frame (hand-made frames often lack ``machine``) is simply not grouped on.

Timings are compared only within a round (see ``paired_ratios``): the CPU of a
shared VM drifts by tens of percent within minutes, so a ratio of two times taken
minutes apart would measure the drift. Every ratio is summarised by the one estimator,
``bench.report.estimate.ratio_estimate``, whoever shows it.

Over 400 lines on purpose: one short pure function per derived quantity, in sections by
what is measured (timings, granularity, memory and communication); capacity has its own
module. Splitting further would spread the shared pairing rules over several files.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from bench.report.capacity import flag_low_capacity
from bench.report.estimate import mean_estimate, ratio_estimate, slope_estimate
from bench.report.select import (
    RUN_KEYS,
    is_loop,
    is_process,
    is_process_pool,
    is_thread,
    is_thread_pool,
    model_where,
    present,
)

CASE_KEYS = ["interpreter", "group", "benchmark", "model", "start_method", "workers"]
#: Parameters that follow from the benchmark: carried into results, never splitting a group.
DESCRIPTIVE = [
    "family", "workload", "size", "size_label", "tasks", "timed", "variant",
    "payload_bytes", "chunksize", "cpu_count",
]  # fmt: skip
#: Keys that tell apart the cases ``summarize`` reports on.
SUMMARY_KEYS = [
    "interpreter", "family", "workload", "group", "size_label", "model", "start_method",
    "workers", "timed", "variant", "payload_bytes", "chunksize", "benchmark", "metric", "unit",
]  # fmt: skip


# --- confidence intervals ------------------------------------------------------------


def mean_ci(values: Sequence[float]) -> tuple[float, float]:
    """95 % t-interval for the mean (``estimate.mean_estimate``); NaN for fewer than two."""
    found = mean_estimate(values)
    return (found.low, found.high)


def median_ci(values: Sequence[float]) -> tuple[float, float, float]:
    """Distribution-free interval for the median, from order statistics, and its coverage.

    Timings are skewed (a slow outlier, never a fast one), so the median's interval
    assumes no distribution: [x_(k), x_(n+1-k)] covers the median with probability
    1 - 2 P(Binomial(n, 1/2) < k), for the largest k that keeps it at 95 % or more.
    Below six values no k does: the interval is then the range, with the coverage
    it really has (e.g. 94 % for five values, 75 % for three).
    """
    n = len(values)
    if n == 0:
        return (math.nan, math.nan, math.nan)
    from scipy import stats  # here, not at the top: a report that needs no median skips it

    data = np.sort(np.asarray(values, dtype=float))
    ks = np.arange(1, (n + 1) // 2 + 1)
    coverages = 1 - 2 * stats.binom.cdf(ks - 1, n, 0.5)
    # coverage falls as k grows: k is the count of those at 95 % or more (at least 1)
    k = max(1, int(np.count_nonzero(coverages >= 0.95)))
    return (float(data[k - 1]), float(data[n - k]), float(coverages[k - 1]))


def _as_float(value: Any) -> float:
    """Counts, flags and seconds as floats (a flag is 0 or 1); texts are NaN."""
    if isinstance(value, bool | int | float | np.number):
        return float(value)
    return math.nan


def summarize(frame: pd.DataFrame) -> pd.DataFrame:
    """Count, mean and median of every benchmark's metric, each with a 95 % interval.

    One row per machine, run, interpreter and case (its parameters) and metric:
    ``count``, ``mean``, ``std``, ``mean_low``/``mean_high`` (t-interval),
    ``median``, ``median_low``/``median_high`` and ``median_coverage`` (see
    ``median_ci``). Texts (an exception's name) are left out; a flag's mean is the
    share of repetitions where it was true. Timings of all rounds are pooled here:
    the spread includes the machine's drift, which is the honest spread of one
    absolute time; compare models with ``paired_speedups``.
    """
    if frame.empty:
        return pd.DataFrame()
    numbers = frame.assign(number=frame["value"].map(_as_float)).dropna(subset=["number"])
    keys = present(numbers, [*RUN_KEYS, *SUMMARY_KEYS])
    rows = []
    for key, part in numbers.groupby(keys, dropna=False, sort=True):
        values = part["number"].tolist()
        low, high = mean_ci(values)
        med_low, med_high, cover = median_ci(values)
        rows.append(
            dict(zip(keys, key, strict=True))
            | {
                "count": len(values),
                "mean": float(np.mean(values)),
                "std": float(np.std(values, ddof=1)) if len(values) > 1 else math.nan,
                "mean_low": low,
                "mean_high": high,
                "median": float(np.median(values)),
                "median_low": med_low,
                "median_high": med_high,
                "median_coverage": cover,
            }
        )
    return pd.DataFrame(rows)


# --- timings, paired within rounds ---------------------------------------------------


def round_times(frame: pd.DataFrame) -> pd.DataFrame:
    """Median time of every case in every round (seconds), with its parameters."""
    if frame.empty or "time_s" not in frame.columns:
        return pd.DataFrame(columns=[*CASE_KEYS, "round", "time_s"])
    timed = frame if "metric" not in frame.columns else frame[frame["metric"] == "time"]
    timed = timed.assign(time_s=pd.to_numeric(timed["time_s"], errors="coerce"))
    timed = timed.dropna(subset=["time_s"])
    keys = present(timed, [*RUN_KEYS, *CASE_KEYS, *DESCRIPTIVE, "round"])
    return timed.groupby(keys, dropna=False)["time_s"].median().reset_index()


def paired_ratios(
    frame: pd.DataFrame, baseline: str | None = None, match: Sequence[str] = ()
) -> pd.DataFrame:
    """The ratio of every case to its group's baseline in every round it was measured.

    This machine's CPU speed drifts by tens of percent within minutes, so times of
    different rounds are never compared: per round, the median time of the baseline
    is divided by the median time of the case (``ratio`` > 1: the case is faster).
    ``baseline`` is a model (by default the registry's loop, ``is_loop``); ``match`` names further
    keys the baseline must share with the case (``("workers",)`` to compare threads
    and processes at equal worker counts). Runs and machines are paired only with
    themselves. One row per case and round, with ``time_s``, ``baseline_s``, ``ratio``,
    ``capacity`` and ``low_capacity`` (see ``flag_low_capacity``).
    """
    per_round = round_times(frame)
    columns = [*present(per_round, [*RUN_KEYS, *CASE_KEYS, *DESCRIPTIVE]), "round"]
    if per_round.empty or "model" not in per_round.columns:
        return pd.DataFrame(
            columns=[*columns, "time_s", "baseline_s", "ratio", "capacity", "low_capacity"]
        )
    baseline = baseline or model_where(is_loop)
    pair_on = present(per_round, [*RUN_KEYS, "interpreter", "group", *match, "round"])
    # One reference per round: should a group hold several benchmarks of the
    # baseline model (not so in the matrix), their median is the reference.
    base = (
        per_round[per_round["model"] == baseline]
        .groupby(pair_on, dropna=False)["time_s"]
        .median()
        .rename("baseline_s")
        .reset_index()
    )
    paired = per_round.merge(base, on=pair_on, how="inner")
    paired["ratio"] = paired["baseline_s"] / paired["time_s"]
    return flag_low_capacity(frame, paired)


def paired_speedups(
    frame: pd.DataFrame, baseline: str | None = None, match: Sequence[str] = ()
) -> pd.DataFrame:
    """Speedup of every case over its group's baseline: ``paired_ratios`` summarised by
    the one estimator (``estimate.ratio_estimate``) over the rounds kept.

    ``speedup`` is the geometric mean of the per-round ratios, ``low``/``high`` its
    95 % interval (NaN with fewer than two rounds), ``rounds`` how many rounds it
    rests on and ``dropped`` how many were left out for low capacity.
    """
    ratios = paired_ratios(frame, baseline, match)
    keys = present(ratios, [*RUN_KEYS, *CASE_KEYS, *DESCRIPTIVE])
    columns = [*keys, "speedup", "low", "high", "rounds", "dropped"]
    if ratios.empty:
        return pd.DataFrame(columns=columns)
    rows = []
    for key, part in ratios.groupby(keys, dropna=False, sort=True):
        kept = part[~part["low_capacity"].astype(bool)]
        found = ratio_estimate(kept["ratio"].tolist())
        rows.append(
            dict(zip(keys, key, strict=True))
            | {
                "speedup": found.value,
                "low": found.low,
                "high": found.high,
                "rounds": found.n,
                "dropped": len(part) - len(kept),
            }
        )
    return pd.DataFrame(rows, columns=columns)


#: The families that time starting and joining workers against threads.
STARTUP_FAMILIES = ("startup", "article")


def startup_slowdowns(frame: pd.DataFrame) -> pd.DataFrame:
    """How many times a thread's time starting and joining processes takes, per start
    method and worker count: ``paired_speedups`` against threads at equal worker
    counts, inverted (``slowdown``, its interval ``low``/``high``, ``rounds``). The one
    estimate of start-up cost: the start-up claim and figure both quote it."""
    starts = frame[frame["family"].isin(STARTUP_FAMILIES)] if "family" in frame else frame
    thread, process = model_where(is_thread), model_where(is_process)
    speedups = paired_speedups(starts, baseline=thread, match=("workers",))
    procs = speedups[speedups["model"] == process] if not speedups.empty else speedups
    with np.errstate(divide="ignore"):
        return procs.assign(
            slowdown=1 / procs["speedup"], low=1 / procs["high"], high=1 / procs["low"]
        ).drop(columns="speedup")


def parallel_efficiency(frame: pd.DataFrame, baseline: str | None = None) -> pd.DataFrame:
    """``paired_speedups`` with the ideal speedup and the share of it reached.

    The ideal is ``min(workers, cores)`` with the machine's ``cpu_count`` (the
    worker count alone where the frame lacks it): past the core count more
    workers cannot run more work at once, so 4 workers on 2 cores are held to 2x.
    ``efficiency`` = speedup / ideal (1.0: perfect scaling).
    """
    speedups = paired_speedups(frame, baseline)
    if speedups.empty:
        return speedups.assign(ideal=pd.Series(dtype=float), efficiency=pd.Series(dtype=float))
    workers = speedups["workers"].astype(float)
    if "cpu_count" in speedups.columns:
        cores = pd.to_numeric(speedups["cpu_count"], errors="coerce").fillna(workers)
        ideal = np.minimum(workers, cores)
    else:
        ideal = workers
    return speedups.assign(ideal=ideal, efficiency=speedups["speedup"] / ideal)


def winners(
    frame: pd.DataFrame, baseline: str | None = None, exclude: Sequence[str] = ("memcpy",)
) -> pd.DataFrame:
    """The fastest model of every case (group x workers), and its lead over the runner-up.

    The candidates of a case are the group's benchmarks at that worker count plus
    the group's ``baseline`` (the plain loop competes at every worker count: a
    pool that loses to it is no answer). ``exclude`` drops reference points that
    are no way to run the work (``memcpy``: the IPC ceiling). Per round each
    candidate's time is divided by the round's fastest; the candidate with the
    lowest median of that ratio wins (ties go to the name first in order).
    ``margin`` is the median over rounds of runner-up time / winner time (> 1);
    NaN where a case has one candidate.
    """
    baseline = baseline or model_where(is_loop)
    per_round = round_times(frame)
    per_round = per_round[~per_round["model"].isin(exclude)]
    group_keys = present(per_round, [*RUN_KEYS, "interpreter", "group"])
    case_keys = [*group_keys, "workers"]
    others = per_round[per_round["model"] != baseline]
    cases = others.loc[:, case_keys].drop_duplicates()
    base = per_round[per_round["model"] == baseline].drop(columns="workers")
    pool = pd.concat([others, base.merge(cases, on=group_keys)], ignore_index=True)
    out_columns = [*case_keys, "winner", "winner_model", "winner_start_method", "runner_up"]
    rows = []
    for key, case in pool.groupby(case_keys, dropna=False, sort=True):
        times = case.pivot_table(
            index="round", columns="benchmark", values="time_s", aggfunc="median"
        )
        relative = times.div(times.min(axis=1), axis=0).median().sort_index(kind="stable")
        ranked = relative.sort_values(kind="stable").index.tolist()
        first = case[case["benchmark"] == ranked[0]].iloc[0]
        row = dict(zip(case_keys, key, strict=True)) | {
            "winner": ranked[0],
            "winner_model": first["model"],
            "winner_start_method": first["start_method"],
            "runner_up": ranked[1] if len(ranked) > 1 else None,
            "runner_up_model": None,
            "margin": math.nan,
            "candidates": len(ranked),
            "rounds": len(times),
        }
        if len(ranked) > 1:
            second = case[case["benchmark"] == ranked[1]].iloc[0]
            row["runner_up_model"] = second["model"]
            row["margin"] = float((times[ranked[1]] / times[ranked[0]]).median())
        rows.append(row)
    if not rows:
        return pd.DataFrame(columns=[*out_columns, "runner_up_model", "margin"])
    return pd.DataFrame(rows)


# --- task granularity ----------------------------------------------------------------


def granularity_ratios(frame: pd.DataFrame) -> pd.DataFrame:
    """Process pool against the plain loop and the thread pool, per task length.

    Family ``granularity``: ``size_label`` is the task length (ordered by ``size``),
    ``payload_bytes`` what each task carries each way. One row per machine, run,
    interpreter, payload, pool worker count, chunksize setting and task length:
    ``vs_sequential`` = loop time / process-pool time and ``vs_thread_pool`` =
    thread-pool time / process-pool time (> 1: the process pool is faster), and
    ``thread_pool_vs_sequential``; each a median over rounds of within-round
    ratios. The chunksize setting is ``"1"`` (one message per task) or ``"auto"``
    (tasks / (4 x workers) per message); where "auto" comes out as 1 for a task
    length, the matrix runs that case once and it stands for both settings.
    """
    if frame.empty or "family" not in frame.columns:
        return pd.DataFrame()
    per_round = round_times(frame[frame["family"] == "granularity"])
    if per_round.empty:
        return pd.DataFrame()
    series_keys = present(per_round, [*RUN_KEYS, "interpreter", "payload_bytes"])
    size_keys = [*series_keys, "size", "size_label"]
    round_keys = [*size_keys, "round"]
    # the loop, the thread pool and the process pool the claim names, by their traits
    loop, thread_pool = model_where(is_loop), model_where(is_thread_pool)
    seq = per_round[per_round["model"] == loop].loc[:, [*round_keys, "time_s"]]
    seq = seq.rename(columns={"time_s": "sequential_s"})
    tp = per_round[per_round["model"] == thread_pool].loc[:, [*round_keys, "workers", "time_s"]]
    tp = tp.rename(columns={"time_s": "thread_pool_s"})
    pp = per_round[per_round["model"] == model_where(is_process_pool)]
    settings = []
    for setting in ("1", "auto"):
        if setting == "1":
            chosen = pp[pp["chunksize"] == 1]
        else:  # the largest chunksize at each length: the "auto" case, or 1 where auto was 1
            top = pp.groupby([*size_keys, "workers"], dropna=False)["chunksize"].transform("max")
            chosen = pp[pp["chunksize"] == top]
        settings.append(chosen.assign(setting=setting))
    procs = pd.concat(settings, ignore_index=True)
    procs = procs.loc[:, [*round_keys, "workers", "setting", "chunksize", "time_s"]]
    paired = procs.merge(seq, on=round_keys, how="inner").merge(
        tp, on=[*round_keys, "workers"], how="left"
    )
    paired = paired.assign(
        vs_sequential=paired["sequential_s"] / paired["time_s"],
        vs_thread_pool=paired["thread_pool_s"] / paired["time_s"],
        thread_pool_vs_sequential=paired["sequential_s"] / paired["thread_pool_s"],
    )
    out_keys = [*size_keys, "workers", "setting"]
    return (
        paired.groupby(out_keys, dropna=False)
        .agg(
            chunksize=("chunksize", "max"),
            vs_sequential=("vs_sequential", "median"),
            vs_thread_pool=("vs_thread_pool", "median"),
            thread_pool_vs_sequential=("thread_pool_vs_sequential", "median"),
            rounds=("round", "nunique"),
        )
        .reset_index()
        .rename(columns={"setting": "chunksize_setting"})
        .sort_values([*series_keys, "workers", "chunksize_setting", "size"], kind="stable")
        .reset_index(drop=True)
    )


def crossovers(frame: pd.DataFrame) -> pd.DataFrame:
    """The task length from which on the process pool beats the loop and the thread pool.

    Per machine, run, interpreter, payload, worker count and chunksize setting (see
    ``granularity_ratios``): ``crossover`` is the shortest task length measured from
    which on, at every longer length measured too, the process pool is faster than
    both the plain loop and the thread pool (a win at a short length followed by a
    loss does not count: that is noise or a detour, not a crossing). ``None``
    where it never does, including where it wins at no length or only at some
    length before a loss. ``vs_sequential`` / ``vs_thread_pool`` are the ratios at
    the crossover (NaN without one); ``lengths`` lists the task lengths measured.
    """
    ratios = granularity_ratios(frame)
    keys = present(
        ratios, [*RUN_KEYS, "interpreter", "payload_bytes", "workers", "chunksize_setting"]
    )
    columns = [*keys, "crossover", "crossover_size", "vs_sequential", "vs_thread_pool", "lengths"]
    if ratios.empty:
        return pd.DataFrame(columns=columns)
    rows = []
    for key, unsorted in ratios.groupby(keys, dropna=False, sort=True):
        part = unsorted.sort_values("size", kind="stable")
        # a thread pool not measured at some length cannot be beaten there: ignore it
        beats = (part["vs_sequential"] > 1) & ~(part["vs_thread_pool"] <= 1)
        crossing = None
        for position in range(len(part)):
            if beats.iloc[position:].all():
                crossing = part.iloc[position]
                break
        rows.append(
            dict(zip(keys, key, strict=True))
            | {
                "crossover": None if crossing is None else crossing["size_label"],
                "crossover_size": None if crossing is None else int(crossing["size"]),
                "vs_sequential": math.nan if crossing is None else crossing["vs_sequential"],
                "vs_thread_pool": math.nan if crossing is None else crossing["vs_thread_pool"],
                "lengths": ",".join(part["size_label"].astype(str)),
            }
        )
    out = pd.DataFrame(rows, columns=columns)
    # None, not NaN, where there is none (and a length stays an int)
    for column, kind in (("crossover", str), ("crossover_size", int)):
        out[column] = pd.Series(
            [None if pd.isna(v) else kind(v) for v in out[column]], index=out.index, dtype=object
        )
    return out


# --- memory and communication --------------------------------------------------------


def memory_per_worker(frame: pd.DataFrame) -> pd.DataFrame:
    """Extra memory per added worker: the slope of a least-squares line through the
    process tree's total (RSS, USS, PSS) against the number of live workers.

    ``bytes_low``/``bytes_high`` are the slope's 95 % interval (Student t, n - 2 degrees
    of freedom; NaN with fewer than three values), ``values`` how many it rests on.
    The one estimate of a worker's memory: the memory claim, figure and table show it.
    """
    totals = frame[frame["metric"].isin(["rss_bytes", "uss_bytes", "pss_bytes"])]
    keys = present(totals, [*RUN_KEYS, "interpreter", "model", "start_method", "variant", "metric"])
    rows = []
    for key, part in totals.groupby(keys, dropna=False):
        if part["workers"].nunique() < 2:
            continue  # a line needs two worker counts
        fit = slope_estimate(part["workers"].astype(float), part["value"].astype(float))
        rows.append(
            dict(zip(keys, key, strict=True))
            | {
                "bytes_per_worker": fit.value,
                "bytes_low": fit.low,
                "bytes_high": fit.high,
                "intercept_bytes": fit.intercept,
                "worker_counts": part["workers"].nunique(),
                "values": len(part),
            }
        )
    return pd.DataFrame(rows)


#: Channels that pass a reference, not bytes: their round trip is a hand-over time, and
#: a throughput (bytes / time) would be a figure of nothing moved, above any copy.
REFERENCE_CHANNELS = ("queue.Queue", "shared_memory_inplace")


def ipc_throughput(frame: pd.DataFrame) -> pd.DataFrame:
    """MB/s of each channel per payload (two payloads move per round trip), with the
    memory-copy ceiling measured in the same run beside it. A channel that moves no
    bytes (``REFERENCE_CHANNELS``) has its round trip only: its MB/s is NaN."""
    ipc = frame[(frame["measure"] == "ipc") & frame["time_s"].notna()]
    ipc = ipc.assign(time_s=pd.to_numeric(ipc["time_s"]))
    run = present(ipc, RUN_KEYS)
    keys = [*run, "interpreter", "model", "start_method", "size"]
    med = ipc.groupby(keys, dropna=False)["time_s"].median().reset_index()
    med["round_trip_s"] = med.pop("time_s")
    med["mb_per_s"] = 2 * med["size"] / med["round_trip_s"] / 1e6
    med.loc[med["model"].isin(REFERENCE_CHANNELS), "mb_per_s"] = math.nan
    ceiling = med[med["model"] == "memcpy"].loc[:, [*run, "interpreter", "size", "mb_per_s"]]
    return med.merge(
        ceiling.rename(columns={"mb_per_s": "memcpy_mb_per_s"}),
        on=[*run, "interpreter", "size"],
        how="left",
    )
