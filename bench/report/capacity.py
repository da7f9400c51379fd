"""Parallel capacity: how many cores the host gave in each round, read back from the
probes (``bench.capacity``), and which speedups it leaves standing.

A round keeps its w-worker speedups of the families that need cores (``needs_cores``) only
when its measured capacity is at least ``CAPACITY_KEEP_FRACTION`` of min(w, cores);
docs/methodology.md explains why.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from bench.capacity import FAMILY as CAPACITY_FAMILY
from bench.capacity import KEEP_FRACTION
from bench.capacity import MAX_PROCESSES as CAPACITY_MAX_PROCESSES
from bench.capacity import METRIC as CAPACITY_METRIC
from bench.report.select import RUN_KEYS, present

#: The column that says a row's family needs cores at once (``Family.needs_cores``): the
#: evidence pipeline adds it from the catalogue. A round in which the host withheld
#: cores (``low_capacity``) is dropped from their estimates; waits, starts and copies
#: need no core and are never dropped. A frame without it (made by hand) needs cores.
NEEDS_CORES = "needs_cores"


def flag_low_capacity(frame: pd.DataFrame, per_round: pd.DataFrame) -> pd.DataFrame:
    """``per_round`` with ``capacity`` (NaN when unknown) and ``low_capacity`` (False when
    unknown), by ``capacity_flags`` over the capacity probes of ``frame``; rows whose
    ``NEEDS_CORES`` is false are never flagged. Results without probes: all kept."""
    unknown = per_round.assign(capacity=math.nan, low_capacity=False)
    if per_round.empty:
        return unknown
    capacity = round_capacity(frame)
    if capacity.empty:
        return unknown
    flagged = capacity_flags(per_round, capacity)
    needs_cores = (
        flagged[NEEDS_CORES].fillna(True).astype(bool)
        if NEEDS_CORES in flagged.columns
        else pd.Series(True, index=flagged.index)
    )
    low = flagged["low_capacity"].fillna(False).astype(bool) & needs_cores
    return flagged.assign(low_capacity=low)


#: A round keeps its w-worker speedups when the capacity measured in it is at least this
#: share of min(w, cores) (``bench.capacity``, docs/methodology.md).
CAPACITY_KEEP_FRACTION = KEEP_FRACTION
#: What identifies a round of one interpreter: the keys capacity is joined on.
ROUND_KEYS = [*RUN_KEYS, "interpreter", "round"]


def round_capacity(frame: pd.DataFrame) -> pd.DataFrame:
    """The parallel capacity of every round, per interpreter: the median of the round's
    capacity probes (metric ``cores``: how many cores k spinning processes got, relative
    to one). Columns ``machine, run_id, interpreter, round, capacity``; no rows for
    results without probes (older ones)."""
    columns = [*ROUND_KEYS, "capacity"]
    if frame.empty or not {"family", "metric", "round"} <= set(frame.columns):
        return pd.DataFrame(columns=columns)
    probes = frame[(frame["family"] == CAPACITY_FAMILY) & (frame["metric"] == CAPACITY_METRIC)]
    measured = pd.to_numeric(probes["value"], errors="coerce")
    probes = probes.assign(capacity=measured).dropna(subset=["capacity"])
    if probes.empty:
        return pd.DataFrame(columns=columns)
    keys = present(probes, ROUND_KEYS)
    found = probes.groupby(keys, dropna=False)["capacity"].median().reset_index()
    for key in ROUND_KEYS:
        if key not in found.columns:  # hand-made frames often lack ``machine``
            found[key] = None
    return found.loc[:, columns].sort_values(keys, kind="stable").reset_index(drop=True)


def capacity_needed(workers: pd.Series, cores: pd.Series | None) -> pd.Series:
    """The capacity a w-worker speedup needs to be kept: KEEP_FRACTION x min(w, cores)
    (the worker count alone where the cores are unknown)."""
    count = pd.to_numeric(workers, errors="coerce").astype(float)
    if cores is not None:
        count = np.minimum(count, pd.to_numeric(cores, errors="coerce").fillna(count))
    return CAPACITY_KEEP_FRACTION * count


def capacity_flags(per_round: pd.DataFrame, capacity: pd.DataFrame) -> pd.DataFrame:
    """``per_round`` (one row per case and round, with ``workers`` and ``cpu_count``)
    with the capacity of its round (``capacity``, NaN when unknown) and ``low_capacity``:
    True where that capacity is below ``capacity_needed`` (False when unknown). Rows,
    their order and their index are kept; rounds are matched within one machine, run
    and interpreter only."""
    rows = per_round.drop(columns=[c for c in ("capacity", "low_capacity") if c in per_round])
    on = [k for k in ROUND_KEYS if k in rows.columns and k in capacity.columns]
    found = pd.Series(math.nan, index=rows.index, dtype=float)
    if "round" in on and not capacity.empty and not rows.empty:
        lookup = capacity.assign(
            round=pd.to_numeric(capacity["round"], errors="coerce"),
            capacity=pd.to_numeric(capacity["capacity"], errors="coerce"),
        )
        lookup = lookup.groupby(on, dropna=False)["capacity"].median().reset_index()
        keyed = rows.loc[:, on].assign(round=pd.to_numeric(rows["round"], errors="coerce"))
        matched = keyed.merge(lookup, on=on, how="left")["capacity"]
        found = pd.Series(matched.to_numpy(dtype=float), index=rows.index)
    if "workers" in rows.columns:
        cores = rows["cpu_count"] if "cpu_count" in rows.columns else None
        low = found.notna() & (found < capacity_needed(rows["workers"], cores))
    else:
        low = pd.Series(False, index=rows.index)
    return rows.assign(capacity=found, low_capacity=low.astype(bool))


def capacity_summary(frame: pd.DataFrame) -> pd.DataFrame:
    """Each run's capacity per interpreter: ``rounds`` probed, the ``median``, ``low``
    and ``high`` of the rounds' capacities, the machine's ``cores``, the ``threshold``
    a speedup at every core needs (KEEP_FRACTION x min(cores, the most processes a
    probe runs)) and how many rounds fell ``below`` it."""
    columns = [*RUN_KEYS, "interpreter", "rounds", "median", "low", "high", "cores",
               "threshold", "below"]  # fmt: skip
    capacity = round_capacity(frame)
    if capacity.empty:
        return pd.DataFrame(columns=columns)
    cores = frame[frame["family"] == CAPACITY_FAMILY]
    keys = [*RUN_KEYS, "interpreter"]
    rows = []
    for key, part in capacity.groupby(keys, dropna=False, sort=True):
        where = dict(zip(keys, key, strict=True))
        mine = cores
        for name, value in where.items():
            if name in mine.columns and not pd.isna(value):
                mine = mine[mine[name] == value]
        count = pd.to_numeric(mine.get("cpu_count"), errors="coerce").max() if len(mine) else None
        count = float(count) if count is not None and pd.notna(count) else math.nan
        threshold = CAPACITY_KEEP_FRACTION * min(count, CAPACITY_MAX_PROCESSES)
        values = part["capacity"].astype(float)
        rows.append(
            where
            | {
                "rounds": len(part),
                "median": float(values.median()),
                "low": float(values.min()),
                "high": float(values.max()),
                "cores": count,
                "threshold": threshold,
                "below": int((values < threshold).sum()) if not math.isnan(threshold) else 0,
            }
        )
    return pd.DataFrame(rows, columns=columns)
