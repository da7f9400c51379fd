"""Numbers derived from the tidy table: pure functions, DataFrame in, DataFrame out."""

from __future__ import annotations

import pandas as pd

CASE_KEYS = ["interpreter", "group", "benchmark", "model", "start_method", "workers"]


def paired_speedups(frame: pd.DataFrame, baseline: str = "sequential") -> pd.DataFrame:
    """Speedup of every case over its group's baseline, taken within each round.

    This machine's CPU speed drifts by tens of percent within minutes, so times of
    different rounds are never compared: per round, the median time of the
    baseline is divided by the median time of the case, and the rounds' ratios
    are then summarised (median, min, max, count).
    """
    timed = frame.dropna(subset=["time_s"])
    per_round = timed.groupby([*CASE_KEYS, "round"], dropna=False)["time_s"].median().reset_index()
    base = (
        per_round[per_round["model"] == baseline]
        .loc[:, ["interpreter", "group", "round", "time_s"]]
        .rename(columns={"time_s": "baseline_s"})
    )
    paired = per_round.merge(base, on=["interpreter", "group", "round"], how="inner")
    paired["speedup"] = paired["baseline_s"] / paired["time_s"]
    return (
        paired.groupby(CASE_KEYS, dropna=False)["speedup"]
        .agg(speedup="median", low="min", high="max", rounds="count")
        .reset_index()
    )
