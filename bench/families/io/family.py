"""I/O-bound work: sleeps, requests to the suite's loopback TCP server and file writes, with
threads, processes and asyncio, up to 64 workers (waiting needs no core)."""

from __future__ import annotations

from bench.cases import Family, Pick, ResultsPage, Size, names_without
from bench.families.profiles import FORK, OPTIONAL_MODELS
from bench.models import MODELS, Isolation, model_names
from bench.workloads.catalog import Workload

ORDER = 30
IO_WORKERS = (4, 16, 64)  # the sequential case is the one-worker reference

WORKLOADS = (
    # Wait a fixed latency: the purest I/O-bound task.
    Workload("sleep", "bench.families.io.workload:sleep_ms", "ms",
             async_func="bench.families.io.workload:sleep_ms_async"),
    # One request over loopback TCP to the suite's own server.
    Workload("tcp", "bench.families.io.workload:tcp_request", "ms service latency",
             async_func="bench.families.io.workload:tcp_request_async"),
    # Write a file, fsync it, read it back, delete it.
    Workload("file", "bench.families.io.workload:file_roundtrip", "KiB"),
)  # fmt: skip
_ASYNC = {w.name: w.async_func is not None for w in WORKLOADS}


def _io(workload: str, size: str, value: int, tasks: int) -> Family:
    """Every model on this machine (asyncio where the workload has a coroutine version)."""
    models = model_names(lambda m: m.local and (_ASYNC[workload] or not m.is_async))
    # 16 or 64 processes started per batch measure process creation, not the I/O.
    most = {m: 4 if MODELS[m].starts_per_run else 16 for m in models
            if MODELS[m].isolation is not Isolation.SHARED}  # fmt: skip
    return Family(workload, "io", workload, (Size(size, value, tasks),), models, IO_WORKERS,
                  max_workers=most)  # fmt: skip


SLEEP, TCP, FILE = (
    _io("sleep", "5ms", 5, 64),
    _io("tcp", "5ms", 5, 64),
    _io("file", "256KiB", 256, 32),
)
FAMILIES = (SLEEP, TCP, FILE)

PICKS = {
    "smoke": (
        Pick("sleep", models=("sequential", "threads", "asyncio"), workers=(4,)),
        Pick("tcp", models=("threads", "asyncio", "process_pool"), workers=(4,),
             start_methods=FORK),
        Pick("file", models=("thread_pool",), workers=(4,)),
    ),
    "quick": (
        # waiting: the thread pool against asyncio (threads per batch: standard)
        Pick("sleep", workers=(16,), models=("sequential", "thread_pool", "asyncio")),
        Pick("tcp", workers=(16,), start_methods=FORK,
             models=("sequential", "thread_pool", "asyncio", "process_pool")),
        Pick("file", workers=(4,), models=("sequential", "threads", "thread_pool")),
    ),
    # Waiting does not depend on how a process started: I/O under fork only.
    "standard": tuple(Pick(f.id, models=names_without(f, OPTIONAL_MODELS), start_methods=FORK)
                      for f in FAMILIES),
}  # fmt: skip
KEY_FAMILIES = {"standard": ("io",)}

EXCLUDED = {
    ("file", "asyncio"): "asyncio has no native file I/O; its to_thread is the thread pool",
    ("io", "processes>4"): "16 or 64 processes started per batch measure process creation "
                           "(the startup family does that), not the I/O; the warm process "
                           "pool goes to 16",
}  # fmt: skip

PAGE = ResultsPage(
    "results/io.md",
    families=("io",),
    figures=("scaling-io-*",),
    speedups=True,
    intro="Sleeps, requests to a loopback TCP server and file writes, with threads, "
    "processes and asyncio, up to 64 workers.",
    order=20,
)
