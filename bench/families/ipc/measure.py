"""Communication cost: how long one payload takes to go to a peer and come back.

One round trip per loop through a channel of ``channels.py`` (``queue.Queue``,
``mp.Queue``, ``mp.Pipe``, ``shared_memory``..., or ``memcpy`` as the ceiling); what each
copies is in docs/methodology.md ("Communication cost"). Peers are module-level functions and the
top-level imports stay in the standard library: spawn children import this module.
Over 400 lines on purpose: the channels' peers must be module-level functions of one
module that spawn children can import by name.
"""

from __future__ import annotations

import contextlib
import math
import multiprocessing
import os
import queue
import select
import threading
import time
from dataclasses import dataclass
from multiprocessing.reduction import ForkingPickler
from typing import TYPE_CHECKING, Any, ClassVar

from bench.families.ipc.channels import OBJECT_PAYLOADS, needs_start_method

if TYPE_CHECKING:
    from collections.abc import Callable
    from multiprocessing.connection import Connection
    from multiprocessing.shared_memory import SharedMemory

    from bench.cases import Case

#: Shared memory blocks are named ``bench_ipc_<pid>_<random>`` (short: macOS allows 31).
SHM_PREFIX = "bench_ipc_"
#: Longest wait for one answer before a live peer counts as stuck (spawn start-up included).
ANSWER_TIMEOUT_S = 60.0
#: How often the queue channels check that their peer is still alive while waiting.
LIVENESS_POLL_S = 0.5
#: How long ``close`` lets a peer stop by itself before it kills it.
STOP_TIMEOUT_S = 5.0

#: The in-place reader visits one byte per page (what maps a page), not every byte.
PAGE = 4096

# shared_memory commands, one byte each: echo the payload, echo it reversed (the
# check, which proves the peer really read and wrote the block), stop.
_ROUND, _REVERSED, _STOP, _DONE = b"r", b"v", b"s", b"d"


def payload(size: int) -> bytes:
    """``size`` bytes cycling through 1..255: never zero, and a shift or a cut shows."""
    pattern = bytes(range(1, 256))
    return (pattern * (size // len(pattern) + 1))[:size]


@dataclass(frozen=True)
class Record:
    """One record of the ``dataclasses`` payload (module level: a peer unpickles it)."""

    id: int
    name: str
    score: float
    tags: tuple[str, ...]


def _record(i: int) -> dict[str, Any]:
    return {"id": i, "name": f"user{i:07d}", "score": i / 7, "tags": ("a", "bb")}


def _records(make: Callable[[int], Any], size: int) -> list[Any]:
    """As many records as pickle to about ``size`` bytes (at least one)."""
    sample = [make(i) for i in range(64)]
    per_record = len(ForkingPickler.dumps(sample)) / len(sample)  # as the channels pickle
    return [make(i) for i in range(max(1, round(size / per_record)))]


def object_payload(kind: str, size: int) -> Any:
    """What people really pass, pickling to about ``size`` bytes: a list of dicts, a list of
    dataclass instances, or a NumPy array of float64 (its buffer travels whole)."""
    if kind == "list_of_dicts":
        return _records(_record, size)
    if kind == "dataclasses":
        return _records(lambda i: Record(**_record(i)), size)
    if kind == "ndarray":
        import numpy as np

        return np.arange(max(1, size // 8), dtype=np.float64)
    raise ValueError(f"unknown object payload {kind!r}; known: {', '.join(OBJECT_PAYLOADS)}")


def same(echoed: Any, sent: Any) -> bool:
    """Whether what came back equals what was sent (element by element for an array)."""
    if type(sent).__module__ == "numpy":
        import numpy as np

        return bool(np.array_equal(echoed, sent))
    return bool(echoed == sent)


def open_timer(case: Case) -> ChannelTimer:
    """Start the peer for ``case.model`` with a ``case.size``-byte payload (bytes, or the
    object graph the variant names), checked once."""
    channel, size = case.model, case.size
    if size <= 0:
        raise ValueError(f"{channel}: payload size must be positive, got {size}")
    start_method = case.start_method if needs_start_method(channel) else None
    timer = TIMERS[channel](size, start_method)
    if case.variant:
        if not timer.takes_objects:
            raise ValueError(f"{channel}: takes bytes only, not {case.variant!r}")
        timer.payload = object_payload(case.variant, size)
    try:
        timer.start()
        timer.check()
    except BaseException:
        timer.close()
        raise
    return timer


# -- peers (module level: spawn and forkserver children import them by name) --------------


def thread_peer(inbox: queue.Queue[Any], outbox: queue.Queue[Any]) -> None:
    while (item := inbox.get()) is not None:
        outbox.put(item)


def queue_peer(inbox: Any, outbox: Any) -> None:
    while (item := inbox.get()) is not None:
        outbox.put(item)


def pipe_peer(conn: Connection) -> None:
    try:
        while (item := conn.recv()) is not None:
            conn.send(item)
    except (EOFError, OSError):
        pass  # the parent went away: nobody is left to answer
    finally:
        conn.close()


def shm_peer(conn: Connection, name: str, size: int) -> None:
    from multiprocessing.shared_memory import SharedMemory

    block = SharedMemory(name=name)
    view = _whole(block, size)
    try:
        while (command := conn.recv_bytes()) != _STOP:
            data = bytes(view)  # copy 2: out of the block, into the peer's own bytes
            view[:] = data if command == _ROUND else data[::-1]  # copy 3: back in
            conn.send_bytes(_DONE)
    except (EOFError, OSError):
        pass
    finally:
        view.release()
        block.close()
        conn.close()


def shm_reader(conn: Connection, name: str, size: int) -> None:
    """Read the block in place: a byte per page and the last, summed, through a view."""
    from multiprocessing.shared_memory import SharedMemory

    block = SharedMemory(name=name)
    view = _whole(block, size)
    pages = view[::PAGE]  # a strided view of the same memory: nothing is copied
    try:
        while conn.recv_bytes() != _STOP:
            conn.send_bytes(b"%d" % (sum(pages) + view[-1]))
    except (EOFError, OSError):
        pass
    finally:
        pages.release()
        view.release()
        block.close()
        conn.close()


def in_place_sum(data: bytes | memoryview) -> int:
    """What ``shm_reader`` answers for ``data``: its bytes at page starts, and its last."""
    return sum(memoryview(data)[::PAGE]) + data[-1]


def _whole(block: SharedMemory, size: int) -> memoryview:
    """The block's first ``size`` bytes (the OS may round the block up to a page)."""
    if block.buf is None:
        raise RuntimeError(f"shared memory block {block.name} is closed")
    return block.buf[:size]


# -- timers ---------------------------------------------------------------------------------


class ChannelTimer:
    """A started channel: ``run(loops)`` times round trips, ``close()`` stops everything."""

    channel: ClassVar[str]
    #: Carries any object (an object graph: pickled, or by reference for a thread), not
    #: only bytes.
    takes_objects: ClassVar[bool] = False

    def __init__(self, size: int, start_method: str | None = None) -> None:
        self.size = size
        self.start_method = start_method
        self.payload: Any = payload(size)
        self.closed = False

    @property
    def pid(self) -> int | None:
        """The peer process's pid; None for a thread or no peer."""
        return None

    def start(self) -> None:
        """Start the peer (outside the timing)."""

    def roundtrip(self) -> bytes:
        """One untimed round trip: what came back."""
        raise NotImplementedError

    def check(self) -> None:
        """Raise unless a round trip brings back exactly the payload."""
        echoed = self.roundtrip()
        if not same(echoed, self.payload):
            raise RuntimeError(
                f"{self.channel}: the echo differs from the {self.size}-byte payload sent "
                f"({len(echoed)} bytes came back)"
            )

    def run(self, loops: int) -> float:
        raise NotImplementedError

    def close(self) -> None:
        self.closed = True

    def __enter__(self) -> ChannelTimer:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


class MemcpyTimer(ChannelTimer):
    channel = "memcpy"

    def start(self) -> None:
        self._there = memoryview(bytearray(self.size))
        self._back = memoryview(bytearray(self.size))

    def roundtrip(self) -> bytes:
        self._there[:] = self.payload
        self._back[:] = self._there
        return bytes(self._back)

    def run(self, loops: int) -> float:
        there, back, data = self._there, self._back, self.payload
        start = time.perf_counter()
        for _ in range(loops):
            there[:] = data
            back[:] = there
        return time.perf_counter() - start

    def close(self) -> None:
        if self.closed:
            return
        super().close()
        for view in (getattr(self, "_there", None), getattr(self, "_back", None)):
            if view is not None:
                view.release()


class _QueueRoundTrips:
    """Round trips through an inbox queue and an outbox the echo comes back on: the same
    for the thread's ``queue.Queue``, the process's ``multiprocessing.Queue`` (and a
    Manager's) and a subinterpreter's queue. Waiting for the echo checks, every
    ``poll_s``, that the peer is alive, and gives up after ``ANSWER_TIMEOUT_S``."""

    channel: ClassVar[str]
    _inbox: Any
    _outbox: Any
    payload: Any
    #: How long one get waits before the peer's liveness is checked.
    poll_s: ClassVar[float] = LIVENESS_POLL_S
    #: What the outbox's get raises when nothing came in time.
    empty: ClassVar[type[Exception]] = queue.Empty

    def _peer_gone(self) -> Exception | None:
        """Why the peer cannot answer any more (it died), or None while it lives."""
        raise NotImplementedError

    def _no_answer(self, waited: float) -> Exception:
        return RuntimeError(f"{self.channel}: no answer from the peer in {waited:.0f} s")

    def _receive(self) -> Any:
        get, empty, poll_s = self._outbox.get, self._empty_kind(), self.poll_s
        start = time.monotonic()
        while True:
            try:
                return get(timeout=poll_s)
            except empty:
                pass
            gone = self._peer_gone()
            if gone is not None:
                raise gone
            waited = time.monotonic() - start
            if waited >= ANSWER_TIMEOUT_S:
                raise self._no_answer(waited)

    def _empty_kind(self) -> type[Exception]:
        return self.empty

    def roundtrip(self) -> Any:
        self._inbox.put(self.payload)
        echoed = self._receive()
        return bytes(echoed) if isinstance(self.payload, bytes) else echoed

    def run(self, loops: int) -> float:
        put, receive, data = self._inbox.put, self._receive, self.payload
        start = time.perf_counter()
        for _ in range(loops):
            put(data)
            receive()
        return time.perf_counter() - start


class ThreadQueueTimer(_QueueRoundTrips, ChannelTimer):
    channel = "queue.Queue"
    takes_objects = True

    def start(self) -> None:
        self._inbox: queue.Queue[Any] = queue.Queue()
        self._outbox: queue.Queue[Any] = queue.Queue()
        self._thread = threading.Thread(
            target=thread_peer, args=(self._inbox, self._outbox), name="ipc-peer", daemon=True
        )
        self._thread.start()

    def _peer_gone(self) -> Exception | None:
        if self._thread.is_alive():
            return None
        return RuntimeError(f"{self.channel}: the peer thread has died")

    def close(self) -> None:
        if self.closed:
            return
        super().close()
        thread = getattr(self, "_thread", None)
        if thread is not None and thread.ident is not None:
            self._inbox.put(None)
            thread.join(STOP_TIMEOUT_S)


class _ProcessTimer(ChannelTimer):
    """A peer process for one start method, stopped, joined and reaped by ``close``."""

    def __init__(self, size: int, start_method: str | None = None) -> None:
        super().__init__(size, start_method)
        self._context = multiprocessing.get_context(start_method)
        self._process: Any = None

    @property
    def pid(self) -> int | None:
        return None if self._process is None else self._process.pid

    def _start_peer(self, target: Any, *args: Any) -> None:
        process = self._context.Process(  # type: ignore[attr-defined]
            target=target, args=args, name=f"ipc-peer {self.channel}", daemon=True
        )
        process.start()
        self._process = process  # only once started: close() joins what it finds here

    def _died(self) -> RuntimeError:
        process = self._process
        process.join(1.0)
        return RuntimeError(
            f"{self.channel} ({self.start_method}): the peer process {process.pid} died "
            f"(exit code {process.exitcode})"
        )

    def _stuck(self) -> RuntimeError:
        return RuntimeError(
            f"{self.channel} ({self.start_method}): no answer from the peer process "
            f"{self._process.pid} in {ANSWER_TIMEOUT_S:.0f} s"
        )

    def _ask_to_stop(self) -> None:
        """Tell the peer to finish; it may be dead already."""

    def _release(self, peer_stopped: bool) -> None:
        """Close what the channel holds once the peer is gone."""

    def close(self) -> None:
        if self.closed:
            return
        super().close()
        process, stopped = self._process, False
        try:
            if process is not None:
                if process.is_alive():
                    # If the channel broke, the kill below ends the peer.
                    with contextlib.suppress(OSError, ValueError):
                        self._ask_to_stop()
                    process.join(STOP_TIMEOUT_S)
                if process.is_alive():
                    process.kill()
                process.join()
                stopped = process.exitcode == 0
        finally:
            self._release(stopped)
            if process is not None and process.exitcode is not None:
                process.close()


class _ConnectionTimer(_ProcessTimer):
    """A peer on the other end of a Pipe: one poll waits for its answer or its death."""

    _conn: Connection | None = None

    def _connect(self) -> Connection:
        """A duplex pipe; returns the child's end, which the caller closes once started."""
        self._conn, child = self._context.Pipe(duplex=True)
        return child

    def _watch(self) -> None:
        assert self._conn is not None
        self._poll = select.poll()
        self._poll.register(self._conn.fileno(), select.POLLIN)
        self._poll.register(self._process.sentinel, select.POLLIN)
        self._answered = [(self._conn.fileno(), select.POLLIN)]
        self._timeout_ms = int(ANSWER_TIMEOUT_S * 1000)

    def _not_answered(self, events: list[tuple[int, int]]) -> None:
        """Return if the connection is readable after all; else raise: dead or stuck."""
        assert self._conn is not None
        if any(fd == self._conn.fileno() for fd, _ in events):
            return  # data or EOF: the receive says which
        raise self._died() if events else self._stuck()

    def _release(self, peer_stopped: bool) -> None:
        if self._conn is not None:
            self._conn.close()


class PipeTimer(_ConnectionTimer):
    channel = "mp.Pipe"
    takes_objects = True

    def start(self) -> None:
        child = self._connect()
        try:
            self._start_peer(pipe_peer, child)
        finally:
            child.close()  # the peer holds its own copy: its death then reads as EOF here
        self._watch()

    def roundtrip(self) -> Any:
        echoed = self._exchange(1, keep=True)
        return bytes(echoed) if isinstance(self.payload, bytes) else echoed

    def run(self, loops: int) -> float:
        start = time.perf_counter()
        self._exchange(loops, keep=False)
        return time.perf_counter() - start

    def _exchange(self, loops: int, keep: bool) -> Any:
        assert self._conn is not None
        send, recv, data = self._conn.send, self._conn.recv, self.payload
        poll, answered, timeout_ms = self._poll.poll, self._answered, self._timeout_ms
        echoed = None
        try:
            for _ in range(loops):
                send(data)
                if (events := poll(timeout_ms)) != answered:
                    self._not_answered(events)
                echoed = recv()
        except (EOFError, OSError) as exc:
            raise self._died() from exc
        return echoed if keep else None

    def _ask_to_stop(self) -> None:
        assert self._conn is not None
        self._conn.send(None)


class _SharedBlockTimer(_ConnectionTimer):
    """A ``SharedMemory`` block of the payload's size, a peer that maps it by name, and a
    1-byte message on a pipe that tells each side its turn."""

    _block: SharedMemory | None = None
    _view: memoryview | None = None

    def start(self) -> None:
        from multiprocessing.shared_memory import SharedMemory

        name = f"{SHM_PREFIX}{os.getpid()}_{os.urandom(4).hex()}"
        self._block = SharedMemory(name=name, create=True, size=self.size)
        self._view = _whole(self._block, self.size)
        self._fill(self._view)
        child = self._connect()
        try:
            self._start_peer(self._peer(), child, self._block.name, self.size)
        finally:
            child.close()
        self._watch()

    def _fill(self, view: memoryview) -> None:
        """What the block holds before any round trip (nothing: each one copies it in)."""

    def _peer(self) -> Callable[..., None]:
        raise NotImplementedError

    def _ask_to_stop(self) -> None:
        assert self._conn is not None
        self._conn.send_bytes(_STOP)

    def _release(self, peer_stopped: bool) -> None:
        super()._release(peer_stopped)
        if self._view is not None:
            self._view.release()
        if self._block is not None:
            self._block.close()
            self._block.unlink()


class SharedMemoryTimer(_SharedBlockTimer):
    channel = "shared_memory"

    def _peer(self) -> Callable[..., None]:
        return shm_peer

    def roundtrip(self) -> bytes:
        return self._exchange(1, _ROUND, keep=True)

    def check(self) -> None:
        """Also a reversed echo: an idle peer would hand the parent's own bytes back."""
        if self._exchange(1, _REVERSED, keep=True) != self.payload[::-1]:
            raise RuntimeError(f"{self.channel}: the peer did not copy the block out and back")
        super().check()

    def run(self, loops: int) -> float:
        start = time.perf_counter()
        self._exchange(loops, _ROUND, keep=False)
        return time.perf_counter() - start

    def _exchange(self, loops: int, command: bytes, keep: bool) -> bytes:
        assert self._conn is not None and self._view is not None
        send, recv, view, data = (
            self._conn.send_bytes,
            self._conn.recv_bytes,
            self._view,
            self.payload,
        )
        poll, answered, timeout_ms = self._poll.poll, self._answered, self._timeout_ms
        echoed = b""
        try:
            for _ in range(loops):
                view[:] = data  # copy 1: into the block
                send(command)
                if (events := poll(timeout_ms)) != answered:
                    self._not_answered(events)
                recv()
                echoed = bytes(view)  # copy 4: out of the block, into a new bytes object
        except (EOFError, OSError) as exc:
            raise self._died() from exc
        return echoed if keep else b""


class SharedMemoryInPlaceTimer(_SharedBlockTimer):
    """Zero-copy: the payload is written into the block once, before timing (a producer
    that builds its data in shared memory); a round trip is a 1-byte request, the peer's
    read of the block in place and its short answer."""

    channel = "shared_memory_inplace"

    def _fill(self, view: memoryview) -> None:
        view[:] = self.payload

    def _peer(self) -> Callable[..., None]:
        return shm_reader

    def roundtrip(self) -> bytes:
        """One request; the block as the peer read it, once its answer proves it did."""
        assert self._view is not None
        if self._exchange(1, keep=True) != in_place_sum(self._view):
            raise RuntimeError(f"{self.channel}: the peer's answer does not match the block")
        return bytes(self._view)

    def check(self) -> None:
        """The peer's answer is the sum of what it read: one wrong byte and it differs."""
        assert self._view is not None
        expected = in_place_sum(self.payload)
        self._view[-1] ^= 0xFF  # a changed block must change the answer: the peer reads it
        changed = self._exchange(1, keep=True)
        self._view[-1] ^= 0xFF
        if self._exchange(1, keep=True) != expected or changed == expected:
            raise RuntimeError(f"{self.channel}: the peer did not read the block in place")

    def run(self, loops: int) -> float:
        start = time.perf_counter()
        self._exchange(loops, keep=False)
        return time.perf_counter() - start

    def _exchange(self, loops: int, keep: bool) -> int:
        assert self._conn is not None
        send, recv = self._conn.send_bytes, self._conn.recv_bytes
        poll, answered, timeout_ms = self._poll.poll, self._answered, self._timeout_ms
        answer = b""
        try:
            for _ in range(loops):
                send(_ROUND)
                if (events := poll(timeout_ms)) != answered:
                    self._not_answered(events)
                answer = recv()
        except (EOFError, OSError) as exc:
            raise self._died() from exc
        return int(answer) if keep else 0


class MpQueueTimer(_QueueRoundTrips, _ProcessTimer):
    channel = "mp.Queue"
    takes_objects = True

    _inbox: Any = None
    _outbox: Any = None

    def start(self) -> None:
        # Both queues exist before the fork, and their feeder threads start with the
        # first put, after it: no thread is alive when a fork-started peer is forked.
        self._inbox = self._context.Queue()
        self._outbox = self._context.Queue()
        self._start_peer(queue_peer, self._inbox, self._outbox)

    def _peer_gone(self) -> Exception | None:
        return None if self._process.is_alive() else self._died()

    def _no_answer(self, waited: float) -> Exception:
        return self._stuck()

    def _ask_to_stop(self) -> None:
        self._inbox.put(None)

    def _release(self, peer_stopped: bool) -> None:
        if self._inbox is None:
            return
        if not peer_stopped:
            _discard_unread(self._inbox)
        for q in (self._inbox, self._outbox):
            q.close()
            q.join_thread()
        # Dropped now, so that their semaphores are unlinked now rather than at exit.
        self._inbox = self._outbox = None


def _discard_unread(q: Any) -> None:
    """Unblock our feeder thread after the peer died: read what it wrote, close the pipe.

    A payload bigger than the pipe's buffer blocks the feeder thread in write until
    someone reads it, and ``join_thread`` would then wait forever. The dead peer may
    have held the queue's read lock, so read through the queue's reader directly
    (private, hence the guard); once it is closed, a later write fails at once (EPIPE).
    """
    reader = getattr(q, "_reader", None)
    if reader is None:
        q.cancel_join_thread()
        return
    try:
        while reader.poll(LIVENESS_POLL_S):
            reader.recv_bytes()
    except (EOFError, OSError):
        pass
    reader.close()


class ManagerTimer(MpQueueTimer):
    """``mp.Queue``'s round trip through a Manager's queues: each put and get is a request
    to the manager process and its answer, so the payload is pickled four times."""

    channel = "mp.Manager"

    _manager: Any = None

    def start(self) -> None:
        self._manager = self._context.Manager()  # type: ignore[attr-defined]
        self._inbox = self._manager.Queue()
        self._outbox = self._manager.Queue()
        self._start_peer(queue_peer, self._inbox, self._outbox)

    def _release(self, peer_stopped: bool) -> None:
        # The proxies have no feeder thread to join: dropping them and the manager is all.
        self._inbox = self._outbox = None
        if self._manager is not None:
            self._manager.shutdown()
            self._manager = None


#: What the peer subinterpreter runs: echo until None comes.
_INTERPRETER_PEER = """
while (item := inbox.get()) is not None:
    outbox.put(item)
"""


class InterpretersQueueTimer(_QueueRoundTrips, ChannelTimer):
    """A subinterpreter echoes through two PEP 734 queues; a thread of ours runs it."""

    channel = "interpreters.Queue"

    _interpreter: Any = None
    _thread: threading.Thread | None = None

    def start(self) -> None:
        from bench.models.subinterpreters import interpreters_module, unavailable

        reason = unavailable()
        if reason:
            raise RuntimeError(f"{self.channel}: {reason}")
        interpreters = interpreters_module()
        self._inbox = interpreters.create_queue()
        self._outbox = interpreters.create_queue()
        self._empty = interpreters.QueueEmpty
        self._interpreter = interpreters.create()
        self._interpreter.prepare_main(inbox=self._inbox, outbox=self._outbox)
        self._errors: list[str] = []
        self._thread = threading.Thread(target=self._serve, name="ipc-peer", daemon=True)
        self._thread.start()

    def _serve(self) -> None:
        try:
            self._interpreter.exec(_INTERPRETER_PEER)
        except Exception as exc:  # reported by the next receive
            self._errors.append(f"{type(exc).__name__}: {exc}")

    #: Whole seconds: CPython's interpreters queues (3.13's backport and 3.14+) truncate
    #: a timeout to an int, so 0.5 s would not wait at all.
    poll_s = float(math.ceil(LIVENESS_POLL_S))

    def _empty_kind(self) -> type[Exception]:
        return self._empty  # the interpreters module's own QueueEmpty

    def _peer_gone(self) -> Exception | None:
        assert self._thread is not None
        if self._thread.is_alive():
            return None
        return RuntimeError(f"{self.channel}: the peer stopped: {self._errors}")

    def close(self) -> None:
        if self.closed:
            return
        super().close()
        thread = self._thread
        if thread is not None:
            self._inbox.put(None)
            thread.join(STOP_TIMEOUT_S)
        # A peer still running cannot be closed; the process's end reclaims it.
        if self._interpreter is not None and (thread is None or not thread.is_alive()):
            self._interpreter.close()
        self._interpreter = self._inbox = self._outbox = None


TIMERS: dict[str, type[ChannelTimer]] = {
    timer.channel: timer
    for timer in (
        ThreadQueueTimer,
        MpQueueTimer,
        PipeTimer,
        SharedMemoryTimer,
        MemcpyTimer,
        SharedMemoryInPlaceTimer,
        ManagerTimer,
        InterpretersQueueTimer,
    )
}
