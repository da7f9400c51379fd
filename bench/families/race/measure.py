"""Race: N workers of the case's model (threads) increment one shared counter,
unsynchronised or under a lock.

Why the increment calls a function between its read and its write, and how to read
the losses: docs/methodology.md ("Races"). Standard library only: the free-threaded
interpreter runs it without psutil or pyperf.
"""

from __future__ import annotations

import threading
import time
import traceback
from typing import TYPE_CHECKING

from bench.measurement import Measurement

if TYPE_CHECKING:
    from bench.cases import Case

VARIANTS = ("racy", "locked")
#: How long a thread waits for the others at the barrier before giving up.
BARRIER_TIMEOUT_S = 60.0


class Counter:
    """The shared state: one attribute, read and written by every thread."""

    __slots__ = ("value",)

    def __init__(self) -> None:
        self.value = 0


def bump(value: int) -> int:
    """The "modify" step; being a Python call, its entry is a GIL switch point."""
    return value + 1


def _increment_racy(counter: Counter, times: int) -> None:
    for _ in range(times):
        v = counter.value
        v = bump(v)
        counter.value = v


def _increment_locked(counter: Counter, times: int, lock: threading.Lock) -> None:
    for _ in range(times):
        with lock:
            v = counter.value
            v = bump(v)
            counter.value = v


def run_once(model: str, threads: int, times: int, variant: str) -> tuple[int, float]:
    """One run: ``threads`` workers of ``model`` (sharing this interpreter's objects),
    ``times`` increments each. Returns (final, seconds).

    The seconds run from the earliest worker's release from the barrier to the latest
    worker's end, so starting and joining the workers are not counted.
    """
    from bench.models import open_executor

    if variant not in VARIANTS:
        raise ValueError(f"race: unknown variant {variant!r}, expected one of {VARIANTS}")
    if threads < 1 or times < 0:
        raise ValueError(f"race: need threads >= 1 and times >= 0, got {threads}, {times}")
    counter = Counter()
    lock = threading.Lock()
    barrier = threading.Barrier(threads, timeout=BARRIER_TIMEOUT_S)
    starts = [0.0] * threads
    ends = [0.0] * threads
    errors: list[str] = []
    broken: list[int] = []

    def work(index: int) -> None:
        try:
            barrier.wait()
            starts[index] = time.perf_counter()
            if variant == "racy":
                _increment_racy(counter, times)
            else:
                _increment_locked(counter, times, lock)
            ends[index] = time.perf_counter()
        except threading.BrokenBarrierError:
            broken.append(index)  # another worker failed first: its error is the one to show
        except BaseException:
            errors.append(traceback.format_exc())
            barrier.abort()

    # One task a worker: every one waits at the barrier, so all run at once.
    executor = open_executor(model, threads)
    try:
        executor.run(work, [(i,) for i in range(threads)])
    except BaseException:
        barrier.abort()  # release the workers already waiting
        raise
    finally:
        executor.close()
    if errors:
        raise RuntimeError(errors[0])
    if broken:
        raise RuntimeError(f"race: the start barrier broke for workers {sorted(broken)}")
    return counter.value, max(ends) - min(starts)


def measure(case: Case, repeat: int = 1) -> list[Measurement]:
    """``repeat`` runs of ``case.workers`` workers of ``case.model`` x ``case.size``
    increments each; the model's workers must share this interpreter's objects."""
    from bench.models import MODELS, Isolation

    spec = MODELS.get(case.model)
    if spec is None or spec.isolation is not Isolation.SHARED or not spec.parallel or spec.is_async:
        raise ValueError(f"race: {case.model!r} has no parallel workers sharing one counter")
    if repeat < 1:
        raise ValueError(f"race: repeat must be >= 1, got {repeat}")
    expected = case.workers * case.size
    lost: list[int] = []
    per_million: list[float] = []
    seconds: list[float] = []
    finals: list[int] = []
    for _ in range(repeat):
        final, elapsed = run_once(case.model, case.workers, case.size, case.variant)
        finals.append(final)
        lost.append(expected - final)
        per_million.append((expected - final) / expected * 1e6 if expected else 0.0)
        seconds.append(elapsed / (expected / 1e6) if expected else elapsed)
    params = {"expected": expected}
    return [
        Measurement("lost_updates", "count", lost, dict(params)),
        Measurement("lost_updates_per_million", "count", per_million, dict(params)),
        Measurement("seconds_per_million_increments", "second", seconds, dict(params)),
        Measurement("final_count", "count", finals, dict(params)),
    ]
