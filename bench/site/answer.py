"""The home page's answer: a few headline numbers, each computed from the newest runs.

One row per question a reader brings ("what does a worker cost to start?"), one column
per interpreter, each cell an estimate with its 95 % interval and the number of rounds
(``bench.report.estimate``), never a number typed into the prose.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import pandas as pd

from bench.models import Role, model_of
from bench.report import tables
from bench.report.claims import default_start_method
from bench.report.estimate import Estimate, ratio_estimate
from bench.report.format import DASH, TIMES, format_estimate, format_seconds
from bench.report.markdown import inert
from bench.report.metrics import paired_ratios, round_times
from bench.report.select import (
    model_label,
    readable_interpreter_labels,
    where,
)
from bench.site.data import SourceData


@dataclass(frozen=True)
class Headline:
    question: str
    cell: Callable[[pd.DataFrame], str]  # one interpreter's tidy rows -> the cell


def _time_estimate(per_round: pd.DataFrame, per: float = 1.0) -> Estimate:
    """A time's estimate over rounds (the rounds' medians, each divided by ``per``)."""
    return ratio_estimate(list(per_round["time_s"].astype(float) / per))


def format_time_estimate(estimate: Estimate) -> str:
    """A time with its interval and n: "140 µs (120-160 µs, n=5)", an en dash between."""
    if estimate.n == 0 or math.isnan(estimate.value):
        return tables.NO_DATA.strip()
    if not estimate.known:
        return f"{format_seconds(estimate.value)} (n={estimate.n})"
    interval = f"{format_seconds(estimate.low)}{DASH}{format_seconds(estimate.high)}"
    return f"{format_seconds(estimate.value)} ({interval}, n={estimate.n})"


def _start(rows: pd.DataFrame) -> str:
    times = round_times(where(rows, family="startup"))
    if times.empty:
        return ""
    # The most workers measured: a per-worker cost, not one start's noise.
    workers = int(times["workers"].max())
    times = where(times, workers=workers)
    parts = []
    thread, process = model_of(Role.THREADS), model_of(Role.PROCESSES)
    for label, model, method in (
        ("thread", thread, "n/a"),
        ("fork", process, "fork"),
        ("spawn", process, "spawn"),
    ):
        found = where(times, model=model, start_method=method)
        if not found.empty:
            parts.append(f"{label} {format_time_estimate(_time_estimate(found, workers))}")
    return f"{'; '.join(parts)} ({workers} started and joined at once)" if parts else ""


def _hand_over(rows: pd.DataFrame) -> str:
    times = round_times(where(rows, family="ipc", size_label="64B"))
    parts = []
    for label, model in (("to a thread (queue.Queue)", "queue.Queue"),
                         ("to a process (mp.Pipe)", "mp.Pipe")):  # fmt: skip
        found = where(times, model=model)
        if not found.empty:
            parts.append(f"{label} {format_time_estimate(_time_estimate(found))}")
    return "; ".join(parts)


def _speedup(ratios: pd.DataFrame) -> Estimate:
    if ratios.empty:
        return ratio_estimate([])
    kept = ratios[~ratios["low_capacity"].astype(bool)] if "low_capacity" in ratios else ratios
    return ratio_estimate(list(kept["ratio"].astype(float)))


def _speedup_text(label: str, estimate: Estimate) -> str:
    return f"{label} {format_estimate(estimate)}" if estimate.n else ""


def _tiny_tasks(rows: pd.DataFrame) -> str:
    ratios = paired_ratios(where(rows, family="granularity", size_label="10us", payload_bytes=0))
    pool = where(ratios, model=model_of(Role.PROCESS_POOL))
    if pool.empty:
        return ""
    one = _speedup(pool[pool["chunksize"] == 1])
    batched = _speedup(pool[pool["chunksize"] > 1])
    parts = [_speedup_text("one task per message", one),
             _speedup_text("with chunksize", batched)]  # fmt: skip
    return "; ".join(p for p in parts if p)


def _cpu(rows: pd.DataFrame) -> str:
    ratios = paired_ratios(where(rows, family="cpu_python", size_label="100ms", workers=(1, 2)))
    two = where(ratios, workers=2)
    # The start method a program gets without asking: chosen before any timing is read.
    method = default_start_method(rows)
    process_pool, thread = model_of(Role.PROCESS_POOL), model_of(Role.THREADS)
    pool = _speedup(where(two, model=process_pool, start_method=method))
    threads = _speedup(where(two, model=thread))
    parts = [_speedup_text(f"{model_label(process_pool)} ({method})", pool),
             _speedup_text(model_label(thread), threads)]  # fmt: skip
    return "; ".join(p for p in parts if p)


HEADLINES: tuple[Headline, ...] = (
    Headline("Two pure-Python CPU tasks on 2 workers: speedup over the plain loop", _cpu),
    Headline("Starting a worker (per worker)", _start),
    Headline("Handing 64 bytes to a worker and back", _hand_over),
    Headline(
        f"10 {chr(0xB5)}s tasks in a process pool of 2: speedup over the loop "
        f"(below 1{TIMES}: slower)",
        _tiny_tasks,
    ),
)


def answer_table(data: SourceData, headlines: Sequence[Headline] = HEADLINES) -> str:
    """The headline numbers of one results folder: questions down, interpreters across."""
    latest = data.latest
    if latest.empty:
        return tables.NO_DATA
    names = readable_interpreter_labels(latest)
    interpreters = sorted(names, key=lambda i: names[i])
    head = ["question", *(names[i] for i in interpreters)]
    lines = ["| " + " | ".join(inert(h) for h in head) + " |", "|" + "---|" * len(head)]
    for headline in headlines:
        cells = [headline.cell(where(latest, interpreter=i)) or DASH for i in interpreters]
        lines.append("| " + " | ".join(inert(c) for c in [headline.question, *cells]) + " |")
    machines = ", ".join(sorted({str(m) for m in latest["machine"].dropna().unique()}))
    return "\n".join(lines) + f"\n\n_Measured on {inert(machines)}._\n"
