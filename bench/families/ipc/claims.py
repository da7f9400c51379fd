"""Communication: handing data to a process costs more than handing it to a thread."""

from __future__ import annotations

from typing import Any

import pandas as pd

from bench.families.ipc.figures import IPC_FIGURE
from bench.report.claims import (
    DECIDED,
    DEPENDS,
    INCONCLUSIVE,
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
from bench.report.format import format_bytes, format_estimate, format_threshold
from bench.report.metrics import paired_ratios
from bench.report.select import config_label, where

#: A round trip counts as slower when it takes at least 1.25x as long: within-round
#: ratios of microsecond timings wander by about 10 % on this VM.
IPC_SLOWER = 1.25
#: The thread's channel the processes' are held against.
REFERENCE_CHANNEL = "queue.Queue"
#: The process channels the claim is about; shared_memory is the way round it, shown beside.
PROCESS_CHANNELS = ("mp.Queue", "mp.Pipe")


def size_text(size: int) -> str:
    return format_bytes(size) if size else "no payload"


@claim(
    "ipc_slower",
    order=40,
    from_article=True,
    statement="Handing data to another process takes longer than handing it to another thread.",
    measured_by="round trip of a payload through queue.Queue vs multiprocessing Queue and Pipe",
    criteria=f"holds when at every payload size the 95% interval of the faster of mp.Queue and "
    f"mp.Pipe lies at or above {format_threshold(IPC_SLOWER)} the round trip of queue.Queue; "
    f"does not hold when it lies below at every payload size; {MIXED_OR_UNCLEAR}",
    figures=(IPC_FIGURE,),
)
def ipc_slower(frame: pd.DataFrame) -> Verdict:
    """Holds when at every payload size the faster of mp.Queue and mp.Pipe takes 1.25x
    queue.Queue's round trip or more, interval and all; does not hold when below at
    every size; depends when mixed, saying at which sizes; else inconclusive. The faster
    channel is the one that could refute the claim. shared_memory is shown beside: it is the way
    round the claim, not the claim."""
    ratios = paired_ratios(where(frame, measure="ipc"), baseline=REFERENCE_CHANNEL)
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
        judgements[label] = judge_estimate(
            process[fastest],
            holds=Bound(IPC_SLOWER, above=True),
            fails=Bound(IPC_SLOWER, above=False),
        )
    figures: dict[str, Any] = {"slowdown_vs_queue.Queue": per_size, "fastest_channel": chosen}
    figures["threshold"] = IPC_SLOWER
    line = "round trip of the faster process channel vs queue.Queue: " + "; ".join(texts)
    verdict = verdict_of_judgements(judgements, line, figures, across="the payload size")
    unsure = [j.reason for j in judgements.values() if j.verdict not in DECIDED]
    thin = bool(unsure) and all("too little" in reason for reason in unsure)
    if verdict.verdict in (DEPENDS, INCONCLUSIVE) and not thin:
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
