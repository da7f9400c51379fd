"""Task granularity: whether threads serve small, chatty tasks better than processes; and,
beyond one machine, from which task length a Dask cluster keeps up with a process pool.

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

from bench.capacity import FAMILY as CAPACITY_FAMILY
from bench.families.granularity.figures import DECISION_MAP
from bench.families.granularity.metrics import crossovers
from bench.models import Isolation, Role, model_of
from bench.report.claims import (
    Bound,
    Judgement,
    Verdict,
    claim,
    estimate_figures,
    judge_estimate,
    kept_estimate,
    no_data,
    verdict_of_judgements,
)
from bench.report.estimate import Estimate
from bench.report.format import format_bytes, format_estimate, format_seconds, format_threshold
from bench.report.metrics import paired_ratios, round_times
from bench.report.select import model_label, models_where, where

#: Threads "serve better" when the thread pool beats the best alternative: it must be
#: faster (interval above 1x) than the loop and every process pool, chunked or not.
THREADS_BETTER = 1.0

#: At most 10% over the process pool's time: the cluster "keeps up".
KEEPS_UP = 1.1
#: The claim: tasks of 100 ms or longer (nominal task lengths of the granularity family).
CLAIM_FROM_S = 0.1
_LENGTH = re.compile(r"^(\d+(?:\.\d+)?)(us|ms|s)$")
_UNIT_S = {"us": 1e-6, "ms": 1e-3, "s": 1.0}


def payload_text(size: int) -> str:
    return f"{format_bytes(size)} payload" if size else "no payload"


def thread_pool_against(rows: pd.DataFrame) -> dict[str, Estimate]:
    """The thread pool's speed against each alternative of one cell (payload and task
    length): the alternative's time / the thread pool's, per round (> 1: threads are
    faster). Alternatives: the loop, a process pool sending one message per task and
    a process pool with the largest chunksize measured."""
    out: dict[str, Estimate] = {}
    loop = rows[rows["model"] == model_of(Role.LOOP)]
    if not loop.empty:
        out["the loop"] = kept_estimate(loop)[0].inverse()
    pools = rows[rows["model"] == model_of(Role.PROCESS_POOL)]
    if not pools.empty:
        single = pools[pools["chunksize"] == 1]
        if not single.empty:
            out["a process pool, one message per task"] = kept_estimate(single)[0].inverse()
        largest = pools["chunksize"].max()
        if largest > 1:
            chunked = pools[pools["chunksize"] == largest]
            out[f"a process pool, chunksize {int(largest)}"] = kept_estimate(chunked)[0].inverse()
    return out


@claim(
    "threads_suit_frequent_communication",
    order=90,
    statement="For small tasks that pass data around often, threads serve better than processes.",
    measured_by="the thread pool against the best alternative (the loop, a process pool with "
    "one message per task, a chunked process pool) at the shortest tasks, per payload",
    criteria=f"holds when, for every payload, at the shortest tasks the thread pool beats the "
    f"best of the loop and the process pools, chunked or not (the 95% interval of their time "
    f"over the thread pool's lies above {format_threshold(THREADS_BETTER)}); does not hold "
    f"when for every payload something beats it (the interval lies below); depends otherwise",
    figures=(DECISION_MAP,),
)
def threads_suit_frequent_communication(frame: pd.DataFrame) -> Verdict:
    """Holds when at the shortest tasks of every payload the thread pool beats the
    best alternative, the loop and a chunked process pool included; does not hold
    when something beats it for every payload; depends otherwise. Where the loop or a
    chunked pool wins, that is what the evidence names, never threads."""
    ratios = paired_ratios(
        where(frame, family=("granularity", CAPACITY_FAMILY)),
        baseline=model_of(Role.THREAD_POOL),
    )
    if ratios.empty or not (ratios["model"] == model_of(Role.PROCESS_POOL)).any():
        return no_data("task granularity: loop, thread pool and process pool")
    judgements: dict[str, Judgement] = {}
    shortest: dict[str, Any] = {}
    texts = []
    cells = won = 0
    for payload, part in ratios.groupby("payload_bytes", sort=True):
        label = payload_text(int(payload))
        for size, cell in part.groupby("size", sort=True):
            against = thread_pool_against(cell)
            if not against:
                continue
            best = min(against, key=lambda name: against[name].value)
            cells += 1
            won += int(against[best].value > THREADS_BETTER)
            if size != part["size"].min():
                continue
            task = str(cell["size_label"].iloc[0])
            shortest[label] = {"task": task, "best_alternative": best} | {
                "thread_pool_vs": {name: e.value for name, e in against.items()}
            }
            texts.append(
                f"{label}, {task} tasks: the thread pool runs at "
                f"{format_estimate(against[best])} the speed of {best}, the best alternative"
            )
            judgements[label] = judge_estimate(
                against[best],
                holds=Bound(THREADS_BETTER, above=True),
                fails=Bound(THREADS_BETTER, above=False),
            )
    if not judgements:
        return no_data("the thread pool against the loop and a process pool")
    found = crossovers(frame)
    figures: dict[str, Any] = {
        "shortest_task": shortest,
        "cells_thread_pool_fastest": won,
        "cells": cells,
        "crossover": {
            f"payload={int(p)} chunksize={c}": x
            for p, c, x in found[["payload_bytes", "chunksize_setting", "crossover"]].itertuples(
                index=False
            )
        },
    }
    line = "; ".join(texts) + f"; the thread pool is fastest in {won} of {cells} cells"
    return verdict_of_judgements(judgements, line, figures)


# --- beyond one machine ---------------------------------------------------------------------


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
    pool = model_of(Role.PROCESS_POOL)
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
            judgements[case] = judge_estimate(
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
    return verdict_of_judgements(judgements, line, figures)
