"""Parallel capacity: how many cores the machine gave at each worker count in each round,
read back from the probes (``bench.capacity``), which rounds it leaves standing, and what
share of it a model used.

Every round probes k = 2, 4, 8 ... up to the cores the run planned for: the machine's own
scaling curve. A w-worker speedup is judged against that curve at k = min(w, cores) (the
nearest k probed where that one was not):

- a round is **left out** of a w-worker estimate when its capacity there is unusually low
  against the run's other rounds (``bench.capacity.LOW_AGAINST_OTHERS`` of their median):
  the host withheld cores then. Never against the ideal: a laptop with two hardware
  threads a core or a shared cloud host does not give its logical cores in full, and that
  is how the machine scales, not noise;
- the **efficiency** of a speedup is the speedup over the capacity the machine gave at
  that count (the median of the run's kept rounds): how much of what the machine gives the
  model used. 1.0 is all of it.

docs/methodology.md ("Parallel capacity") explains the rule with the 16-core files.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from bench.capacity import FAMILY as CAPACITY_FAMILY
from bench.capacity import LOW_AGAINST_OTHERS, processes_of
from bench.report.select import RUN_KEYS

#: The column that says a row's family needs cores at once (``Family.needs_cores``): the
#: evidence pipeline adds it from the catalogue. A round in which the host withheld
#: cores (``low_capacity``) is dropped from their estimates; waits, starts and copies
#: need no core and are never dropped. A frame without it (made by hand) needs cores.
NEEDS_CORES = "needs_cores"
#: What identifies a round of one interpreter: the keys capacity is joined on.
ROUND_KEYS = [*RUN_KEYS, "interpreter", "round"]
CURVE_COLUMNS = [*ROUND_KEYS, "processes", "capacity"]


def capacity_curve(frame: pd.DataFrame) -> pd.DataFrame:
    """The capacity of every round at every k probed, per interpreter: the median of the
    round's probes with k processes. Columns ``machine, run_id, interpreter, round,
    processes, capacity``; no rows for results without probes."""
    if frame.empty or not {"family", "metric", "round"} <= set(frame.columns):
        return pd.DataFrame(columns=CURVE_COLUMNS)
    probes = frame[frame["family"] == CAPACITY_FAMILY]
    if probes.empty:
        return pd.DataFrame(columns=CURVE_COLUMNS)
    cores = (
        pd.to_numeric(probes["cpu_count"], errors="coerce")
        if "cpu_count" in probes
        else pd.Series(math.nan, index=probes.index)
    )
    processes = [
        processes_of(str(metric), float(count))
        for metric, count in zip(probes["metric"], cores, strict=True)
    ]
    probes = probes.assign(
        processes=pd.array(processes, dtype="Int64"),
        capacity=pd.to_numeric(probes["value"], errors="coerce"),
    ).dropna(subset=["processes", "capacity"])
    if probes.empty:
        return pd.DataFrame(columns=CURVE_COLUMNS)
    for key in ROUND_KEYS:
        if key not in probes.columns:  # hand-made frames often lack ``machine``
            probes = probes.assign(**{key: None})
    found = (
        probes.groupby([*ROUND_KEYS, "processes"], dropna=False)["capacity"].median().reset_index()
    )
    found["processes"] = found["processes"].astype(int)
    return found.loc[:, CURVE_COLUMNS].sort_values(CURVE_COLUMNS[:-1], kind="stable")


def round_capacity(frame: pd.DataFrame) -> pd.DataFrame:
    """The capacity of every round at the most processes it probed: what the machine gave
    with all its cores. Columns ``machine, run_id, interpreter, round, processes,
    capacity``."""
    curve = capacity_curve(frame)
    if curve.empty:
        return curve
    top = curve.groupby(ROUND_KEYS, dropna=False)["processes"].transform("max")
    return curve[curve["processes"] == top].reset_index(drop=True)


def _probed_for(workers: float, cores: float, probed: list[int]) -> float:
    """The k whose capacity judges a ``workers``-worker speedup: min(workers, cores), or
    the nearest k probed (the lower on a tie) where that one was not; 1 for one worker
    (one process alone is the probe's reference: it always has its core); NaN: none."""
    if not probed or math.isnan(workers):
        return math.nan
    wanted = workers if math.isnan(cores) else min(workers, cores)
    if wanted <= 1:
        return 1.0
    return float(min(probed, key=lambda k: (abs(k - wanted), k)))


def judged_curve(curve: pd.DataFrame) -> pd.DataFrame:
    """``curve`` with ``unusually_low`` (the round's capacity at k is below
    ``LOW_AGAINST_OTHERS`` of the median of the run's other rounds at k, every interpreter
    of the run counted; False with fewer than two others) and ``machine_capacity`` (what
    the machine gave at k in the run: the median of its rounds not unusually low)."""
    parts = []
    for _, part in curve.groupby(["machine", "run_id", "processes"], dropna=False, sort=False):
        values = part["capacity"].astype(float).to_numpy()
        rounds = part["round"].to_numpy()
        low = []
        for round_no, value in zip(rounds, values, strict=True):
            others = values[rounds != round_no]
            low.append(len(others) >= 2 and value < LOW_AGAINST_OTHERS * float(np.median(others)))
        kept = values[~np.array(low, dtype=bool)]
        machine = float(np.median(kept)) if len(kept) else math.nan
        parts.append(part.assign(unusually_low=low, machine_capacity=machine))
    if not parts:
        return curve.assign(unusually_low=pd.Series(dtype=bool), machine_capacity=math.nan)
    return pd.concat(parts).sort_index()


def flag_low_capacity(frame: pd.DataFrame, per_round: pd.DataFrame) -> pd.DataFrame:
    """``per_round`` (one row per case and round, with ``workers`` and ``cpu_count``) with:

    - ``probed_processes``: the k whose capacity judges the row (``_probed_for``);
    - ``capacity``: what the round's probes measured at that k (NaN: unknown);
    - ``machine_capacity``: what the machine gave at that k in the run (its kept rounds);
    - ``low_capacity``: the round was unusually low there (False when unknown), for rows
      whose ``NEEDS_CORES`` is not false.

    Rows, their order and their index are kept; rounds are matched within one machine,
    run and interpreter only. Results without probes: all kept."""
    added = ("capacity", "low_capacity", "machine_capacity", "probed_processes")
    rows = per_round.drop(columns=[c for c in added if c in per_round])
    curve = capacity_curve(frame)
    keys = [k for k in ROUND_KEYS if k in rows.columns]
    if rows.empty or curve.empty or "round" not in keys or "workers" not in rows.columns:
        return rows.assign(capacity=math.nan, machine_capacity=math.nan,
                           probed_processes=math.nan, low_capacity=False)  # fmt: skip
    curve = judged_curve(curve)
    curve = curve.assign(
        round=pd.to_numeric(curve["round"], errors="coerce"),
        processes=curve["processes"].astype(float),
    )
    run_keys = [k for k in keys if k != "round"]
    probed: dict[tuple[object, ...], list[int]] = {}
    for key, part in curve.groupby(run_keys, dropna=False) if run_keys else [((), curve)]:
        probed[key if isinstance(key, tuple) else (key,)] = sorted(
            {int(k) for k in part["processes"]}
        )
    workers = pd.to_numeric(rows["workers"], errors="coerce").astype(float).tolist()
    cores = (
        pd.to_numeric(rows["cpu_count"], errors="coerce").astype(float).tolist()
        if "cpu_count" in rows.columns
        else [math.nan] * len(rows)
    )
    runs = list(zip(*(rows[k] for k in run_keys), strict=True)) if run_keys else [()] * len(rows)
    wanted = [
        _probed_for(w, c, probed.get(tuple(run), []))
        for w, c, run in zip(workers, cores, runs, strict=True)
    ]
    lookup = rows.loc[:, keys].assign(
        round=pd.to_numeric(rows["round"], errors="coerce"), processes=wanted
    )
    columns = [*keys, "processes", "capacity", "machine_capacity", "unusually_low"]
    matched = lookup.merge(curve.loc[:, columns], on=[*keys, "processes"], how="left")
    alone = matched["processes"] == 1.0  # one process gets one core, by definition
    matched.loc[alone, ["capacity", "machine_capacity"]] = 1.0
    matched.loc[alone, "unusually_low"] = False
    needs_cores = (
        rows[NEEDS_CORES].fillna(True).astype(bool)
        if NEEDS_CORES in rows.columns
        else pd.Series(True, index=rows.index)
    )
    low = pd.Series(matched["unusually_low"].fillna(False).astype(bool).to_numpy(), rows.index)
    return rows.assign(
        capacity=matched["capacity"].astype(float).to_numpy(),
        machine_capacity=matched["machine_capacity"].astype(float).to_numpy(),
        probed_processes=matched["processes"].astype(float).to_numpy(),
        low_capacity=low & needs_cores,
    )


def capacity_summary(frame: pd.DataFrame) -> pd.DataFrame:
    """Each run's capacity per interpreter at the most processes probed: ``processes``,
    the ``rounds`` probed, the ``median``, ``low`` and ``high`` of the rounds' capacities,
    the machine's logical ``cores`` and physical ``physical_cores`` where known, and how
    many rounds were ``unusually_low`` against the run's others (left out)."""
    columns = [*RUN_KEYS, "interpreter", "processes", "rounds", "median", "low", "high",
               "cores", "physical_cores", "unusually_low"]  # fmt: skip
    curve = capacity_curve(frame)
    if curve.empty:
        return pd.DataFrame(columns=columns)
    judged = judged_curve(curve)
    most = judged.groupby(ROUND_KEYS, dropna=False)["processes"].transform("max")
    top = judged[judged["processes"] == most]
    probes = frame[frame["family"] == CAPACITY_FAMILY]
    keys = [*RUN_KEYS, "interpreter"]
    rows = []
    for key, part in top.groupby(keys, dropna=False, sort=True):
        where = dict(zip(keys, key, strict=True))
        mine = probes
        for name, value in where.items():
            if name in mine.columns and not pd.isna(value):
                mine = mine[mine[name] == value]
        values = part["capacity"].astype(float)
        rows.append(
            where
            | {
                "processes": int(part["processes"].max()),
                "rounds": len(part),
                "median": float(values.median()),
                "low": float(values.min()),
                "high": float(values.max()),
                "cores": _most(mine, "cpu_count"),
                "physical_cores": _most(mine, "physical_cpu_count"),
                "unusually_low": int(part["unusually_low"].fillna(False).astype(bool).sum()),
            }
        )
    return pd.DataFrame(rows, columns=columns)


def _most(rows: pd.DataFrame, column: str) -> float:
    if column not in rows.columns or rows.empty:
        return math.nan
    found = pd.to_numeric(rows[column], errors="coerce").max()
    return float(found) if pd.notna(found) else math.nan


def physical_cores(frame: pd.DataFrame) -> float:
    """The machine's physical cores as its results say (NaN where unknown): past them,
    workers share a core's hardware threads."""
    return _most(frame, "physical_cpu_count")
