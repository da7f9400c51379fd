"""Communication in numbers: each channel's throughput beside the memory-copy ceiling."""

from __future__ import annotations

import math

import pandas as pd

from bench.report.select import RUN_KEYS, present

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
