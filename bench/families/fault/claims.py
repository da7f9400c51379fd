"""Fault isolation: a crashing or leaking worker process leaves the program standing."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from bench.models import Role, model_of
from bench.report.claims import (
    DOES_NOT_HOLD,
    HOLDS,
    Verdict,
    claim,
    inconclusive,
    no_data,
)
from bench.report.format import format_bytes
from bench.report.select import (
    models_where,
    numbers,
    runs_processes,
    runs_threads,
    where,
)

CRASH_VARIANTS = ("os_exit", "segfault")


@claim(
    "processes_isolate_faults",
    order=20,
    from_article=True,
    statement="A worker process that crashes or leaks leaves the rest of the program standing.",
    measured_by="tasks still finished when one task dies hard; recovery; the parent's memory "
    "after leaking tasks",
    criteria="holds when one crashing task costs the processes model no other task, processes "
    "and pools recover, and the crash kills the threaded program; does not hold when "
    "processes lose other tasks; inconclusive when threads survive the crash or were not "
    "measured crashing (no contrast)",
)
def processes_isolate_faults(frame: pd.DataFrame) -> Verdict:
    """Holds when, one task of N crashing, the processes model finished N-1 tasks and
    processes and pools recovered, while the crash killed the threaded program; does
    not hold when processes lost other tasks; inconclusive when threads were not
    measured or survived (no contrast). The process pool's breakage and the leak are shown."""
    # the guide's processes and process pool, by their traits; any model of processes
    # (never subinterpreters or a remote cluster) must recover, any thread model contrasts
    process, process_pool = model_of(Role.PROCESSES), model_of(Role.PROCESS_POOL)
    processes, threads = models_where(runs_processes), models_where(runs_threads)
    fault = where(frame, measure="fault")
    crash = where(fault, variant=CRASH_VARIANTS)
    procs = where(crash, model=process)
    finished = where(procs, metric="tasks_finished")
    if not numbers(finished):
        return no_data("a crashing task under the processes model")
    tasks = int(finished["tasks"].max())
    fewest = int(min(numbers(finished)))
    recovered = numbers(where(crash, model=processes, metric="recovered"))
    pool_finished = numbers(where(crash, model=process_pool, metric="tasks_finished"))
    survived = numbers(where(crash, model=threads, metric="program_survived"))
    threads_finished = numbers(where(crash, model=threads, metric="tasks_finished"))
    leak = where(fault, variant="leak", metric="parent_rss_growth_bytes")
    growth = {
        model: float(np.median(values))
        for model in (*threads, *processes)
        if (values := numbers(where(leak, model=model)))
    }
    leaks = {model: len(numbers(where(leak, model=model))) for model in growth}
    thread_growth, process_growth = growth.get(model_of(Role.THREADS)), growth.get(process)
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
    if thread_growth is not None and process_growth is not None:
        # one leaking batch per model and run: the count says so (no interval to give)
        line += (
            f"; a leak grows the parent by {format_bytes(thread_growth)} with threads "
            f"(n={leaks[model_of(Role.THREADS)]}), {format_bytes(process_growth)} with "
            f"processes (n={leaks[process]})"
        )
    if not isolated:
        return Verdict(DOES_NOT_HOLD, line, figures)
    if not survived:
        return inconclusive(line, "no contrast: threads were not measured crashing", figures)
    if any(survived):
        return inconclusive(line, "no contrast: the threaded program survived the crash", figures)
    return Verdict(HOLDS, line, figures)
