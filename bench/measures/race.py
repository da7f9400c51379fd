"""Race: N threads increment one shared counter, unsynchronised or under a lock.

The guide's claim: threads share memory, so shared state needs a lock or
updates get lost. This measures how many are lost, and what the lock costs.

All ``case.workers`` threads wait on a ``threading.Barrier`` so that they start
together, then each increments one shared counter ``case.size`` times with a
read-modify-write::

    v = counter.value      # read
    v = _bump(v)           # modify: a call to a plain Python function
    counter.value = v      # write

Why this shape and not ``counter.value += 1``: with the GIL, CPython (3.10 and
later) hands the interpreter to another thread only at "eval breaker" checks:
function entry (``RESUME``) and backward jumps. ``counter.value += 1`` has none
between its read and its write, so at the default switch interval it almost
never loses an update, which would make the GIL look like a lock. It is not:
any call between the read and the write (a method, a property, a logging call,
a validation helper; real code is full of them) is a switch point, and then
the thread that was switched out writes back a stale value and erases every
increment the others made meanwhile. ``_bump`` stands for that call. The
switch interval is left at its default (``sys.getswitchinterval()``, 5 ms) on
purpose: the figures are what real code gets. On a free-threaded build the
threads run truly in parallel and the window is open on every iteration (there
even ``+= 1`` loses updates).

Losses come in bursts (one badly timed switch erases a whole time slice of the
other threads' work) and need the threads to overlap: a run in which the OS
happens to run the threads one after another (a busy machine, N close to the
core count) loses nothing. So the values vary widely from run to run, zeros
included; read their distribution, not one value.

Variants: ``"racy"`` does the read-modify-write bare; ``"locked"`` does the same
under a ``threading.Lock`` (``with lock:``) and must lose nothing.

Metrics, one value per repetition: ``lost_updates`` (expected - final),
``lost_updates_per_million`` (per million expected increments),
``seconds_per_million_increments`` (wall time from the barrier's release to the
last thread's end, divided by N * size / 1e6) and ``final_count``. Params:
``{"expected": N * size}``.

Standard library only (the free-threaded interpreter runs it without psutil or
pyperf).
"""

from __future__ import annotations

import threading
import time
import traceback
from typing import TYPE_CHECKING

from bench.measures import Measurement

if TYPE_CHECKING:
    from bench.matrix import Case

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
