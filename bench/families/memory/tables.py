"""Memory tables: extra memory per worker by model, and copy-on-write as it behaves."""

from __future__ import annotations

import numpy as np
import pandas as pd

from bench.families.memory.metrics import WORKING_SETS, memory_per_worker
from bench.models import Role, model_of
from bench.report.format import DASH, Formatter, format_bytes, is_missing
from bench.report.select import model_label
from bench.report.tables import (
    NO_DATA,
    ensure_columns,
    identity_keys,
    markdown_table,
    sorted_rows,
    table,
    with_identity,
)


def memory_table(fits: pd.DataFrame) -> str:
    """Extra memory per added worker (``metrics.memory_per_worker``): RSS, USS and PSS
    side by side for each model, start method and variant (idle or with a working set)."""
    if fits.empty:
        return NO_DATA
    keys = [*identity_keys(fits), "model", "start_method", "variant"]
    data = ensure_columns(fits, keys)
    rows = []
    for key, part in data.groupby(keys, dropna=False, sort=False):
        slopes = dict(zip(part["metric"], part["bytes_per_worker"], strict=True))
        rows.append(
            dict(zip(keys, key, strict=True))
            | {m: slopes.get(f"{m}_bytes") for m in ("rss", "uss", "pss")}
            | {"worker_counts": part["worker_counts"].max()}
        )
    table = sorted_rows(pd.DataFrame(rows), keys)
    columns = [
        ("model", "model"),
        ("start_method", "start method"),
        ("variant", "variant"),
        ("rss", "RSS per worker"),
        ("uss", "USS per worker"),
        ("pss", "PSS per worker"),
        ("worker_counts", "worker counts"),
    ]
    per_worker: dict[str, Formatter] = dict.fromkeys(["rss", "uss", "pss"], format_bytes)
    per_worker["model"] = model_label
    return markdown_table(
        table,
        with_identity(table, columns),
        per_worker,
        right=["rss", "uss", "pss", "worker_counts"],
    )


#: The structures every forked worker reads, as a reader knows them, in reading order.
COPY_ON_WRITE_LABELS = WORKING_SETS


def copy_on_write_table(fits: pd.DataFrame) -> str:
    """Extra memory per worker process (``metrics.memory_per_worker``) when every worker
    reads 50 MiB held as one bytes object or as many small objects, with and without
    ``gc.freeze()``: PSS (and USS) per worker, with the 95 % interval of the slope."""
    if fits.empty or "variant" not in fits.columns:
        return NO_DATA
    process = model_of(Role.PROCESSES)  # the guide's processes: started per batch
    data = fits[fits["variant"].isin(list(COPY_ON_WRITE_LABELS)) & (fits["model"] == process)]
    if data.empty:
        return NO_DATA
    keys = [*identity_keys(data), "start_method", "variant"]
    data = ensure_columns(data, ["bytes_low", "bytes_high"])
    order = list(COPY_ON_WRITE_LABELS)
    rows = []
    for key, part in data.groupby(keys, dropna=False, sort=False):
        row = dict(zip(keys, key, strict=True))
        row["structure"] = COPY_ON_WRITE_LABELS[str(row["variant"])]
        row["order"] = order.index(row["variant"])
        for kind in ("pss", "uss"):
            fit = part[part["metric"] == f"{kind}_bytes"]
            row[kind] = None if fit.empty else _bytes_with_interval(fit.iloc[0])
        row["worker_counts"] = part["worker_counts"].max()
        rows.append(row)
    table = sorted_rows(pd.DataFrame(rows), [*identity_keys(data), "start_method", "order"])
    columns = [
        ("structure", "what every worker reads"),
        ("start_method", "start method"),
        ("pss", "PSS per worker (95% interval)"),
        ("uss", "USS per worker (95% interval)"),
        ("worker_counts", "worker counts"),
    ]
    return markdown_table(
        table, with_identity(table, columns), right=["pss", "uss", "worker_counts"]
    )


def _bytes_with_interval(fit: pd.Series) -> str:
    value, low, high = fit["bytes_per_worker"], fit.get("bytes_low"), fit.get("bytes_high")
    if is_missing(low) or is_missing(high) or not np.isfinite(float(low) + float(high)):
        return format_bytes(value)
    return f"{format_bytes(value)} ({format_bytes(low)}{DASH}{format_bytes(high)})"


@table("memory", order=50)
def memory(latest: pd.DataFrame) -> str:
    return memory_table(memory_per_worker(latest))


@table("copy_on_write", order=100)
def copy_on_write(latest: pd.DataFrame) -> str:
    return copy_on_write_table(memory_per_worker(latest))
