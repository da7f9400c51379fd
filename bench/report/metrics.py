"""Numbers derived from the tidy table: pure functions, DataFrame in, DataFrame out.

Every function groups by machine and run as well as by interpreter and case, so a
frame holding several runs (or machines) never mixes them. A key missing from the
frame (hand-made frames often lack ``machine``) is simply not grouped on.

Timings are compared only within a round (see ``paired_ratios``): the CPU of a
shared VM drifts by tens of percent within minutes, so a ratio of two times taken
minutes apart would measure the drift. Every ratio is summarised by the one estimator,
``bench.report.estimate.ratio_estimate``, whoever shows it.

The quantities of one family (start-up, memory, communication, granularity) are in its
folder (``bench/families/<name>/metrics.py``); capacity has its own module.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from bench.models import Role, model_of
from bench.report.capacity import NEEDS_CORES, flag_low_capacity
from bench.report.estimate import mean_estimate, ratio_estimate
from bench.report.select import RUN_KEYS, present

CASE_KEYS = ["interpreter", "group", "benchmark", "model", "start_method", "workers"]
#: Parameters that follow from the benchmark: carried into results, never splitting a group.
DESCRIPTIVE = [
    "family", "workload", "size", "size_label", "tasks", "timed", "variant",
    "payload_bytes", "chunksize", "cpu_count",
]  # fmt: skip
#: What the evidence pipeline adds to each row from its family (not read from results),
#: carried like the parameters: does the row need cores (``capacity.NEEDS_CORES``).
FAMILY_TRAITS = [NEEDS_CORES]
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
    keys = present(timed, [*RUN_KEYS, *CASE_KEYS, *DESCRIPTIVE, *FAMILY_TRAITS, "round"])
    return timed.groupby(keys, dropna=False)["time_s"].median().reset_index()


def paired_ratios(
    frame: pd.DataFrame, baseline: str | None = None, match: Sequence[str] = ()
) -> pd.DataFrame:
    """The ratio of every case to its group's baseline in every round it was measured.

    This machine's CPU speed drifts by tens of percent within minutes, so times of
    different rounds are never compared: per round, the median time of the baseline
    is divided by the median time of the case (``ratio`` > 1: the case is faster).
    ``baseline`` is a model (by default the loop: ``Role.LOOP``); ``match`` names further
    keys the baseline must share with the case (``("workers",)`` to compare threads
    and processes at equal worker counts). Runs and machines are paired only with
    themselves. One row per case and round, with ``time_s``, ``baseline_s``, ``ratio``,
    ``capacity`` and ``low_capacity`` (see ``flag_low_capacity``).
    """
    per_round = round_times(frame)
    columns = [*present(per_round, [*RUN_KEYS, *CASE_KEYS, *DESCRIPTIVE, *FAMILY_TRAITS]), "round"]
    if per_round.empty or "model" not in per_round.columns:
        return pd.DataFrame(
            columns=[
                *columns,
                "time_s",
                "baseline_s",
                "ratio",
                "capacity",
                "machine_capacity",
                "probed_processes",
                "low_capacity",
            ]
        )
    baseline = baseline or model_of(Role.LOOP)
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
    rests on and ``dropped`` how many were left out for low capacity. Where the run
    probed the machine's capacity (``bench.report.capacity``): ``capacity``, what the
    machine gave at min(workers, cores), and ``efficiency`` = speedup / capacity (the
    share of what the machine gave that the model used; NaN where not probed at that k).
    """
    ratios = paired_ratios(frame, baseline, match)
    keys = present(ratios, [*RUN_KEYS, *CASE_KEYS, *DESCRIPTIVE, *FAMILY_TRAITS])
    columns = [*keys, "speedup", "low", "high", "rounds", "dropped", "capacity", "efficiency"]
    if ratios.empty:
        return pd.DataFrame(columns=columns)
    rows = []
    for key, part in ratios.groupby(keys, dropna=False, sort=True):
        kept = part[~part["low_capacity"].astype(bool)]
        found = ratio_estimate(kept["ratio"].tolist())
        capacity = _capacity_at_the_count(part)
        rows.append(
            dict(zip(keys, key, strict=True))
            | {
                "speedup": found.value,
                "low": found.low,
                "high": found.high,
                "rounds": found.n,
                "dropped": len(part) - len(kept),
                "capacity": capacity,
                "efficiency": found.value / capacity if capacity > 0 else math.nan,
            }
        )
    return pd.DataFrame(rows, columns=columns)


def _capacity_at_the_count(part: pd.DataFrame) -> float:
    """What the machine gave at min(workers, cores) in the run of ``part`` (one case's
    rounds), where the probe ran exactly that many processes; else NaN: the capacity at
    another count is no yardstick for this one."""
    if "machine_capacity" not in part or "probed_processes" not in part:
        return math.nan
    workers = pd.to_numeric(part["workers"], errors="coerce").astype(float)
    cores = (
        pd.to_numeric(part["cpu_count"], errors="coerce").astype(float)
        if "cpu_count" in part
        else workers
    )
    wanted = np.minimum(workers, cores.fillna(workers))
    exact = part[part["probed_processes"].astype(float) == wanted]
    found = pd.to_numeric(exact["machine_capacity"], errors="coerce").dropna()
    return float(found.median()) if not found.empty else math.nan
