"""HTTP clients at scale: one batch of GET requests to the suite's server, per client library.

Every client sends ``requests`` requests with at most ``concurrency`` in flight and
times each one from its send to its whole body read. A request that fails is counted
by kind (``error_kind``), never raised: a client that cannot keep up at a concurrency
is a result. Nothing waits without bound: each request has a timeout, and the batch a
deadline past which the requests not yet done count as ``deadline`` errors.

The libraries are imported inside the functions: the family imports this module for
``CLIENTS`` alone, and the measure only when it runs a client.
"""

from __future__ import annotations

import asyncio
import errno
import os
import sys
import threading
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from bench.cases import Subject, SubjectKind
from bench.models import Role


@dataclass(frozen=True)
class Client:
    """One client library and how it waits: threads, an event loop, or processes of threads."""

    name: str
    label: str  # what a reader sees in legends and tables
    library: str  # the module it needs
    is_async: bool = False
    uses_processes: bool = False

    @property
    def subject(self) -> Subject:
        # No start method: the process client takes the platform's default. The probe reads
        # a worker of this process, where the client's threads or event loop run.
        return Subject(self.name, self.label, peer=Role.LOOP)


CLIENTS: dict[str, Client] = {
    c.name: c
    for c in (
        Client("requests_threads", "requests + threads", "requests"),
        Client("httpx_threads", "httpx + threads", "httpx"),
        Client("httpx_async", "httpx async", "httpx", is_async=True),
        Client("aiohttp", "aiohttp (asyncio)", "aiohttp", is_async=True),
        # For contrast: a few processes, each a requests client on threads.
        Client("requests_processes", "requests in processes", "requests", uses_processes=True),
    )
}
CLIENT = SubjectKind("HTTP client", lambda: {c.name: c.subject for c in CLIENTS.values()})
#: The clients compared at every concurrency; the process pool is the contrast.
MAIN_CLIENTS = tuple(name for name, c in CLIENTS.items() if not c.uses_processes)
#: Processes of the ``requests_processes`` client (each runs its share on threads).
CLIENT_PROCESSES = 2

#: The kinds of failure a batch counts, in the order they are reported.
ERROR_KINDS = ("connection_refused", "timeout", "emfile", "deadline", "bad_response", "other")


@dataclass
class InFlight:
    """The requests a client has in flight, from its send to its answer read or its
    failure: how many at most at once, and the seconds they spent in flight, summed.
    Over a batch's wall time that sum is the mean number in flight (Little's law, exact:
    the time average of the count), which a client may keep far below its configured
    concurrency (a thread pool that starts threads slowly). Threads count under a lock."""

    now: int = 0
    peak: int = 0
    busy_seconds: float = 0.0
    lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def sent(self) -> float:
        with self.lock:
            self.now += 1
            self.peak = max(self.peak, self.now)
        return time.perf_counter()

    def done(self, start: float) -> None:
        elapsed = time.perf_counter() - start
        with self.lock:
            self.now -= 1
            self.busy_seconds += elapsed


@dataclass
class Batch:
    """What one batch did: per-request seconds of the requests that succeeded, failures
    by kind, the wall time, the requests in flight, and facts of the process pool's
    workers (if any)."""

    latencies: list[float] = field(default_factory=list)
    errors: Counter[str] = field(default_factory=Counter)
    seconds: float = 0.0
    in_flight: InFlight = field(default_factory=InFlight)
    workers_threads_created: int = 0
    workers_peak_rss_bytes: int = 0
    workers_cpu_seconds: float = 0.0

    def add(self, latency: float | None, error: str | None) -> None:
        if error is None and latency is not None:
            self.latencies.append(latency)
        else:
            self.errors[error or "other"] += 1


def answered(
    start: float, status: int, length: int, nbytes: int
) -> tuple[float | None, str | None]:
    """A request's outcome once its answer is in: its latency, or ``bad_response``."""
    if status != 200 or length != nbytes:
        return None, "bad_response"
    return time.perf_counter() - start, None


def error_kind(exc: BaseException) -> str:
    """The kind of a failed request, from the exception and the ones it wraps (requests and
    httpx wrap the OSError that says what happened, sometimes only in its message)."""
    seen: list[BaseException] = []
    todo: list[BaseException] = [exc]
    while todo and len(seen) < 20:
        e = todo.pop()
        if any(e is s for s in seen):
            continue
        seen.append(e)
        todo.extend(x for x in (e.__cause__, e.__context__) if x is not None)
        todo.extend(a for a in getattr(e, "args", ()) if isinstance(a, BaseException))
        reason = getattr(e, "reason", None)  # urllib3 keeps the socket's error there
        if isinstance(reason, BaseException):
            todo.append(reason)
    texts = " ".join(f"{type(e).__name__} {e}" for e in seen)
    if any(isinstance(e, OSError) and e.errno == errno.EMFILE for e in seen) or (
        "Too many open files" in texts
    ):
        return "emfile"
    if any(isinstance(e, ConnectionRefusedError) for e in seen) or "Connection refused" in texts:
        return "connection_refused"
    if any(isinstance(e, TimeoutError) for e in seen) or "timeout" in texts.lower():
        return "timeout"
    return "other"


def percentile(values: list[float], q: float) -> float:
    """The ``q``-th percentile (0-100) of ``values``, interpolated linearly between the two
    nearest ranks (numpy's default): p50 of [1, 2, 3, 4] is 2.5."""
    if not values:
        raise ValueError("percentile of no values")
    if not 0 <= q <= 100:
        raise ValueError(f"percentile {q} is not within 0-100")
    ordered = sorted(values)
    position = (len(ordered) - 1) * q / 100
    below = int(position)
    above = min(below + 1, len(ordered) - 1)
    return ordered[below] + (ordered[above] - ordered[below]) * (position - below)


def url_for(address: str, service_ms: int, nbytes: int) -> str:
    return f"http://{address}/?ms={service_ms}&bytes={nbytes}"


# --- threads ---------------------------------------------------------------------------


def _thread_batch(
    get: Callable[[], tuple[int, int]], requests: int, concurrency: int, deadline_s: float,
    nbytes: int,
) -> Batch:  # fmt: skip
    """``requests`` calls of ``get`` (status, body length) on a pool of ``concurrency``
    threads; those not done by the deadline count as ``deadline``."""
    from concurrent.futures import Future, ThreadPoolExecutor, wait

    batch = Batch()

    def one() -> tuple[float | None, str | None]:
        start = batch.in_flight.sent()
        try:
            status, length = get()
        except Exception as exc:
            return None, error_kind(exc)
        finally:
            batch.in_flight.done(start)
        return answered(start, status, length, nbytes)

    begin = time.perf_counter()
    pool = ThreadPoolExecutor(max_workers=concurrency, thread_name_prefix="http-client")
    futures: list[Future[tuple[float | None, str | None]]] = []
    try:
        for _ in range(requests):
            try:
                futures.append(pool.submit(one))
            except RuntimeError:  # can't start new thread: the rest never ran
                break
        done, _ = wait(futures, timeout=max(0.0, deadline_s - (time.perf_counter() - begin)))
        batch.seconds = time.perf_counter() - begin
        for future in futures:
            if future in done:
                batch.add(*future.result())
            else:
                batch.add(None, "deadline")
        if len(futures) < requests:  # a thread could not start: the rest never ran
            batch.errors["other"] += requests - len(futures)
    finally:
        # Requests in flight end within their own timeout; queued ones never start.
        pool.shutdown(wait=True, cancel_futures=True)
    return batch


def requests_threads(
    url: str, requests: int, concurrency: int, nbytes: int, timeout_s: float, deadline_s: float
) -> Batch:
    """``requests`` on a thread pool of ``concurrency`` threads, one Session per thread
    (a Session is not meant to be shared between threads)."""
    import requests as requests_lib

    local = threading.local()
    sessions: list[Any] = []
    lock = threading.Lock()

    def get() -> tuple[int, int]:
        session = getattr(local, "session", None)
        if session is None:
            session = local.session = requests_lib.Session()
            with lock:
                sessions.append(session)
        response = session.get(url, timeout=timeout_s)
        return response.status_code, len(response.content)

    try:
        return _thread_batch(get, requests, concurrency, deadline_s, nbytes)
    finally:
        for session in sessions:
            session.close()


def httpx_threads(
    url: str, requests: int, concurrency: int, nbytes: int, timeout_s: float, deadline_s: float
) -> Batch:
    """httpx's blocking client, shared by ``concurrency`` threads (it is thread-safe), with a
    connection pool as large as the concurrency."""
    import httpx

    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
    with httpx.Client(limits=limits, timeout=timeout_s) as client:

        def get() -> tuple[int, int]:
            response = client.get(url)
            return response.status_code, len(response.content)

        return _thread_batch(get, requests, concurrency, deadline_s, nbytes)


# --- asyncio ---------------------------------------------------------------------------


async def _async_batch(
    get: Callable[[], Any], requests: int, concurrency: int, deadline_s: float, nbytes: int
) -> Batch:
    """``requests`` awaits of ``get()`` as tasks, ``concurrency`` at a time; past the
    deadline the tasks left are cancelled and count as ``deadline``."""
    gate = asyncio.Semaphore(concurrency)
    batch = Batch()

    async def one() -> tuple[float | None, str | None]:
        async with gate:
            start = batch.in_flight.sent()
            try:
                status, length = await get()
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                return None, error_kind(exc)
            finally:
                batch.in_flight.done(start)
            return answered(start, status, length, nbytes)

    begin = time.perf_counter()
    tasks = [asyncio.ensure_future(one()) for _ in range(requests)]
    done, pending = await asyncio.wait(tasks, timeout=deadline_s)
    batch.seconds = time.perf_counter() - begin
    for task in pending:
        task.cancel()
    await asyncio.gather(*pending, return_exceptions=True)
    for task in tasks:
        if task in done:
            batch.add(*task.result())
        else:
            batch.add(None, "deadline")
    return batch


def httpx_async(
    url: str, requests: int, concurrency: int, nbytes: int, timeout_s: float, deadline_s: float
) -> Batch:
    """httpx's AsyncClient on one event loop, a pool of ``concurrency`` connections."""
    import httpx

    async def main() -> Batch:
        limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
        async with httpx.AsyncClient(limits=limits, timeout=timeout_s) as client:

            async def get() -> tuple[int, int]:
                response = await client.get(url)
                return response.status_code, len(response.content)

            return await _async_batch(get, requests, concurrency, deadline_s, nbytes)

    return asyncio.run(main())


def aiohttp_client(
    url: str, requests: int, concurrency: int, nbytes: int, timeout_s: float, deadline_s: float
) -> Batch:
    """aiohttp's ClientSession on one event loop, its connector limited to ``concurrency``."""
    import aiohttp

    async def main() -> Batch:
        connector = aiohttp.TCPConnector(limit=concurrency)
        timeout = aiohttp.ClientTimeout(total=timeout_s)
        async with aiohttp.ClientSession(connector=connector, timeout=timeout) as session:

            async def get() -> tuple[int, int]:
                async with session.get(url) as response:
                    return response.status, len(await response.read())

            return await _async_batch(get, requests, concurrency, deadline_s, nbytes)

    return asyncio.run(main())


# --- processes of threads ----------------------------------------------------------------


def process_share(
    url: str, requests: int, concurrency: int, nbytes: int, timeout_s: float, deadline_s: float
) -> dict[str, Any]:
    """One worker's share of ``requests_processes``: a requests client on threads; what it
    did, as plain data (it crosses a pipe), with the worker's own threads, peak RSS and CPU."""
    before, cpu_before = threads_started(), os.times()
    batch = requests_threads(url, requests, concurrency, nbytes, timeout_s, deadline_s)
    after, cpu_after = threads_started(), os.times()
    return {
        "latencies": batch.latencies,
        "errors": dict(batch.errors),
        "threads_created": (after - before) if before is not None and after is not None else 0,
        "peak_rss_bytes": peak_rss_bytes(),
        "cpu_seconds": cpu_after.user + cpu_after.system - cpu_before.user - cpu_before.system,
        "busy_seconds": batch.in_flight.busy_seconds,
        "peak_in_flight": batch.in_flight.peak,
    }


def warm_worker() -> int:
    """Import the client library in a pool worker before any timing."""
    import requests  # noqa: F401

    install_thread_counter()
    return os.getpid()


def requests_processes(
    url: str, requests: int, concurrency: int, nbytes: int, timeout_s: float, deadline_s: float
) -> Batch:
    """``CLIENT_PROCESSES`` processes (a warm pool), each a requests client on threads with
    its share of the requests and of the concurrency."""
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor, wait

    processes = max(1, min(CLIENT_PROCESSES, concurrency))
    shares = [requests // processes + (i < requests % processes) for i in range(processes)]
    threads = [concurrency // processes + (i < concurrency % processes) for i in range(processes)]
    context = multiprocessing.get_context()
    batch = Batch()
    with ProcessPoolExecutor(max_workers=processes, mp_context=context) as pool:
        wait([pool.submit(warm_worker) for _ in range(processes)])  # started, not timed
        begin = time.perf_counter()
        futures = [
            pool.submit(process_share, url, n, max(1, t), nbytes, timeout_s, deadline_s)
            for n, t in zip(shares, threads, strict=True)
        ]
        # Each worker keeps its own deadline, so leaving the pool waits at most that long
        # again; the margin covers its answer crossing the pipe.
        done, _ = wait(futures, timeout=deadline_s + timeout_s + 10)
        batch.seconds = time.perf_counter() - begin
        for future, n in zip(futures, shares, strict=True):
            if future not in done or future.exception() is not None:
                batch.errors["deadline" if future not in done else "other"] += n
                continue
            share = future.result()
            batch.latencies.extend(share["latencies"])
            batch.errors.update(share["errors"])
            batch.workers_threads_created += share["threads_created"]
            batch.workers_peak_rss_bytes += share["peak_rss_bytes"]
            batch.workers_cpu_seconds += share["cpu_seconds"]
            batch.in_flight.busy_seconds += share["busy_seconds"]
            # each worker's own peak, summed: at most what all had in flight at once
            batch.in_flight.peak += share["peak_in_flight"]
    return batch


RUNNERS: dict[str, Callable[[str, int, int, int, float, float], Batch]] = {
    "requests_threads": requests_threads,
    "httpx_threads": httpx_threads,
    "httpx_async": httpx_async,
    "aiohttp": aiohttp_client,
    "requests_processes": requests_processes,
}


# --- facts of the client process ---------------------------------------------------------

#: Audit events of a thread start (3.13 names the second); 3.11 raises neither.
THREAD_EVENTS = frozenset({"_thread.start_new_thread", "_thread.start_joinable_thread"})
_thread_count = {"started": 0, "installed": 0, "works": 0}


def _count_threads(event: str, args: tuple[Any, ...]) -> None:
    del args
    if event in THREAD_EVENTS:
        _thread_count["started"] += 1


def install_thread_counter() -> None:
    """Count thread starts from now on, through an audit hook (hooks cannot be removed:
    installed once per process), and check the interpreter raises the event."""
    if _thread_count["installed"]:
        return
    sys.addaudithook(_count_threads)
    _thread_count["installed"] = 1
    probe = threading.Thread(target=int)
    probe.start()
    probe.join()
    _thread_count["works"] = int(_thread_count["started"] > 0)


def threads_started() -> int | None:
    """Threads started in this process since the counter was installed; None where this
    interpreter raises no audit event for a thread start."""
    if not (_thread_count["installed"] and _thread_count["works"]):
        return None
    return _thread_count["started"]


def peak_rss_bytes() -> int:
    """The peak resident set of this process so far (Linux counts KiB, macOS bytes)."""
    import resource

    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return int(peak if sys.platform == "darwin" else peak * 1024)


# --- one batch in a process of its own ---------------------------------------------------


def batch_in_this_process(
    client: str, url: str, requests: int, concurrency: int, nbytes: int, timeout_s: float,
    deadline_s: float, warmup: int,
) -> dict[str, Any]:  # fmt: skip
    """Warm ``client`` up (untimed), run one batch; what it did, as plain data: what the
    measure reads from the child process it runs each batch in."""
    install_thread_counter()
    run = RUNNERS[client]
    if warmup:
        run(url, warmup, warmup, nbytes, timeout_s, deadline_s)
    threads_before, cpu_before = threads_started(), os.times()
    batch = run(url, requests, concurrency, nbytes, timeout_s, deadline_s)
    threads_after, cpu_after = threads_started(), os.times()
    threads = None
    if threads_before is not None and threads_after is not None:
        threads = threads_after - threads_before + batch.workers_threads_created
    cpu = cpu_after.user + cpu_after.system - cpu_before.user - cpu_before.system
    return {
        "latencies": batch.latencies,
        "errors": dict(batch.errors),
        "seconds": batch.seconds,
        "threads_created": threads,
        "peak_rss_bytes": peak_rss_bytes() + batch.workers_peak_rss_bytes,
        "cpu_seconds": cpu + batch.workers_cpu_seconds,
        "busy_seconds": batch.in_flight.busy_seconds,
        "peak_in_flight": batch.in_flight.peak,
    }


def main(argv: list[str] | None = None) -> int:
    """``python -m bench.families.http.clients --client aiohttp --url URL ...``: one batch,
    printed as one line of JSON."""
    import argparse
    import json

    parser = argparse.ArgumentParser(description="One batch of HTTP requests, as JSON.")
    parser.add_argument("--client", required=True, choices=tuple(CLIENTS))
    parser.add_argument("--url", required=True, help="'-': read it from standard input")
    parser.add_argument("--requests", type=int, required=True)
    parser.add_argument("--concurrency", type=int, required=True)
    parser.add_argument("--bytes", type=int, required=True, help="the body length expected")
    parser.add_argument("--timeout", type=float, default=10.0, help="per request, seconds")
    parser.add_argument("--deadline", type=float, default=30.0, help="per batch, seconds")
    parser.add_argument("--warmup", type=int, default=0, help="untimed requests first")
    args = parser.parse_args(argv)
    url = args.url
    if url == "-":  # the measure starts us before its server: import now, then wait for it
        __import__(CLIENTS[args.client].library)
        url = sys.stdin.readline().strip()
    result = batch_in_this_process(
        args.client, url, args.requests, args.concurrency, args.bytes, args.timeout,
        args.deadline, args.warmup,
    )  # fmt: skip
    print(json.dumps(result), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
