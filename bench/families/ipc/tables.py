"""The communication table: round trips and throughput by channel and payload."""

from __future__ import annotations

import pandas as pd

from bench.families.ipc.metrics import ipc_throughput
from bench.report.format import format_bytes, format_estimate, format_number, format_seconds
from bench.report.rounds import paired_ratio
from bench.report.tables import (
    NO_DATA,
    ensure_columns,
    identity_keys,
    markdown_table,
    sorted_rows,
    table,
    with_identity,
)


def ipc_table(throughput: pd.DataFrame) -> str:
    """Round trips by channel and payload (``metrics.ipc_throughput``), smallest payload
    first, with the memory copy's MB/s of the same payload as the ceiling."""
    if throughput.empty:
        return NO_DATA
    table = sorted_rows(
        ensure_columns(throughput, ["start_method", "memcpy_mb_per_s"]),
        [*identity_keys(throughput), "size", "model", "start_method"],
    )
    columns = [
        ("model", "channel"),
        ("start_method", "start method"),
        ("size", "payload"),
        ("round_trip_s", "round trip"),
        ("mb_per_s", "MB/s"),
        ("memcpy_mb_per_s", "memcpy MB/s"),
    ]
    formats = {
        "size": format_bytes,
        "round_trip_s": format_seconds,
        "mb_per_s": format_number,
        "memcpy_mb_per_s": format_number,
    }
    return markdown_table(
        table,
        with_identity(table, columns),
        formats,
        right=["size", "round_trip_s", "mb_per_s", "memcpy_mb_per_s"],
    )


@table("ipc", order=60)
def ipc(latest: pd.DataFrame) -> str:
    return ipc_table(ipc_throughput(latest))


#: What an object graph's round trip is compared with: bytes of the same size, same channel.
BYTES = "bytes"


def ipc_objects_table(frame: pd.DataFrame) -> str:
    """Round trips of object graphs (``ipc_objects``) by channel, size and kind, each with
    its time over the round trip of as many bytes through the same channel, paired within
    each round: what pickling the data people really pass adds to a hand-over."""
    if frame.empty or "measure" not in frame.columns:
        return NO_DATA
    rows = frame[frame["measure"].isin(("ipc", "ipc_objects"))]
    objects = rows[rows["measure"] == "ipc_objects"]
    if objects.empty:
        return NO_DATA
    rows = rows.assign(kind=rows["variant"].where(rows["measure"] == "ipc_objects", BYTES))
    identity = identity_keys(objects)
    keys = [*identity, "model", "start_method", "size"]
    out = []
    for key, part in rows.groupby(keys, dropna=False, sort=True):
        row = dict(zip(keys, key, strict=True))
        for kind in sorted(set(part["kind"]) - {BYTES}):
            times = pd.to_numeric(part[part["kind"] == kind]["value"], errors="coerce").dropna()
            estimate = paired_ratio(part, "kind", kind, BYTES)
            over_bytes = format_estimate(estimate) if estimate.n else None
            out.append({**row, "kind": kind, "round_trip_s": float(times.median()),
                        "over_bytes": over_bytes})  # fmt: skip
    if not out:
        return NO_DATA
    table = sorted_rows(pd.DataFrame(out), [*keys, "kind"])
    columns = [
        ("model", "channel"),
        ("start_method", "start method"),
        ("size", "pickled size"),
        ("kind", "payload"),
        ("round_trip_s", "round trip"),
        ("over_bytes", "over bytes of that size (per round)"),
    ]
    formats = {"size": format_bytes, "round_trip_s": format_seconds}
    return markdown_table(table, with_identity(table, columns), formats,
                          right=["size", "round_trip_s", "over_bytes"])  # fmt: skip


@table("ipc_objects", order=61)
def ipc_objects(latest: pd.DataFrame) -> str:
    return ipc_objects_table(latest)
