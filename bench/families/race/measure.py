"""Race: N threads increment one shared counter, unsynchronised or under a lock.

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


def _bump(value: int) -> int:
    """The "modify" step; being a Python call, its entry is a GIL switch point."""
    return value + 1


def _increment_racy(counter: Counter, times: int) -> None:
    for _ in range(times):
        v = counter.value
        v = _bump(v)
        counter.value = v


def _increment_locked(counter: Counter, times: int, lock: threading.Lock) -> None:
    for _ in range(times):
        with lock:
            v = counter.value
            v = _bump(v)
            counter.value = v


def run_once(threads: int, times: int, variant: str) -> tuple[int, float]:
    """One run: ``threads`` threads, ``times`` increments each. Returns (final, seconds).

    The seconds run from the earliest thread's release from the barrier to the
    latest thread's end, so thread creation and joining are not counted.
    """
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
            broken.append(index)  # another thread failed first: its error is the one to show
        except BaseException:
            errors.append(traceback.format_exc())
            barrier.abort()

    workers = [threading.Thread(target=work, args=(i,), name=f"race-{i}") for i in range(threads)]
    started: list[threading.Thread] = []
    try:
        for t in workers:
            t.start()
            started.append(t)
    except BaseException:
        barrier.abort()  # release the threads already waiting, then join them
        raise
    finally:
        for t in started:
            t.join()
    if errors:
        raise RuntimeError(errors[0])
    if broken:
        raise RuntimeError(f"race: the start barrier broke for threads {sorted(broken)}")
    return counter.value, max(ends) - min(starts)


def measure(case: Case, repeat: int = 1) -> list[Measurement]:
    """``repeat`` runs of ``case.workers`` threads x ``case.size`` increments each."""
    if case.model != "threads":
        raise ValueError(f"race: model must be 'threads', got {case.model!r}")
    if repeat < 1:
        raise ValueError(f"race: repeat must be >= 1, got {repeat}")
    expected = case.workers * case.size
    lost: list[int] = []
    per_million: list[float] = []
    seconds: list[float] = []
    finals: list[int] = []
    for _ in range(repeat):
        final, elapsed = run_once(case.workers, case.size, case.variant)
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
