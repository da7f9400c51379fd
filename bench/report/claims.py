"""The article's claims as data, each judged by a rule over the measurements.

A ``Claim`` pairs our own one-line wording of a claim of the classic guide (see
``../shared/DESIGN.md``, "The article's claims") with the measurement it rests on
and a rule: a pure function from the tidy frame of one machine and interpreter to
a ``Verdict`` ("holds", "does not hold", "depends", or "no data" when the
measurement is missing), with a short evidence line and the figures behind it.
``evaluate`` applies every rule to every machine and interpreter of a frame. No
verdict is written by hand: change the data and the verdicts follow.

Thresholds are constants below, each with the reason for its value. Timings are
always compared within a round (``metrics.paired_speedups``), never across rounds.
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from bench.report.metrics import (
    crossovers,
    granularity_ratios,
    paired_speedups,
    parallel_efficiency,
    present,
)

HOLDS = "holds"
DOES_NOT_HOLD = "does not hold"
DEPENDS = "depends"
NO_DATA = "no data"
VERDICTS = (HOLDS, DOES_NOT_HOLD, DEPENDS, NO_DATA)

# --- thresholds, and why ---------------------------------------------------------------

#: Processes scale if they reach 3/4 of the ideal speedup min(workers, cores): 1.5x for
#: 2 workers on 2 cores. Pickling tasks and results costs a little; 2 CPU-bound processes
#: on 2 cores reach 1.8-1.95x here, so 1.5x leaves room for a noisy VM, not for a GIL.
SCALES_FRACTION = 0.75
#: Below 1.2x, two workers gained next to nothing: what threads holding one lock in
#: turn get (1.0x) plus the noise of a shared VM. For threads that is the GIL at work;
#: for processes, a failure to side-step it.
NO_GAIN = 1.2
#: A round trip counts as slower when it takes at least 1.25x as long: within-round
#: ratios of microsecond timings wander by about 10 % on this VM.
IPC_SLOWER = 1.25
#: Threads are "cheaper to start" when a process takes at least twice as long to start
#: and join; at or below 1.0x a process starts as fast as a thread.
STARTUP_CHEAPER = 2.0
#: A process "costs more memory" when one more costs at least 4x an extra thread and
#: at least 1 MiB more: a thread adds a stack (KiBs), a process an interpreter (MiBs).
#: Requiring both keeps a few pages of measurement noise from deciding either way.
MEMORY_RATIO = 4.0
MEMORY_GAP_BYTES = 1 << 20
#: Under this gap (64 pages) an extra process costs no more than a thread, in effect.
MEMORY_SAME_BYTES = 256 << 10
PAGE = 4096  # a thread's measured cost is floored at a page: ratios of ~0 mean nothing
#: I/O-bound work "suits" threads when they at least double the loop's throughput:
#: waiting overlaps, so any worker count above one should, on any core count.
IO_GAIN = 2.0

#: The pure-Python task the GIL claims rest on, when it was measured.
CPU_TASK = "100ms"
IO_WORKLOADS = ("sleep", "tcp")  # the waits the claim is about; file I/O is shown beside
THREAD_MODELS = ("threads", "thread_pool")
CRASH_VARIANTS = ("os_exit", "segfault")


@dataclass(frozen=True)
class Verdict:
    """A rule's answer: the verdict, a one-line evidence, and the figures behind it."""

    verdict: str
    evidence: str
    figures: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.verdict not in VERDICTS:
            raise ValueError(f"unknown verdict {self.verdict!r}: one of {VERDICTS}")


Rule = Callable[[pd.DataFrame], Verdict]


def decide(*, holds: bool, fails: bool, line: str, figures: dict[str, Any]) -> Verdict:
    """The verdict of a rule's two tests: its claim holds, else fails, else it depends."""
    if holds:
        return Verdict(HOLDS, line, figures)
    return Verdict(DOES_NOT_HOLD if fails else DEPENDS, line, figures)


@dataclass(frozen=True)
class Claim:
    """One claim of the guide: our paraphrase, what measures it, and its rule."""

    id: str
    statement: str
    measured_by: str
    rule: Rule
    criteria: str = ""  # the rule in words, its thresholds filled in from the constants


# --- small helpers -----------------------------------------------------------------------


def _where(frame: pd.DataFrame, **equals: Any) -> pd.DataFrame:
    """Rows whose columns equal the values (a tuple: any of them); none if a column lacks."""
    if frame.empty:
        return frame
    mask = pd.Series(True, index=frame.index)
    for column, value in equals.items():
        if column not in frame.columns:
            return frame.iloc[0:0]
        values = value if isinstance(value, tuple) else (value,)
        mask &= frame[column].isin(values)
    return frame[mask]


def _numbers(frame: pd.DataFrame) -> list[float]:
    """The rows' values as floats (a flag is 0 or 1; texts are dropped)."""
    out = []
    for value in frame["value"] if "value" in frame.columns else []:
        if isinstance(value, bool | int | float | np.number) and not pd.isna(value):
            out.append(float(value))
    return out


def _first(frame: pd.DataFrame, column: str) -> Any:
    """The column's first value that is not missing (a run-wide parameter), else None."""
    values = frame[column].dropna() if column in frame.columns else pd.Series(dtype=object)
    return None if values.empty else values.iloc[0]


def _config(row: pd.Series) -> str:
    """``process_pool/fork``, ``threads``: a model with its start method, if any."""
    method = row.get("start_method")
    if isinstance(method, str) and method not in ("", "n/a", "none"):
        return f"{row['model']}/{method}"
    return str(row["model"])


def _by_config(table: pd.DataFrame, column: str) -> dict[str, float]:
    """Median of ``column`` per model/start method (over runs and repeated rows)."""
    out: dict[str, list[float]] = {}
    for _, row in table.iterrows():
        out.setdefault(_config(row), []).append(float(row[column]))
    return {config: float(np.median(values)) for config, values in sorted(out.items())}


def _times(x: float) -> str:
    return f"{x:.2f}x"


def _bytes(n: float) -> str:
    for unit, scale in (("MiB", 1 << 20), ("KiB", 1 << 10)):
        if abs(n) >= scale:
            return f"{n / scale:.1f} {unit}"
    return f"{n:.0f} B"


def _payload(n: int) -> str:
    return f"{_bytes(n)} payload" if n else "no payload"


def _no_data(what: str) -> Verdict:
    return Verdict(NO_DATA, f"not measured: {what}")


# --- CPU-bound scaling: the GIL claims ---------------------------------------------------


def _cpu_scaling(frame: pd.DataFrame) -> tuple[pd.DataFrame, str, int] | None:
    """Speedups of the pure-Python task: 100 ms per task (else the longest measured),
    at 2 workers (else the fewest above one)."""
    speedups = parallel_efficiency(_where(frame, family="cpu_python"))
    parallel = speedups[speedups["model"] != "sequential"] if not speedups.empty else speedups
    if parallel.empty:
        return None
    labels = parallel.sort_values("size")["size_label"].tolist()
    size = CPU_TASK if CPU_TASK in labels else labels[-1]
    at_size = parallel[parallel["size_label"] == size]
    counts = sorted(w for w in at_size["workers"].unique() if w >= 2)
    if not counts:
        return None
    workers = 2 if 2 in counts else counts[0]
    return at_size[at_size["workers"] == workers], size, int(workers)


def _best(table: pd.DataFrame, models: Sequence[str]) -> tuple[float, str] | None:
    """The best median speedup among the models' configurations, and which one it is.

    The best, not a typical one: the claims are about what a program can get from a
    model, and a configuration that scales shows the model can.
    """
    by_config = _by_config(_where(table, model=tuple(models)), "speedup")
    if not by_config:
        return None
    config = max(by_config, key=lambda c: by_config[c])
    return by_config[config], config


def processes_sidestep_gil(frame: pd.DataFrame) -> Verdict:
    """Holds when the best process pool reaches 3/4 of the ideal speedup on the
    pure-Python task; does not hold under 1.2x; depends between, or on one core."""
    found = _cpu_scaling(frame)
    if found is None:
        return _no_data("pure-Python CPU tasks against the sequential loop")
    table, size, workers = found
    best = _best(table, ("process_pool",)) or _best(table, ("processes",))
    if best is None:
        return _no_data("a process pool on the pure-Python CPU task")
    speedup, config = best
    ideal = float(table["ideal"].median())
    figures = {
        "speedup": speedup,
        "config": config,
        "workers": workers,
        "task": size,
        "ideal": ideal,
        "speedup_by_config": _by_config(table, "speedup"),
    }
    line = f"{config}, {workers} workers, {size} tasks: {_times(speedup)} the loop"
    if ideal < 2:
        return Verdict(DEPENDS, f"{line}; one core: nothing can run in parallel", figures)
    line += f" (ideal {_times(ideal)})"
    return decide(
        holds=speedup >= SCALES_FRACTION * ideal,
        fails=speedup < NO_GAIN,
        line=line,
        figures=figures,
    )


def gil_limits_threads(frame: pd.DataFrame) -> Verdict:
    """Holds when even the best thread model stays under 1.2x the loop; does not hold
    when threads reach 3/4 of the ideal, as on a free-threaded build; depends between."""
    found = _cpu_scaling(frame)
    if found is None:
        return _no_data("pure-Python CPU tasks against the sequential loop")
    table, size, workers = found
    best = _best(table, THREAD_MODELS)
    if best is None:
        return _no_data("threads on the pure-Python CPU task")
    speedup, config = best
    ideal = float(table["ideal"].median())
    gil = _first(frame, "gil_enabled")
    figures = {
        "speedup": speedup,
        "config": config,
        "workers": workers,
        "task": size,
        "ideal": ideal,
        "gil": gil,
        "build": _first(frame, "python_build"),
        "speedup_by_config": _by_config(table, "speedup"),
    }
    line = f"best of threads, {workers} workers, {size} tasks: {_times(speedup)} the loop"
    line += f" (ideal {_times(ideal)}; GIL {gil or 'unknown'})"
    if ideal < 2:
        return Verdict(DEPENDS, f"{line}; one core: nothing can run in parallel", figures)
    return decide(
        holds=speedup < NO_GAIN,
        fails=speedup >= SCALES_FRACTION * ideal,  # threads scale as processes do: no GIL
        line=line,
        figures=figures,
    )


# --- fault isolation ---------------------------------------------------------------------


def processes_isolate_faults(frame: pd.DataFrame) -> Verdict:
    """Holds when, one task of N crashing, the processes model finished N-1 tasks and
    processes and pools recovered, while the crash killed the threaded program; does
    not hold when processes lost other tasks; depends when threads were not measured
    or survived (no contrast). The process pool's breakage and the leak are shown."""
    fault = _where(frame, measure="fault")
    crash = _where(fault, variant=CRASH_VARIANTS)
    procs = _where(crash, model="processes")
    finished = _where(procs, metric="tasks_finished")
    if not _numbers(finished):
        return _no_data("a crashing task under the processes model")
    tasks = int(finished["tasks"].max())
    fewest = int(min(_numbers(finished)))
    recovered = _numbers(_where(crash, model=("processes", "process_pool"), metric="recovered"))
    pool_finished = _numbers(_where(crash, model="process_pool", metric="tasks_finished"))
    survived = _numbers(_where(crash, model=THREAD_MODELS, metric="program_survived"))
    threads_finished = _numbers(_where(crash, model=THREAD_MODELS, metric="tasks_finished"))
    leak = _where(fault, variant="leak", metric="parent_rss_growth_bytes")
    growth = {
        model: float(np.median(values))
        for model in ("threads", "thread_pool", "processes", "process_pool")
        if (values := _numbers(_where(leak, model=model)))
    }
    figures: dict[str, Any] = {
        "tasks": tasks,
        "processes_tasks_finished": fewest,
        "process_pool_tasks_finished": int(min(pool_finished)) if pool_finished else None,
        "recovered": bool(recovered) and all(recovered),
        "threads_program_survived": None if not survived else any(survived),
        "threads_tasks_finished": int(min(threads_finished)) if threads_finished else None,
        "leak_parent_rss_growth_bytes": growth,
    }
    isolated = fewest >= tasks - 1 and figures["recovered"]
    line = f"one of {tasks} tasks crashes: processes finish {fewest}"
    if pool_finished:
        line += f", a process pool {int(min(pool_finished))} (it breaks)"
    line += ", a new one recovers" if figures["recovered"] else ", no recovery"
    if survived:
        line += "; threads: the program " + ("survives" if any(survived) else "dies")
    if growth.get("threads") is not None and growth.get("processes") is not None:
        line += (
            f"; a leak grows the parent by {_bytes(growth['threads'])} with threads, "
            f"{_bytes(growth['processes'])} with processes"
        )
    if not isolated:
        return Verdict(DOES_NOT_HOLD, line, figures)
    if not survived or any(survived):  # no contrast: thread crashes not measured, or harmless
        return Verdict(DEPENDS, line, figures)
    return Verdict(HOLDS, line, figures)


# --- memory ------------------------------------------------------------------------------


def processes_cost_memory(frame: pd.DataFrame) -> Verdict:
    """Holds when even the cheapest process start method adds 4x and 1 MiB more per
    idle worker than a thread; does not hold within 256 KiB; depends between."""
    memory = _where(frame, measure="memory")
    if memory.empty:
        return _no_data("memory of live workers")
    idle = memory[memory["variant"] != "working_set"] if "variant" in memory else memory
    # PSS shares each page among the processes mapping it: the honest cost of one more
    # worker (USS misses pages fork shares; RSS counts them once per process)
    for kind in ("pss", "uss", "rss"):
        rows = _where(idle, metric=f"extra_{kind}_per_worker_bytes")
        if not rows.empty:
            break
    else:
        return _no_data("extra memory per worker")
    # the most workers measured per configuration: its per-worker figure is the steadiest
    most = rows.groupby(present(rows, ["model", "start_method"]), dropna=False)["workers"]
    rows = rows[rows["workers"] == most.transform("max")]
    rows = rows.assign(number=[float(v) for v in rows["value"]])
    costs = _by_config(rows, "number")
    thread = [v for c, v in costs.items() if c in THREAD_MODELS]
    process = {c: v for c, v in costs.items() if c not in THREAD_MODELS}
    if not thread or not process:
        return _no_data("extra memory per worker of both threads and processes")
    per_thread = max(min(thread), 0.0)
    cheapest = min(process, key=lambda c: process[c])
    gap = process[cheapest] - per_thread
    working = _where(memory, variant="working_set", metric=f"extra_{kind}_per_worker_bytes")
    figures = {
        "kind": kind,
        "per_thread_bytes": per_thread,
        "per_process_bytes": process,
        "cheapest_process": cheapest,
        "gap_bytes": gap,
        "working_set_per_worker_bytes": _by_config(
            working.assign(number=[float(v) for v in working["value"]]), "number"
        ),
    }
    line = f"extra {kind.upper()} per idle worker: thread {_bytes(per_thread)}, " + ", ".join(
        f"{c} {_bytes(v)}" for c, v in process.items()
    )
    return decide(
        holds=gap >= MEMORY_GAP_BYTES and process[cheapest] >= MEMORY_RATIO * max(per_thread, PAGE),
        fails=gap < MEMORY_SAME_BYTES,
        line=line,
        figures=figures,
    )


# --- communication -----------------------------------------------------------------------


def ipc_slower(frame: pd.DataFrame) -> Verdict:
    """Holds when at every payload size the faster of mp.Queue and mp.Pipe takes 1.25x
    queue.Queue's round trip or more; does not hold at no size; depends when mixed.
    shared_memory is shown beside: it is the way round the claim, not the claim."""
    speedups = paired_speedups(_where(frame, measure="ipc"), baseline="queue.Queue")
    channels = _where(speedups, model=("mp.Queue", "mp.Pipe"))
    if channels.empty:
        return _no_data("round trips through queue.Queue and multiprocessing channels")
    channels = channels.assign(slowdown=1 / channels["speedup"])
    shared = _where(speedups, model="shared_memory")
    shared = shared.assign(slowdown=1 / shared["speedup"])
    per_size: dict[str, dict[str, float]] = {}
    slower = []
    for (size, label), part in channels.groupby(["size", "size_label"], sort=True):
        by_channel = _by_config(part, "slowdown")
        by_channel |= _by_config(_where(shared, size=size), "slowdown")
        per_size[str(label)] = by_channel
        best = min(v for c, v in by_channel.items() if not c.startswith("shared_memory"))
        slower.append(best >= IPC_SLOWER)
    figures = {"slowdown_vs_queue.Queue": per_size, "threshold": IPC_SLOWER}
    line = "round trip vs queue.Queue: " + "; ".join(
        f"{label}: " + ", ".join(f"{c} {_times(v)}" for c, v in ratios.items())
        for label, ratios in per_size.items()
    )
    return decide(holds=all(slower), fails=not any(slower), line=line, figures=figures)


def threads_suit_frequent_communication(frame: pd.DataFrame) -> Verdict:
    """Holds when for every payload the process pool (one message per task) overtakes
    the loop and the thread pool only at longer tasks than the shortest, or never;
    does not hold when it wins from the shortest task on; depends when mixed."""
    found = crossovers(frame)
    if found.empty:
        return _no_data("task granularity: loop, thread pool and process pool")
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
        return _no_data("a process pool with one message per task")
    where = {
        _payload(int(p)): "/".join(sorted({str(c or "never") for c in part["crossover"]}))
        for p, part in per_message.groupby("payload_bytes", sort=True)
    }
    line = "a process pool with one message per task overtakes loop and thread pool at: "
    line += ", ".join(f"{p}: {c}" for p, c in where.items())
    if figures["shortest_task"]:
        tasks = {v["task"] for v in figures["shortest_task"].values()}
        line += f"; at {'/'.join(sorted(tasks))} tasks it takes " + ", ".join(
            f"{1 / v['process_pool_vs_thread_pool']:.1f}x ({_payload(int(k.split('=')[1]))})"
            for k, v in figures["shortest_task"].items()
        )
        line += " the thread pool's time"
    return decide(holds=all(loses_fine), fails=not any(loses_fine), line=line, figures=figures)


# --- start-up ----------------------------------------------------------------------------


def threads_start_faster(frame: pd.DataFrame) -> Verdict:
    """Holds when starting and joining processes, by every start method and worker
    count measured, takes 2x the threads' time or more; does not hold at 1x or less."""
    starts = _where(frame, family=("startup", "article"))
    speedups = paired_speedups(starts, baseline="threads", match=("workers",))
    procs = _where(speedups, model="processes")
    if procs.empty:
        return _no_data("start and join of threads and processes")
    procs = procs.assign(slowdown=1 / procs["speedup"])
    per_workers = {
        f"{int(w)} worker{'' if w == 1 else 's'}": _by_config(part, "slowdown")
        for w, part in procs.groupby("workers", sort=True)
    }
    cheapest = min(v for ratios in per_workers.values() for v in ratios.values())
    pools = _where(
        paired_speedups(_where(frame, family="pool_startup"), "thread_pool", ("workers",)),
        model="process_pool",
    )
    figures = {
        "process_vs_thread": per_workers,
        "cheapest": cheapest,
        "pool_vs_thread_pool": _by_config(pools.assign(slowdown=1 / pools["speedup"]), "slowdown"),
    }
    line = "start+join, a process vs a thread: " + "; ".join(
        f"{w}: " + ", ".join(f"{c.split('/')[-1]} {_times(v)}" for c, v in ratios.items())
        for w, ratios in per_workers.items()
    )
    return decide(
        holds=cheapest >= STARTUP_CHEAPER, fails=cheapest <= 1.0, line=line, figures=figures
    )


# --- races ---------------------------------------------------------------------------------


def races_lose_updates(frame: pd.DataFrame) -> Verdict:
    """Holds when the unsynchronised counter lost updates in some run and the locked
    one in none; does not hold when no run lost any; depends when the lock lost some."""
    race = _where(frame, measure="race", metric="lost_updates")
    racy = _numbers(_where(race, variant="racy"))
    locked = _numbers(_where(race, variant="locked"))
    if not racy or not locked:
        return _no_data("lost updates of a shared counter, with and without a lock")
    per_million = _where(frame, measure="race", variant="racy", metric="lost_updates_per_million")
    cost = _where(frame, measure="race", metric="seconds_per_million_increments")
    racy_s, locked_s = (_numbers(_where(cost, variant=v)) for v in ("racy", "locked"))
    figures = {
        "racy_repetitions": len(racy),
        "racy_with_losses": sum(v > 0 for v in racy),
        "racy_lost_per_million_median": float(np.median(_numbers(per_million) or [math.nan])),
        "racy_lost_max": max(racy),
        "locked_lost_max": max(locked),
        "lock_cost": float(np.median(locked_s) / np.median(racy_s))
        if racy_s and locked_s
        else None,
    }
    line = (
        f"no lock: updates lost in {figures['racy_with_losses']} of {len(racy)} runs "
        f"(median {figures['racy_lost_per_million_median']:.0f} per million); "
        f"with a lock: at most {max(locked):.0f} lost"
    )
    if max(locked) > 0:  # a lock that loses updates means the measurement is broken
        return Verdict(DEPENDS, line + " (the locked counter lost updates: check the harness)",
                       figures)  # fmt: skip
    if max(racy) > 0:
        return Verdict(HOLDS, line, figures)
    return Verdict(DOES_NOT_HOLD, line, figures)


# --- I/O -------------------------------------------------------------------------------------


def threads_suit_io(frame: pd.DataFrame) -> Verdict:
    """Holds when the best thread model at least doubles the loop on every one of sleep
    and TCP; does not hold when it stays under 1.2x on all; depends when mixed."""
    speedups = paired_speedups(_where(frame, family="io"))
    if speedups.empty:
        return _no_data("I/O-bound tasks against the sequential loop")
    per_workload = {
        str(workload): _by_config(part[part["model"] != "sequential"], "speedup")
        for workload, part in speedups.groupby("workload", sort=True)
    }
    best = {
        w: max(v for c, v in configs.items() if c in THREAD_MODELS)
        for w, configs in per_workload.items()
        if w in IO_WORKLOADS and any(c in THREAD_MODELS for c in configs)
    }
    if not best:
        return _no_data("threads on sleep or TCP tasks")
    workers = int(_where(speedups, model=THREAD_MODELS)["workers"].max())
    figures = {"best_thread_speedup": best, "speedup": per_workload, "workers": workers}
    line = f"best of threads, up to {workers} workers, vs the loop: " + ", ".join(
        f"{w} {_times(v)}" for w, v in best.items()
    )
    return decide(
        holds=all(v >= IO_GAIN for v in best.values()),
        fails=all(v < NO_GAIN for v in best.values()),
        line=line,
        figures=figures,
    )


# --- the claims, and their evaluation --------------------------------------------------------

CLAIMS: tuple[Claim, ...] = (
    Claim(
        "processes_sidestep_gil",
        "Separate processes get around the GIL: CPU-heavy Python code runs on several "
        "cores at once.",
        "speedup of a process pool over the plain loop on a pure-Python CPU task",
        processes_sidestep_gil,
        f"holds when the best process model reaches {SCALES_FRACTION:.0%} of the ideal "
        f"speedup min(workers, cores); does not hold below {NO_GAIN}x; depends between",
    ),
    Claim(
        "processes_isolate_faults",
        "A worker process that crashes or leaks leaves the rest of the program standing.",
        "tasks still finished when one task dies hard; recovery; the parent's memory "
        "after leaking tasks",
        processes_isolate_faults,
        "holds when one crashing task costs the processes model no other task, processes "
        "and pools recover, and the crash kills the threaded program; does not hold when "
        "processes lose other tasks; depends when threads survive the crash",
    ),
    Claim(
        "processes_cost_memory",
        "Every extra process costs far more memory than an extra thread.",
        "extra memory (PSS) of the process tree per live idle worker, per start method",
        processes_cost_memory,
        f"holds when an extra process costs at least {MEMORY_RATIO:g}x an extra thread (a "
        f"thread counted as at least {PAGE // 1024} KiB) and {MEMORY_GAP_BYTES >> 20} MiB more; "
        f"does not hold under {MEMORY_SAME_BYTES >> 10} KiB more; depends between",
    ),
    Claim(
        "ipc_slower",
        "Handing data to another process takes longer than handing it to another thread.",
        "round trip of a payload through queue.Queue vs multiprocessing Queue and Pipe",
        ipc_slower,
        f"holds when at every payload size the faster of mp.Queue and mp.Pipe takes at least "
        f"{IPC_SLOWER}x the round trip of queue.Queue; does not hold when it does at no "
        f"payload size; depends when mixed",
    ),
    Claim(
        "threads_start_faster",
        "A thread is much quicker to start than a process.",
        "start and join of threads vs processes, per start method",
        threads_start_faster,
        f"holds when the cheapest process start takes at least {STARTUP_CHEAPER:g}x a "
        f"thread's; does not hold at 1x or below; depends between",
    ),
    Claim(
        "gil_limits_threads",
        "Because of the GIL, more threads do not make CPU-heavy Python code faster.",
        "speedup of threads over the plain loop on a pure-Python CPU task",
        gil_limits_threads,
        f"holds when the best thread model stays below {NO_GAIN}x the loop; does not "
        f"hold when it reaches {SCALES_FRACTION:.0%} of the ideal speedup; depends between",
    ),
    Claim(
        "races_lose_updates",
        "Threads that change shared data without a lock lose updates.",
        "lost updates of a shared counter, unsynchronised and locked",
        races_lose_updates,
        "holds when the unlocked counter loses updates in some run and the locked one in "
        "none; does not hold when no run loses any; depends when the lock loses some",
    ),
    Claim(
        "threads_suit_io",
        "Threads speed up programs that spend their time waiting on I/O.",
        "speedup of threads over the plain loop on sleeps and loopback TCP requests",
        threads_suit_io,
        f"holds when the best thread model does at least {IO_GAIN:g}x the loop's throughput "
        f"on every wait; does not hold when below {NO_GAIN}x on every wait; depends between",
    ),
    Claim(
        "threads_suit_frequent_communication",
        "For small tasks that pass data around often, threads serve better than processes.",
        "task length at which a process pool overtakes the loop and the thread pool, per payload",
        threads_suit_frequent_communication,
        "holds when, for every payload, a process pool sending one message per task "
        "overtakes the loop and the thread pool only at longer tasks than the shortest, or "
        "never; does not hold when it wins from the shortest task on; depends when mixed",
    ),
)
CLAIMS_BY_ID = {claim.id: claim for claim in CLAIMS}

COLUMNS = [
    "claim_id", "statement", "measured_by", "machine", "interpreter", "verdict", "evidence",
    "figures",
]  # fmt: skip


def _plain(value: Any) -> Any:
    """JSON-ready: numpy scalars to Python, NaN to None, floats to 4 significant digits."""
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float):
        return None if math.isnan(value) else float(f"{value:.4g}")
    return value


def figures_json(figures: dict[str, Any]) -> str:
    return json.dumps(_plain(figures), sort_keys=True, ensure_ascii=False)


def evaluate(frame: pd.DataFrame, claims: Iterable[Claim] = CLAIMS) -> pd.DataFrame:
    """One row per claim x machine x interpreter: the verdict, its evidence and figures.

    Every run of a machine and interpreter in ``frame`` counts: each is paired only
    with itself, and figures are medians over the runs.
    """
    if frame.empty or "interpreter" not in frame.columns:
        return pd.DataFrame(columns=COLUMNS)
    frame = frame if "machine" in frame.columns else frame.assign(machine=None)
    rows = []
    for (machine, interpreter), part in frame.groupby(["machine", "interpreter"], dropna=False):
        for claim in claims:
            verdict = claim.rule(part)
            rows.append(
                {
                    "claim_id": claim.id,
                    "statement": claim.statement,
                    "measured_by": claim.measured_by,
                    "machine": machine,
                    "interpreter": interpreter,
                    "verdict": verdict.verdict,
                    "evidence": verdict.evidence,
                    "figures": figures_json(verdict.figures),
                }
            )
    return pd.DataFrame(rows, columns=COLUMNS)
