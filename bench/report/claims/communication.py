"""Communication: handing data to a process costs more than handing it to a thread."""

from __future__ import annotations

from typing import Any

import pandas as pd

from bench.capacity import FAMILY as CAPACITY_FAMILY
from bench.report.claims.core import (
    DEPENDS,
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
from bench.report.estimate import Estimate
from bench.report.format import format_bytes, format_estimate, format_threshold
from bench.report.metrics import crossovers, paired_ratios
from bench.report.select import (
    config_label,
    is_loop,
    is_process_pool,
    is_thread_pool,
    model_where,
    where,
)

#: A round trip counts as slower when it takes at least 1.25x as long: within-round
#: ratios of microsecond timings wander by about 10 % on this VM.
IPC_SLOWER = 1.25
#: The process channels the claim is about; shared_memory is the way round it, shown beside.
PROCESS_CHANNELS = ("mp.Queue", "mp.Pipe")
#: Threads "serve better" when the thread pool beats the best alternative: it must be
#: faster (interval above 1x) than the loop and every process pool, chunked or not.
THREADS_BETTER = 1.0


def payload_text(size: int) -> str:
    return f"{format_bytes(size)} payload" if size else "no payload"


def size_text(size: int) -> str:
    return format_bytes(size) if size else "no payload"


@claim(
    "ipc_slower",
    order=40,
    statement="Handing data to another process takes longer than handing it to another thread.",
    measured_by="round trip of a payload through queue.Queue vs multiprocessing Queue and Pipe",
    criteria=f"holds when at every payload size the 95% interval of the faster of mp.Queue and "
    f"mp.Pipe lies at or above {format_threshold(IPC_SLOWER)} the round trip of queue.Queue; "
    f"does not hold when it lies below at every payload size; depends when mixed or unclear",
)
def ipc_slower(frame: pd.DataFrame) -> Verdict:
    """Holds when at every payload size the faster of mp.Queue and mp.Pipe takes 1.25x
    queue.Queue's round trip or more, interval and all; does not hold when below at
    every size; depends when mixed, saying at which sizes. The faster channel is the
    one that could refute the claim. shared_memory is shown beside: it is the way
    round the claim, not the claim."""
    ratios = paired_ratios(where(frame, measure="ipc"), baseline="queue.Queue")
    channels = where(ratios, model=PROCESS_CHANNELS)
    if channels.empty:
        return no_data("round trips through queue.Queue and multiprocessing channels")
    per_size: dict[str, dict[str, float]] = {}
    judgements: dict[str, Judgement] = {}
    chosen: dict[str, Any] = {}
    texts = []
    candidates = where(ratios, model=(*PROCESS_CHANNELS, "shared_memory"))
    for size, part in candidates.groupby("size", sort=True):
        slowdowns: dict[str, Estimate] = {}
        for (model, method), rows in part.groupby(["model", "start_method"], dropna=False):
            slowdowns[config_label(model, method)] = kept_estimate(rows)[0].inverse()
        per_size[size_text(int(size))] = {c: e.value for c, e in sorted(slowdowns.items())}
        process = {c: e for c, e in slowdowns.items() if c.split("/")[0] in PROCESS_CHANNELS}
        if not process:
            continue
        fastest = min(process, key=lambda c: process[c].value)
        label = size_text(int(size))
        chosen[label] = {"channel": fastest} | estimate_figures(process[fastest])
        texts.append(f"{label}: {fastest} {format_estimate(process[fastest])}")
        judgements[label] = judge(
            process[fastest],
            holds=Bound(IPC_SLOWER, above=True),
            fails=Bound(IPC_SLOWER, above=False),
        )
    figures: dict[str, Any] = {"slowdown_vs_queue.Queue": per_size, "fastest_channel": chosen}
    figures["threshold"] = IPC_SLOWER
    line = "round trip of the faster process channel vs queue.Queue: " + "; ".join(texts)
    verdict = settle(judgements, line, figures)
    unsure = [j.reason for j in judgements.values() if j.verdict == DEPENDS]
    thin = bool(unsure) and all("too little" in reason for reason in unsure)
    if verdict.verdict == DEPENDS and not thin:
        # why it can go both ways: the copy grows with the payload, the wake-up does not
        verdict = Verdict(
            verdict.verdict,
            f"{verdict.evidence}. In words: a round trip of a small payload is mostly the "
            "wake-up of the other side, which a thread pays as a process does, so processes "
            "are not clearly slower there; the pickling and copying that make them slower "
            "grow with the payload",
            verdict.figures,
        )
    return verdict


def thread_pool_against(rows: pd.DataFrame) -> dict[str, Estimate]:
    """The thread pool's speed against each alternative of one cell (payload and task
    length): the alternative's time / the thread pool's, per round (> 1: threads are
    faster). Alternatives: the loop, a process pool sending one message per task and
    a process pool with the largest chunksize measured."""
    out: dict[str, Estimate] = {}
    loop = rows[rows["model"] == model_where(is_loop)]
    if not loop.empty:
        out["the loop"] = kept_estimate(loop)[0].inverse()
    pools = rows[rows["model"] == model_where(is_process_pool)]
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
)
def threads_suit_frequent_communication(frame: pd.DataFrame) -> Verdict:
    """Holds when at the shortest tasks of every payload the thread pool beats the
    best alternative, the loop and a chunked process pool included; does not hold
    when something beats it for every payload; depends otherwise. Where the loop or a
    chunked pool wins, that is what the evidence names, never threads."""
    ratios = paired_ratios(
        where(frame, family=("granularity", CAPACITY_FAMILY)),
        baseline=model_where(is_thread_pool),
    )
    if ratios.empty or not (ratios["model"] == model_where(is_process_pool)).any():
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
            judgements[label] = judge(
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
    return settle(judgements, line, figures)
