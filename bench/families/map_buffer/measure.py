"""``Executor.map`` over a long input, eager or with 3.14's ``buffersize``: ``repeat`` maps
of ``case.size`` items through the case's pool (the identity function), each timed to
its first result and to its last, and one more under ``tracemalloc`` for the peak of
what the parent allocated while it mapped (the pending tasks and their futures).

The pool is opened and warmed (every worker has run a task) before any clock starts.
Before 3.14 ``map`` has no ``buffersize``: the buffered variant is recorded as not
available, with the reason, and not timed. Standard library only.
"""

from __future__ import annotations

import time
import tracemalloc
from typing import TYPE_CHECKING, Any

from bench.measurement import Measurement

if TYPE_CHECKING:
    from bench.cases import Case

#: The buffered variant keeps this many tasks in flight per worker.
BUFFER_PER_WORKER = 4
VARIANTS = ("eager", "buffered")


def identity(item: Any) -> Any:
    return item


def buffersize_for(case: Case) -> int | None:
    return BUFFER_PER_WORKER * case.workers if case.variant == "buffered" else None


def map_once(executor: Any, items: int, buffersize: int | None) -> tuple[float, float]:
    """Seconds to the first result and to the last of one map over ``range(items)``."""
    start = time.perf_counter()
    results = executor.stream(identity, range(items), buffersize)
    next(results)
    first = time.perf_counter() - start
    count = 1 + sum(1 for _ in results)
    last = time.perf_counter() - start
    if count != items:
        raise RuntimeError(f"map_buffer: {count} results of {items}")
    return first, last


def peak_bytes(executor: Any, items: int, buffersize: int | None) -> int:
    """The peak of what this process allocated (tracemalloc) during one whole map."""
    tracemalloc.start()
    try:
        for _ in executor.stream(identity, range(items), buffersize):
            pass
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def measure(case: Case, repeat: int = 1) -> list[Measurement]:
    from bench.models import MODELS, Capability, open_executor

    spec = MODELS.get(case.model)
    if spec is None or not spec.has(Capability.STREAMS):
        raise ValueError(f"map_buffer: {case.model!r} does not map an iterable as it goes")
    if case.variant not in VARIANTS:
        raise ValueError(f"map_buffer: unknown variant {case.variant!r}, expected {VARIANTS}")
    if repeat < 1 or case.size < 1:
        raise ValueError(f"map_buffer: repeat and the items must be positive, got {repeat}")
    buffersize = buffersize_for(case)
    executor = open_executor(case.model, case.workers, case.start_method)
    try:
        executor.run(identity, [(i,) for i in range(case.workers * 2)])  # warm every worker
        try:
            timings = [map_once(executor, case.size, buffersize) for _ in range(repeat)]
        except TypeError as exc:  # before 3.14: map() got an unexpected keyword argument
            if buffersize is None or "buffersize" not in str(exc):
                raise
            reason = "n/a: Executor.map takes buffersize from Python 3.14"
            return [Measurement("outcome", "text", [reason] * repeat)]
        peak = peak_bytes(executor, case.size, buffersize)
    finally:
        executor.close()
    params = {"buffersize": buffersize or 0}
    return [
        Measurement("first_result_seconds", "second", [f for f, _ in timings], params),
        Measurement("all_results_seconds", "second", [a for _, a in timings], params),
        Measurement("parent_peak_bytes", "byte", [peak], params),
    ]
