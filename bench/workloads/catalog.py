"""Every workload the suite knows, as data: what it does, what ``size`` means, where it lives.

Functions are named by dotted path and imported on demand, so that a benchmark
(and every spawned child) imports only the module it runs.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Workload:
    name: str
    kind: str  # "article", "cpu-python", "cpu-c", "io", "fault", "probe"
    func: str | None  # "module:function", called as function(size, index); None: see measure
    size_unit: str  # what the size parameter counts
    description: str
    async_func: str | None = None  # coroutine version, where asyncio makes sense
    measure: str = "batch"  # workloads with no task function are run by bench.measures


WORKLOADS: dict[str, Workload] = {
    w.name: w
    for w in (
        Workload(
            "article",
            "article",
            "bench.workloads.article:quiet_worker",
            "unused",
            "The article's worker: one greeting per worker, 5 workers started and joined.",
        ),
        Workload(
            "count_primes",
            "cpu-python",
            "bench.workloads.cpu:count_primes",
            "limit",
            "Count primes below a limit by trial division: pure Python, holds the GIL.",
        ),
        Workload(
            "sha256",
            "cpu-c",
            "bench.workloads.cpu:sha256_digest",
            "MiB",
            "SHA-256 of a MiB-sized buffer: C code that releases the GIL.",
        ),
        Workload(
            "zlib",
            "cpu-c",
            "bench.workloads.cpu:zlib_compressed_size",
            "MiB",
            "zlib level-6 compression of a MiB-sized buffer: C code that releases the GIL.",
        ),
        Workload(
            "sleep",
            "io",
            "bench.workloads.io:sleep_ms",
            "ms",
            "Wait a fixed latency: the purest I/O-bound task.",
            async_func="bench.workloads.io:sleep_ms_async",
        ),
        Workload(
            "tcp",
            "io",
            "bench.workloads.io:tcp_request",
            "ms service latency",
            "One request over loopback TCP to the suite's own server.",
            async_func="bench.workloads.io:tcp_request_async",
        ),
        Workload(
            "file",
            "io",
            "bench.workloads.io:file_roundtrip",
            "KiB",
            "Write a file, fsync it, read it back, delete it.",
        ),
        Workload(
            "spin",
            "cpu-python",
            "bench.workloads.cpu:spin",
            "iterations",
            "Busy pure-Python loop of a chosen length, passing a payload in and out.",
        ),
        Workload(
            "echo",
            "ipc",
            None,
            "bytes",
            "A payload sent to a peer and back: the round trip of a channel.",
            measure="ipc",
        ),
        Workload(
            "live_workers",
            "memory",
            None,
            "MiB working set",
            "Workers started and held alive while the process tree's memory is read.",
            measure="memory",
        ),
        Workload(
            "counter",
            "race",
            None,
            "increments per thread",
            "Threads incrementing one shared counter, with and without a lock.",
            measure="race",
        ),
        Workload(
            "fault",
            "fault",
            None,
            "MiB leaked per task",
            "One task of many crashes (os._exit, segfault) or every task leaks memory.",
            measure="fault",
        ),
        Workload(
            "noop",
            "probe",
            "bench.workloads.probe:noop",
            "unused",
            "Does nothing: what remains is the cost of the concurrency machinery itself.",
        ),
        Workload(
            "raise_error",
            "fault",
            "bench.workloads.faults:raise_error",
            "unused",
            "Raises an exception (for fault-handling tests).",
        ),
        Workload(
            "hang",
            "fault",
            "bench.workloads.faults:hang",
            "unused",
            "Never returns (for timeout tests).",
        ),
        Workload(
            "exit_hard",
            "fault",
            "bench.workloads.faults:exit_hard",
            "exit code",
            "Kills its own process with os._exit (for crash tests).",
        ),
    )
}


def resolve(dotted: str) -> Callable[..., Any]:
    """Import ``"package.module:function"`` and return the function."""
    module_name, _, attr = dotted.partition(":")
    return getattr(importlib.import_module(module_name), attr)  # type: ignore[no-any-return]
