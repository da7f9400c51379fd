"""Trivial tasks: ``noop`` (to time the machinery alone) and ``worker_facts``.

``worker_facts`` runs inside the processes that do the work, because that is
where the GIL state and the CPU affinity matter: a parent's view can differ from
its children's (an ``-X gil=1`` not passed on, an affinity mask inherited).
"""

from __future__ import annotations

import os
import sys
import time


def noop(size: int, index: int = 0) -> int:
    """Do nothing and return the index: what is timed is the machinery around it."""
    del size
    return index


def gil_enabled() -> bool:
    """Whether the GIL is on right now (always, before Python 3.13)."""
    is_enabled = getattr(sys, "_is_gil_enabled", None)
    return True if is_enabled is None else bool(is_enabled())


def cpu_affinity() -> list[int]:
    if hasattr(os, "sched_getaffinity"):
        return sorted(os.sched_getaffinity(0))
    try:
        import psutil

        return sorted(psutil.Process().cpu_affinity() or [])
    except (ImportError, AttributeError):  # macOS has no affinity at all
        return list(range(os.cpu_count() or 1))


def worker_facts(hold_ms: int, index: int = 0) -> dict[str, object]:
    """Facts of the process running this task; holds ``hold_ms`` so that a pool
    spreads simultaneous probes across all its workers."""
    del index
    time.sleep(hold_ms / 1000)
    return {"pid": os.getpid(), "gil_enabled": gil_enabled(), "cpu_affinity": cpu_affinity()}
