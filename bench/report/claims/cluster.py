"""Beyond one machine: from which task length a Dask cluster keeps up with a process pool.

A cluster's scheduler handles every task (a message to it, one to a worker, one back),
so on the cores of one machine it can only lose to a process pool, by a fixed cost per
task. The question is the task length at which that cost stops mattering: measured by
the granularity family, where both run the same spin tasks on the same two workers,
one task per message (the pool's chunksize 1), paired within rounds.
"""

from __future__ import annotations

import math
import re
from typing import Any

import pandas as pd

from bench.models import Isolation
from bench.report.claims.core import (
    Bound,
    Judgement,
    Verdict,
    claim,
    estimate_figures,
    judge,
    kept_estimate,
    no_data,
    settle,
)
from bench.report.format import format_bytes, format_estimate, format_seconds, format_threshold
from bench.report.metrics import paired_ratios, round_times
from bench.report.select import is_process_pool, model_label, model_where, models_where, where

#: At most 10% over the process pool's time: the cluster "keeps up".
KEEPS_UP = 1.1
#: The claim: tasks of 100 ms or longer (nominal task lengths of the granularity family).
CLAIM_FROM_S = 0.1
_LENGTH = re.compile(r"^(\d+(?:\.\d+)?)(us|ms|s)$")
_UNIT_S = {"us": 1e-6, "ms": 1e-3, "s": 1.0}


def is_remote(spec: Any) -> bool:
    """Workers of a cluster, reached through its scheduler."""
    return bool(spec.isolation is Isolation.REMOTE)


def task_seconds(label: Any) -> float:
    """A granularity size label (``"10us"``, ``"100ms"``) in seconds; NaN if it is none."""
    found = _LENGTH.match(str(label))
    return float(found[1]) * _UNIT_S[found[2]] if found else math.nan


def cluster_ratios(frame: pd.DataFrame) -> pd.DataFrame:
    """Per round: process-pool time / cluster time (``ratio``, < 1: the cluster is slower)
    for every cluster model, task length and payload of the granularity family, the pool
    at one task per message. Adds ``task_s`` (the nominal length) and ``extra_per_task_s``
    (the cluster's time minus the pool's, per task)."""
    pool = model_where(is_process_pool)
    clusters = models_where(is_remote)
    rows = where(frame, family="granularity")
    if rows.empty or "model" not in rows.columns:
        return pd.DataFrame()
    chunked = (rows["model"] == pool) & (pd.to_numeric(rows["chunksize"], errors="coerce") != 1)
    rows = rows[rows["model"].isin([pool, *clusters]) & ~chunked]
    ratios = paired_ratios(rows, baseline=pool)
    ratios = ratios[ratios["model"].isin(clusters)]
    if ratios.empty:
        return pd.DataFrame()
    tasks = pd.to_numeric(ratios["tasks"], errors="coerce")
    return ratios.assign(
        task_s=[task_seconds(label) for label in ratios["size_label"]],
        extra_per_task_s=(ratios["time_s"] - ratios["baseline_s"]) / tasks,
    )


def startup_seconds(frame: pd.DataFrame) -> dict[str, float]:
    """Median time to start a cluster, run one task per worker and stop it (pool_startup
    family, ``lifecycle``), per cluster model and worker count."""
    rows = round_times(where(frame, family="pool_startup"))
    if rows.empty or "model" not in rows.columns:
        return {}
    rows = rows[rows["model"].isin(models_where(is_remote)) & (rows["timed"] == "lifecycle")]
    return {
        f"{model_label(model)}, {int(workers)} workers": float(part["time_s"].median())
        for (model, workers), part in rows.groupby(["model", "workers"])
    }


def catch_up_length(part: pd.DataFrame) -> str | None:
    """The shortest task length from which on, at every longer length, the cluster's
    median slowdown keeps up (below ``KEEPS_UP``); None where it never does."""
    medians = part.groupby(["task_s", "size_label"])["ratio"].median().reset_index()
    medians = medians.sort_values("task_s")
    for position in range(len(medians)):
        if (1 / medians["ratio"].iloc[position:] < KEEPS_UP).all():
            return str(medians["size_label"].iloc[position])
    return None


@claim(
    "cluster_keeps_up",
    order=95,
    statement="On the cores of one machine, a Dask cluster runs tasks of 100 ms or longer "
    "within 10% of a process pool's time; shorter tasks pay its scheduler's cost per task.",
    measured_by="granularity: the same spin tasks on a Dask cluster and a process pool, two "
    "workers each, paired within rounds",
    criteria=f"holds when, for every cluster model, payload and task length of at least "
    f"{format_seconds(CLAIM_FROM_S)}, the 95% interval of the cluster's time over the "
    f"process pool's lies below {format_threshold(KEEPS_UP)}; does not hold when it lies at "
    f"or above it for every one; depends otherwise",
)
def cluster_keeps_up(frame: pd.DataFrame) -> Verdict:
    """Judged at 100 ms and longer; the figures add the shortest length from which on the
    cluster keeps up, its extra cost per task at the shortest length and its start-up."""
    ratios = cluster_ratios(frame)
    if ratios.empty:
        return no_data("a Dask cluster beside a process pool in the granularity family")
    judgements: dict[str, Judgement] = {}
    texts: list[str] = []
    figures: dict[str, Any] = {"startup_s": startup_seconds(frame), "catch_up": {}}
    for (model, payload), part in ratios.groupby(["model", "payload_bytes"], sort=True):
        series = f"{model_label(model)}" + (f", {format_bytes(payload)} payload" if payload else "")
        figures["catch_up"][series] = catch_up_length(part)
        shortest = part[part["task_s"] == part["task_s"].min()]
        figures.setdefault("extra_per_task_s", {})[series] = float(
            shortest["extra_per_task_s"].median()
        )
        figures.setdefault("shortest", {})[series] = str(shortest["size_label"].iloc[0])
        for (task_s, label), at in part.groupby(["task_s", "size_label"], sort=True):
            speedup, dropped = kept_estimate(at)
            estimate = speedup.inverse()  # the cluster's time over the pool's
            figures.setdefault("slowdown", {})[f"{series} @ {label}"] = estimate_figures(estimate)
            if task_s < CLAIM_FROM_S:
                continue
            case = f"{series} @ {label}"
            texts.append(f"{case}: {format_estimate(estimate)}")
            judgements[case] = judge(
                estimate,
                holds=Bound(KEEPS_UP, above=False),
                fails=Bound(KEEPS_UP, above=True),
                dropped=dropped,
            )
    catch_up = "; ".join(
        f"{series} keeps up from {length or 'no length measured'}, "
        f"{format_seconds(figures['extra_per_task_s'][series])} more per task at "
        f"{figures['shortest'][series]}"
        for series, length in figures["catch_up"].items()
    )
    if figures["startup_s"]:
        starts = ", ".join(f"{k}: {format_seconds(v)}" for k, v in figures["startup_s"].items())
        catch_up += f"; start, one task per worker and stop: {starts}"
    if not judgements:
        return no_data(
            f"tasks of {format_seconds(CLAIM_FROM_S)} or longer on a Dask cluster ({catch_up})"
        )
    line = f"cluster time / process-pool time {', '.join(texts)}; {catch_up}"
    return settle(judgements, line, figures)
