"""The communication table: round trips and throughput by channel and payload."""

from __future__ import annotations

import pandas as pd

from bench.families.ipc.metrics import ipc_throughput
from bench.report.format import format_bytes, format_number, format_seconds
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
