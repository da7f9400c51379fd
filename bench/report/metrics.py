"""Numbers derived from the tidy table: pure functions, DataFrame in, DataFrame out."""

from __future__ import annotations

import numpy as np
import pandas as pd

CASE_KEYS = ["interpreter", "group", "benchmark", "model", "start_method", "workers"]


def paired_speedups(frame: pd.DataFrame, baseline: str = "sequential") -> pd.DataFrame:
    """Speedup of every case over its group's baseline, taken within each round.

    This machine's CPU speed drifts by tens of percent within minutes, so times of
    different rounds are never compared: per round, the median time of the
    baseline is divided by the median time of the case, and the rounds' ratios
    are then summarised (median, min, max, count).
    """
    timed = frame[(frame["metric"] == "time")].dropna(subset=["time_s"])
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


def memory_per_worker(frame: pd.DataFrame) -> pd.DataFrame:
    """Extra memory per added worker: the slope of a least-squares line through the
    process tree's total (RSS, USS, PSS) against the number of live workers."""
    totals = frame[frame["metric"].isin(["rss_bytes", "uss_bytes", "pss_bytes"])]
    keys = ["interpreter", "model", "start_method", "variant", "metric"]
    rows = []
    for key, part in totals.groupby(keys, dropna=False):
        if part["workers"].nunique() < 2:
            continue  # a line needs two worker counts
        slope, intercept = np.polyfit(part["workers"].astype(float), part["value"].astype(float), 1)
        rows.append(
            dict(zip(keys, key, strict=True))
            | {
                "bytes_per_worker": slope,
                "intercept_bytes": intercept,
                "worker_counts": part["workers"].nunique(),
            }
        )
    return pd.DataFrame(rows)


def ipc_throughput(frame: pd.DataFrame) -> pd.DataFrame:
    """MB/s of each channel per payload (two payloads move per round trip), with the
    memory-copy ceiling measured in the same run beside it."""
    ipc = frame[(frame["measure"] == "ipc") & frame["time_s"].notna()]
    keys = ["interpreter", "model", "start_method", "size"]
    med = ipc.groupby(keys, dropna=False)["time_s"].median().reset_index()
    med["round_trip_s"] = med.pop("time_s")
    med["mb_per_s"] = 2 * med["size"] / med["round_trip_s"] / 1e6
    ceiling = med[med["model"] == "memcpy"].loc[:, ["interpreter", "size", "mb_per_s"]]
    return med.merge(
        ceiling.rename(columns={"mb_per_s": "memcpy_mb_per_s"}),
        on=["interpreter", "size"],
        how="left",
    )
