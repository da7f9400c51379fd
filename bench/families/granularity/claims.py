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
    MIXED_OR_UNCLEAR,
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

#: Threads "serve better" than processes when the process pool takes longer than the thread
#: pool (its time over the thread pool's, interval and all, above 1x); they serve worse when
#: the whole interval lies below. Judged against both ways of handing tasks to processes.
THREADS_BETTER = 1.0
#: The two ways a process pool is handed tasks, as the evidence names them.
ONE_PER_MESSAGE = "one task per message"
CHUNKED = "chunked"


def payload_text(size: int) -> str:
    return f"{format_bytes(size)} payload" if size else "no payload"


def process_pools_against(rows: pd.DataFrame) -> dict[str, tuple[Estimate, int]]:
    """The process pool's time over the thread pool's in one cell (payload and task length),
    per way of handing it tasks (> 1: threads are faster): one message per task
    (chunksize 1) and the largest chunksize measured; with that chunksize (1 for the first)."""
    out: dict[str, tuple[Estimate, int]] = {}
    pools = rows[rows["model"] == model_of(Role.PROCESS_POOL)]
    if pools.empty:
        return out
    single = pools[pools["chunksize"] == 1]
    if not single.empty:
        out[ONE_PER_MESSAGE] = (kept_estimate(single)[0].inverse(), 1)
    largest = int(pools["chunksize"].max())
    if largest > 1:
        chunked = pools[pools["chunksize"] == largest]
        out[CHUNKED] = (kept_estimate(chunked)[0].inverse(), largest)
    return out


def loop_against(rows: pd.DataFrame) -> Estimate | None:
    """The loop's time over the thread pool's in one cell (< 1: the loop is faster), shown
    beside the verdict: the claim is about threads against processes, not about the loop."""
    loop = rows[rows["model"] == model_of(Role.LOOP)]
    return kept_estimate(loop)[0].inverse() if not loop.empty else None


def _hand_over_text(way: str, chunksize: int) -> str:
    pool = "the process pool"
    return f"{pool}, {way}," if way == ONE_PER_MESSAGE else f"{pool}, {chunksize} tasks a message,"


@claim(
    "threads_suit_frequent_communication",
    order=90,
    from_article=True,
    statement="For small tasks that pass data around often, threads serve better than processes.",
    measured_by="the thread pool against a process pool handed one task per message and one "
    "handed tasks in chunks, at the shortest tasks, per payload (the loop shown beside)",
    criteria=f"judged at the shortest tasks of every payload, against a process pool both ways "
    f"of handing it tasks (one per message, and chunked); holds when, for every payload and "
    f"both ways, the 95% interval of the process pool's time over the thread pool's lies "
    f"above {format_threshold(THREADS_BETTER)}; does not hold when it lies below for every "
    f"one; {MIXED_OR_UNCLEAR}",
    figures=(DECISION_MAP,),
)
def threads_suit_frequent_communication(frame: pd.DataFrame) -> Verdict:
    """Holds when at the shortest tasks of every payload the thread pool beats a process
    pool handed one task per message and one handed chunks; does not hold when both
    beat it; depends on the hand-over (or payload) when they go different ways. The
    loop is named beside, where it beats the threads: for tasks this small neither
    workers may pay."""
    ratios = paired_ratios(
        where(frame, family=("granularity", CAPACITY_FAMILY)),
        baseline=model_of(Role.THREAD_POOL),
    )
    if ratios.empty or not (ratios["model"] == model_of(Role.PROCESS_POOL)).any():
        return no_data("task granularity: thread pool and process pool")
    judgements: dict[str, Judgement] = {}
    shortest: dict[str, Any] = {}
    texts = []
    cells = won = 0
    for payload, part in ratios.groupby("payload_bytes", sort=True):
        label = payload_text(int(payload))
        for size, cell in part.groupby("size", sort=True):
            against = process_pools_against(cell)
            if not against:
                continue
            cells += 1
            won += int(all(e.value > THREADS_BETTER for e, _ in against.values()))
            if size != part["size"].min():
                continue
            task = str(cell["size_label"].iloc[0])
            loop = loop_against(cell)
            shortest[label] = {
                "task": task,
                "process_pool_over_thread_pool": {
                    way: estimate_figures(e) | {"chunksize": c} for way, (e, c) in against.items()
                },
                "loop_over_thread_pool": None if loop is None else estimate_figures(loop),
            }
            shown = [
                f"{_hand_over_text(way, c)} {format_estimate(e)}" for way, (e, c) in against.items()
            ]
            text = f"{label}, {task} tasks: {', '.join(shown)}"
            if loop is not None:
                text += f"; the plain loop {format_estimate(loop)}"
            texts.append(text)
            for way, (estimate, _) in against.items():
                judgements[f"{label} ({way})"] = judge_estimate(
                    estimate,
                    holds=Bound(THREADS_BETTER, above=True),
                    fails=Bound(THREADS_BETTER, above=False),
                )
    if not judgements:
        return no_data("the thread pool against a process pool at the shortest tasks")
    found = crossovers(frame)
    figures: dict[str, Any] = {
        "shortest_task": shortest,
        "cells_thread_pool_beats_processes": won,
        "cells": cells,
        "crossover": {
            f"payload={int(p)} chunksize={c}": x
            for p, c, x in found[["payload_bytes", "chunksize_setting", "crossover"]].itertuples(
                index=False
            )
        },
    }
    line = (
        "time over the thread pool's, "
        + "; ".join(texts)
        + f"; the thread pool beats the process pool both ways in {won} of {cells} cells"
    )
    return verdict_of_judgements(judgements, line, figures, across="the hand-over and payload")


# --- beyond one machine ---------------------------------------------------------------------

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


def startup_seconds(frame: pd.DataFrame) -> dict[str, tuple[float, int]]:
    """Median time to start a cluster, run one task per worker and stop it (pool_startup
    family, ``lifecycle``), per cluster model and worker count, with the rounds it rests on."""
    rows = round_times(where(frame, family="pool_startup"))
    if rows.empty or "model" not in rows.columns:
        return {}
    rows = rows[rows["model"].isin(models_where(is_remote)) & (rows["timed"] == "lifecycle")]
    return {
        f"{model_label(model)}, {int(workers)} workers": (
            float(part["time_s"].median()),
            int(part["round"].nunique()) if "round" in part else len(part),
        )
        for (model, workers), part in rows.groupby(["model", "workers"])
    }


def median_text(value: float, n: int) -> str:
    """A median with the count it rests on, where no interval is given."""
    return f"{format_seconds(value)} (median of {n} round{'' if n == 1 else 's'})"


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
    f"or above it for every one; {MIXED_OR_UNCLEAR}",
)
def cluster_keeps_up(frame: pd.DataFrame) -> Verdict:
    """Judged at 100 ms and longer; the figures add the shortest length from which on the
    cluster keeps up, its extra cost per task at the shortest length and its start-up."""
    ratios = cluster_ratios(frame)
    if ratios.empty:
        return no_data("a Dask cluster beside a process pool in the granularity family")
    judgements: dict[str, Judgement] = {}
    texts: list[str] = []
    starts = startup_seconds(frame)
    figures: dict[str, Any] = {
        "startup_s": {name: value for name, (value, _) in starts.items()},
        "startup_rounds": {name: n for name, (_, n) in starts.items()},
        "catch_up": {},
    }
    for (model, payload), part in ratios.groupby(["model", "payload_bytes"], sort=True):
        series = f"{model_label(model)}" + (f", {format_bytes(payload)} payload" if payload else "")
        figures["catch_up"][series] = catch_up_length(part)
        shortest = part[part["task_s"] == part["task_s"].min()]
        figures.setdefault("extra_per_task_s", {})[series] = float(
            shortest["extra_per_task_s"].median()
        )
        figures.setdefault("extra_per_task_rounds", {})[series] = len(shortest)
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
    extra, rounds = figures["extra_per_task_s"], figures["extra_per_task_rounds"]
    catch_up = "; ".join(
        f"{series} keeps up from {length or 'no length measured'}, "
        f"{median_text(extra[series], rounds[series])} more per task at "
        f"{figures['shortest'][series]}"
        for series, length in figures["catch_up"].items()
    )
    if starts:
        started = ", ".join(f"{k}: {median_text(v, n)}" for k, (v, n) in starts.items())
        catch_up += f"; start, one task per worker and stop: {started}"
    if not judgements:
        return no_data(
            f"tasks of {format_seconds(CLAIM_FROM_S)} or longer on a Dask cluster ({catch_up})"
        )
    line = f"cluster time / process-pool time {', '.join(texts)}; {catch_up}"
    return verdict_of_judgements(judgements, line, figures, across="the cluster and payload")
