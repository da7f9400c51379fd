"""Communication: handing data to a process costs more than handing it to a thread."""

from __future__ import annotations

from typing import Any

import pandas as pd

from bench.report.claims.core import Verdict, by_config, claim, decide, no_data
from bench.report.format import format_bytes, format_ratio
from bench.report.metrics import crossovers, granularity_ratios, paired_speedups
from bench.report.select import where

#: A round trip counts as slower when it takes at least 1.25x as long: within-round
#: ratios of microsecond timings wander by about 10 % on this VM.
IPC_SLOWER = 1.25


def payload_text(size: int) -> str:
    return f"{format_bytes(size)} payload" if size else "no payload"


@claim(
    "ipc_slower",
    order=40,
    statement="Handing data to another process takes longer than handing it to another thread.",
    measured_by="round trip of a payload through queue.Queue vs multiprocessing Queue and Pipe",
    criteria=f"holds when at every payload size the faster of mp.Queue and mp.Pipe takes at "
    f"least {format_ratio(IPC_SLOWER)} the round trip of queue.Queue; does not hold when it "
    f"does at no payload size; depends when mixed",
)
def ipc_slower(frame: pd.DataFrame) -> Verdict:
    """Holds when at every payload size the faster of mp.Queue and mp.Pipe takes 1.25x
    queue.Queue's round trip or more; does not hold at no size; depends when mixed.
    shared_memory is shown beside: it is the way round the claim, not the claim."""
    speedups = paired_speedups(where(frame, measure="ipc"), baseline="queue.Queue")
    channels = where(speedups, model=("mp.Queue", "mp.Pipe"))
    if channels.empty:
        return no_data("round trips through queue.Queue and multiprocessing channels")
    channels = channels.assign(slowdown=1 / channels["speedup"])
    shared = where(speedups, model="shared_memory")
    shared = shared.assign(slowdown=1 / shared["speedup"])
    per_size: dict[str, dict[str, float]] = {}
    slower = []
    for (size, label), part in channels.groupby(["size", "size_label"], sort=True):
        by_channel = by_config(part, "slowdown")
        by_channel |= by_config(where(shared, size=size), "slowdown")
        per_size[str(label)] = by_channel
        fastest = min(v for c, v in by_channel.items() if not c.startswith("shared_memory"))
        slower.append(fastest >= IPC_SLOWER)
    figures = {"slowdown_vs_queue.Queue": per_size, "threshold": IPC_SLOWER}
    line = "round trip vs queue.Queue: " + "; ".join(
        f"{label}: " + ", ".join(f"{c} {format_ratio(v)}" for c, v in ratios.items())
        for label, ratios in per_size.items()
    )
    return decide(holds=all(slower), fails=not any(slower), line=line, figures=figures)


@claim(
    "threads_suit_frequent_communication",
    order=90,
    statement="For small tasks that pass data around often, threads serve better than processes.",
    measured_by="task length at which a process pool overtakes the loop and the thread pool, "
    "per payload",
    criteria="holds when, for every payload, a process pool sending one message per task "
    "overtakes the loop and the thread pool only at longer tasks than the shortest, or "
    "never; does not hold when it wins from the shortest task on; depends when mixed",
)
def threads_suit_frequent_communication(frame: pd.DataFrame) -> Verdict:
    """Holds when for every payload the process pool (one message per task) overtakes
    the loop and the thread pool only at longer tasks than the shortest, or never;
    does not hold when it wins from the shortest task on; depends when mixed."""
    found = crossovers(frame)
    if found.empty:
        return no_data("task granularity: loop, thread pool and process pool")
    # chunksize 1: one message per task, which is what communicating often means;
    # chunking is the cure (it communicates less often): shown beside, in the figures
    per_message = found[found["chunksize_setting"] == "1"]
    ratios = granularity_ratios(frame)
    ratios = ratios[ratios["chunksize_setting"] == "1"]
    shortest = ratios[ratios["size"] == ratios.groupby("payload_bytes")["size"].transform("min")]
    figures: dict[str, Any] = {
        "crossover": {
            f"payload={int(p)} chunksize={c}": x
            for p, c, x in found[["payload_bytes", "chunksize_setting", "crossover"]].itertuples(
                index=False
            )
        },
        "shortest_task": {
            f"payload={int(payload)}": {
                "task": str(part["size_label"].iloc[0]),
                "process_pool_vs_thread_pool": float(part["vs_thread_pool"].median()),
                "thread_pool_vs_sequential": float(part["thread_pool_vs_sequential"].median()),
            }
            for payload, part in shortest.groupby("payload_bytes", sort=True)
        },
    }
    # the finest tasks go to threads (or the loop) when the process pool overtakes both
    # only at a longer task, or never
    loses_fine = [
        crossing is None or crossing != lengths.split(",")[0]
        for crossing, lengths in per_message[["crossover", "lengths"]].itertuples(index=False)
    ]
    if not loses_fine:
        return no_data("a process pool with one message per task")
    where_overtakes = {
        payload_text(int(p)): "/".join(sorted({str(c or "never") for c in part["crossover"]}))
        for p, part in per_message.groupby("payload_bytes", sort=True)
    }
    line = "a process pool with one message per task overtakes loop and thread pool at: "
    line += ", ".join(f"{p}: {c}" for p, c in where_overtakes.items())
    if figures["shortest_task"]:
        tasks = {v["task"] for v in figures["shortest_task"].values()}
        line += f"; at {'/'.join(sorted(tasks))} tasks it takes " + ", ".join(
            f"{format_ratio(1 / v['process_pool_vs_thread_pool'])} "
            f"({payload_text(int(k.split('=')[1]))})"
            for k, v in figures["shortest_task"].items()
        )
        line += " the thread pool's time"
    return decide(holds=all(loses_fine), fails=not any(loses_fine), line=line, figures=figures)
