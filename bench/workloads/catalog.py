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
    func: str | None  # "module:function", called as function(size, index); None: see measure
    size_unit: str  # what the size parameter counts
    async_func: str | None = None  # coroutine version, where asyncio makes sense
    measure: str = "batch"  # workloads with no task function are run by bench.measures
    #: "module:function" making a batch's arguments once, in the parent (arrays), called as
    #: function(workload, size, tasks, variant): an object with ``arglist`` (replacing
    #: (size, index) per task), ``worker_metadata(executor)`` and ``close()``.
    operands: str | None = None
    #: Modules it imports that the project does not require, and the extra that has them.
    requires: tuple[str, ...] = ()
    extra: str = ""


WORKLOADS: dict[str, Workload] = {
    w.name: w
    for w in (
        # The article's worker: one greeting per worker, 5 workers started and joined.
        Workload("article", "bench.workloads.article:quiet_worker", "unused"),
        # Count primes below a limit by trial division: pure Python, holds the GIL.
        Workload("count_primes", "bench.workloads.cpu:count_primes", "limit"),
        # SHA-256 of a MiB-sized buffer: C code that releases the GIL.
        Workload("sha256", "bench.workloads.cpu:sha256_digest", "MiB"),
        # zlib level-6 compression of a MiB-sized buffer: C code that releases the GIL.
        Workload("zlib", "bench.workloads.cpu:zlib_compressed_size", "MiB"),
        # Wait a fixed latency: the purest I/O-bound task.
        Workload(
            "sleep",
            "bench.workloads.io:sleep_ms",
            "ms",
            async_func="bench.workloads.io:sleep_ms_async",
        ),
        # One request over loopback TCP to the suite's own server.
        Workload(
            "tcp",
            "bench.workloads.io:tcp_request",
            "ms service latency",
            async_func="bench.workloads.io:tcp_request_async",
        ),
        # Write a file, fsync it, read it back, delete it.
        Workload("file", "bench.workloads.io:file_roundtrip", "KiB"),
        # Busy pure-Python loop of a chosen length, passing a payload in and out.
        Workload("spin", "bench.workloads.cpu:spin", "iterations"),
        # A payload sent to a peer and back: the round trip of a channel.
        Workload("echo", None, "bytes", measure="ipc"),
        # Workers started and held alive while the process tree's memory is read.
        Workload("live_workers", None, "MiB working set", measure="memory"),
        # Threads incrementing one shared counter, with and without a lock.
        Workload("counter", None, "increments per thread", measure="race"),
        # One task of many crashes (os._exit, segfault) or every task leaks memory.
        Workload("fault", None, "MiB leaked per task", measure="fault"),
        # A classic multiprocessing mistake, tried in a child interpreter (what breaks where).
        Workload("pitfall", None, "s waited for a result", measure="pitfalls"),
        # Counts, default pool sizes and a pool's speedup under a CPU limit, in a child.
        Workload("cpu_limits", None, "primes limit per task", measure="cpu_limits"),
        # Many small objects every forked worker reads: copy-on-write as it behaves.
        Workload("shared_objects", None, "MiB of small objects", measure="copy_on_write"),
        # k processes spinning at once against one alone: the cores the machine gives now.
        Workload("capacity", None, "spin iterations per process", measure="capacity"),
        # NumPy: C code that releases the GIL, on arrays the parent made (bench.workloads.arrays).
        *(
            Workload(
                f"numpy_{name}",
                f"bench.workloads.arrays:{name}",
                unit,
                operands="bench.workloads.arrays:operands",
                requires=("numpy", "threadpoolctl"),
                extra="io",
            )
            for name, unit in (
                ("matmul", "matrix side"),  # the product of two square matrices
                ("ufuncs", "MiB"),  # exp(sin(x)) over a float64 array, and its sum
                ("sort", "MiB"),  # np.sort of a float64 array
                ("python_loop", "KiB"),  # the contrast: a Python loop over a small array
            )
        ),
        # A batch of HTTP requests from one client library to the suite's aiohttp server.
        Workload(
            "http", None, "ms service latency", measure="http", requires=("aiohttp",), extra="io"
        ),
        # Does nothing: what remains is the cost of the concurrency machinery itself.
        Workload("noop", "bench.workloads.probe:noop", "unused"),
        # Raises an exception (for fault-handling tests).
        Workload("raise_error", "bench.workloads.faults:raise_error", "unused"),
        # Never returns (for timeout tests).
        Workload("hang", "bench.workloads.faults:hang", "unused"),
        # Kills its own process with os._exit (for crash tests).
        Workload("exit_hard", "bench.workloads.faults:exit_hard", "exit code"),
    )
}


def unavailable_workloads() -> dict[str, str]:
    """Workloads this interpreter cannot run (a module of ``requires`` is missing), with
    the reason in words, as ``bench.models.unavailable_models`` says it of models."""
    missing: dict[str, str] = {}
    for name, workload in WORKLOADS.items():
        for required in workload.requires:
            try:
                importlib.import_module(required)
            except ImportError as exc:
                how = f" (pip install 'threads-or-processes[{workload.extra}]')"
                missing[name] = f"needs {exc.name or required}" + (how if workload.extra else "")
                break
            except Exception as exc:  # a broken optional package must not stop the run
                missing[name] = f"{type(exc).__name__}: {exc}"
                break
    return missing


def resolve(dotted: str) -> Callable[..., Any]:
    """Import ``"package.module:function"`` and return the function."""
    module_name, _, attr = dotted.partition(":")
    return getattr(importlib.import_module(module_name), attr)  # type: ignore[no-any-return]
