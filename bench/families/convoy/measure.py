"""The GIL convoy: ``repeat`` times, ``ROUND_TRIPS`` round trips of a ``case.size``-byte
message from this process's main thread to an echo process and back, each timed, first
with nothing else running (idle) and then while ``case.workers`` CPU-bound workers spin
(threads of this process, or processes of the case's start method). Recorded: the median
round trip of each, seconds.

With the GIL, the main thread drops it while it waits for the reply and must take it
back from a spinning thread, which lets go only at the switch interval: the variant sets
it (``sys.setswitchinterval``) for the measurement, and puts the old value back.
Standard library only: the free-threaded build runs it bare.
"""

from __future__ import annotations

import contextlib
import multiprocessing
import statistics
import sys
import threading
import time
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

from bench.measurement import Measurement

if TYPE_CHECKING:
    from collections.abc import Iterator
    from multiprocessing.connection import Connection

    from bench.cases import Case

ROUND_TRIPS = 200
#: A pause between round trips, so that each reply finds the CPU-bound workers running.
PAUSE_S = 0.001
SWITCH_INTERVALS: dict[str, float | None] = {"switch_default": None, "switch_0.5ms": 0.0005}
#: How long to wait for an echo before the peer counts as stuck.
ANSWER_TIMEOUT_S = 30.0


def echo_peer(conn: Connection) -> None:
    """Send back every message until the empty one."""
    try:
        while message := conn.recv_bytes():
            conn.send_bytes(message)
    except (EOFError, OSError):
        pass
    finally:
        conn.close()


def spin(stop: Any) -> None:
    """Pure-Python work until ``stop`` is set (checked every few thousand steps)."""
    total = 0
    while not stop.is_set():
        for i in range(5000):
            total += i * i % 7


def round_trips(conn: Connection, message: bytes, count: int) -> list[float]:
    """``count`` timed round trips of ``message``, a short pause between them."""
    times = []
    for _ in range(count):
        start = time.perf_counter()
        conn.send_bytes(message)
        if not conn.poll(ANSWER_TIMEOUT_S):
            raise RuntimeError(f"convoy: no echo in {ANSWER_TIMEOUT_S:.0f} s")
        if conn.recv_bytes() != message:
            raise RuntimeError("convoy: the echo differs from the message sent")
        times.append(time.perf_counter() - start)
        time.sleep(PAUSE_S)
    return times


@contextmanager
def switch_interval(seconds: float | None) -> Iterator[None]:
    old = sys.getswitchinterval()
    if seconds is not None:
        sys.setswitchinterval(seconds)
    try:
        yield
    finally:
        sys.setswitchinterval(old)


@contextmanager
def spinning(model: str, workers: int, start_method: str | None) -> Iterator[None]:
    """``workers`` CPU-bound threads of this process, or processes, for the block."""
    from bench.models import MODELS, Isolation

    shared = MODELS[model].isolation is Isolation.SHARED
    context = multiprocessing.get_context(start_method) if not shared else None
    stop: Any = threading.Event() if context is None else context.Event()
    if context is None:
        runners: list[Any] = [threading.Thread(target=spin, args=(stop,), daemon=True)
                              for _ in range(workers)]  # fmt: skip
    else:
        start = context.Process  # type: ignore[attr-defined]
        runners = [start(target=spin, args=(stop,), daemon=True) for _ in range(workers)]
    for runner in runners:
        runner.start()
    try:
        time.sleep(0.05)  # every worker running before the first round trip
        yield
    finally:
        stop.set()
        for runner in runners:
            runner.join(10.0)
            if context is not None and runner.is_alive():
                runner.kill()
                runner.join()


def measure(case: Case, repeat: int = 1) -> list[Measurement]:
    from bench.models import MODELS, Role, model_of

    allowed = (model_of(Role.THREADS), model_of(Role.PROCESSES))
    if case.model not in allowed or case.model not in MODELS:
        raise ValueError(f"convoy: {case.model!r} is not one of {allowed}")
    if case.variant not in SWITCH_INTERVALS:
        raise ValueError(f"convoy: unknown variant {case.variant!r}")
    if repeat < 1 or case.size < 1 or case.workers < 1:
        raise ValueError("convoy: repeat, the message size and the workers must be positive")
    message = bytes(range(1, 256)) * (case.size // 255 + 1)
    message = message[: case.size]
    here, there = multiprocessing.Pipe()
    context: Any = multiprocessing.get_context(case.start_method)
    peer = context.Process(target=echo_peer, args=(there,), daemon=True)
    peer.start()
    there.close()
    idle, busy = [], []
    try:
        round_trips(here, message, 10)  # the peer is up and answering
        with switch_interval(SWITCH_INTERVALS[case.variant]):
            for _ in range(repeat):
                idle.append(statistics.median(round_trips(here, message, ROUND_TRIPS)))
                with spinning(case.model, case.workers, case.start_method):
                    busy.append(statistics.median(round_trips(here, message, ROUND_TRIPS)))
    finally:
        with contextlib.suppress(OSError):
            here.send_bytes(b"")  # the peer's signal to stop
        here.close()
        peer.join(10.0)
        if peer.is_alive():
            peer.kill()
            peer.join()
    interval = SWITCH_INTERVALS[case.variant] or sys.getswitchinterval()
    params = {"switch_interval_s": interval}
    return [
        Measurement("idle_round_trip_seconds", "second", idle, params),
        Measurement("busy_round_trip_seconds", "second", busy, params),
    ]
