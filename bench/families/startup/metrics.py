"""Start-up in numbers: how many times a thread's start a process's takes."""

from __future__ import annotations

import numpy as np
import pandas as pd

from bench.models import Role, model_of
from bench.report.metrics import paired_speedups

#: The families that time starting and joining workers against threads.
STARTUP_FAMILIES = ("startup", "article")


def startup_slowdowns(frame: pd.DataFrame) -> pd.DataFrame:
    """How many times a thread's time starting and joining processes takes, per start
    method and worker count: ``paired_speedups`` against threads at equal worker
    counts, inverted (``slowdown``, its interval ``low``/``high``, ``rounds``). The one
    estimate of start-up cost: the start-up claim and figure both quote it."""
    starts = frame[frame["family"].isin(STARTUP_FAMILIES)] if "family" in frame else frame
    thread, process = model_of(Role.THREADS), model_of(Role.PROCESSES)
    speedups = paired_speedups(starts, baseline=thread, match=("workers",))
    procs = speedups[speedups["model"] == process] if not speedups.empty else speedups
    with np.errstate(divide="ignore"):
        return procs.assign(
            slowdown=1 / procs["speedup"], low=1 / procs["high"], high=1 / procs["low"]
        ).drop(columns="speedup")
