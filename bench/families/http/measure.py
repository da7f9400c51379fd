"""HTTP at scale: one client library sending a batch of requests to a real HTTP server.

The case's model is a client of ``bench.families.http.clients.CLIENTS``, its workers
the concurrency (requests in flight), its size the server's service latency in ms and
its payload the bytes of each answer. The measure:

1. raises this process's open-file limit to its hard limit (every connection is a
   file) and records the limit it got;
2. starts ``bench.families.http.server`` (aiohttp) in a process of its own, in the
   case's process group, so that a killed case takes it along; stops it at the end;
3. runs ``repeat`` batches of ``requests_for(concurrency)`` requests, each in a child
   interpreter (after a few untimed requests: imports, first connections), with a
   per-request timeout, a deadline for the batch, and a hard limit past which the
   child is killed, so that nothing hangs at 4,096 in flight.

Recorded per batch: requests per second (successes over wall time), p50 and p99 of the
per-request seconds, the requests the client really had in flight (the mean over the
batch, by Little's law from the seconds each spent in flight, and the peak), the
client's peak RSS, the threads it started, failures by kind
(connection refused, timeout, EMFILE, past the deadline, ...), and the CPU seconds of
the client and of the server, so that a page can tell when the server was the limit.
"""

from __future__ import annotations

import contextlib
import importlib.util
import os
import selectors
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

from bench.families.http import clients as http_clients
from bench.families.http.clients import CLIENTS, ERROR_KINDS, percentile
from bench.measurement import Measurement

if TYPE_CHECKING:
    from bench.cases import Case

#: Requests per batch: two waves of the concurrency, at least enough for a p99, and past
#: 2,048 one wave only (the profiles' time budget): never fewer than the concurrency.
WAVES = 2
MIN_REQUESTS = 128
MAX_REQUESTS = 2048
#: A request's own timeout, and the whole batch's deadline (both far below the case's).
REQUEST_TIMEOUT_S = 10.0
BATCH_DEADLINE_S = 20.0
#: Untimed requests first: the library's imports and the first connections.
WARMUP_REQUESTS = 16
SERVER_READY_S = 30.0
#: A client child's start-up and warm-up, within its hard limit.
CLIENT_START_S = 10.0
#: An open-file limit to ask for where the hard limit is unlimited.
NOFILE_WANTED = 1 << 20
PROJECT_ROOT = Path(__file__).resolve().parents[2]


def requests_for(concurrency: int) -> int:
    return max(MIN_REQUESTS, concurrency, min(MAX_REQUESTS, WAVES * concurrency))


def raise_open_files_limit() -> int:
    """Set the soft RLIMIT_NOFILE to the hard limit; return the soft limit now in force
    (-1 where there is no such limit, on Windows)."""
    try:
        import resource
    except ImportError:
        return -1
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    wanted = NOFILE_WANTED if hard == resource.RLIM_INFINITY else hard
    if soft == resource.RLIM_INFINITY or soft >= wanted:
        return NOFILE_WANTED if soft == resource.RLIM_INFINITY else soft
    with contextlib.suppress(ValueError, OSError):  # macOS caps it lower: keep what we have
        resource.setrlimit(resource.RLIMIT_NOFILE, (wanted, hard))
    return int(resource.getrlimit(resource.RLIMIT_NOFILE)[0])


@contextlib.contextmanager
def http_server() -> Iterator[tuple[str, int]]:
    """The suite's HTTP server in a child process; yields ``("host:port", pid)``. It stays
    in this process's group (a timed-out case's group is killed whole) and is stopped,
    killed if need be, and reaped before this returns."""
    proc = subprocess.Popen(
        [sys.executable, "-m", "bench.families.http.server", "--port", "0"],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
        env=child_environment(),
    )
    try:
        assert proc.stdout is not None
        with selectors.DefaultSelector() as selector:
            selector.register(proc.stdout, selectors.EVENT_READ)
            line = proc.stdout.readline().split() if selector.select(SERVER_READY_S) else []
        if len(line) != 3 or line[0] != "READY":
            raise RuntimeError(f"the HTTP server did not start (said {line!r})")
        yield f"{line[1]}:{line[2]}", proc.pid
    finally:
        if proc.stdin is not None:
            proc.stdin.close()  # it stops when its standard input closes
        try:
            proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=10)
        if proc.stdout is not None:
            proc.stdout.close()


def cpu_seconds(pid: int | None = None) -> float | None:
    """User and system CPU seconds of ``pid`` (this process by default); None if unknown."""
    if pid is None:
        times = os.times()
        return times.user + times.system
    try:
        import psutil

        used = psutil.Process(pid).cpu_times()
    except Exception:  # no psutil, or the process is gone: the figure is unknown
        return None
    return float(used.user + used.system)


def missing_library(client: str) -> str | None:
    """Why this interpreter cannot run ``client`` against the server, or None."""
    for module in dict.fromkeys((CLIENTS[client].library, "aiohttp")):
        if importlib.util.find_spec(module) is None:
            return f"needs {module} (pip install 'threads-or-processes[io]')"
    return None


def start_batch(client: str, requests: int, concurrency: int, nbytes: int) -> subprocess.Popen[str]:
    """A child interpreter (``bench.families.http.clients``) for one batch: it imports its
    library at once, then waits for the server's URL on its standard input, so that its
    start-up overlaps the server's. Its peak RSS and threads are the client's alone."""
    cmd = [
        sys.executable, "-m", "bench.families.http.clients", "--client", client, "--url", "-",
        "--requests", str(requests), "--concurrency", str(concurrency), "--bytes", str(nbytes),
        "--timeout", str(REQUEST_TIMEOUT_S), "--deadline", str(BATCH_DEADLINE_S),
        "--warmup", str(min(WARMUP_REQUESTS, concurrency)),
    ]  # fmt: skip
    return subprocess.Popen(
        cmd, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, env=child_environment()
    )


def finish_batch(proc: subprocess.Popen[str], url: str, requests: int) -> dict[str, Any]:
    """Send ``url`` to a child of ``start_batch`` and read what its batch did. A child past
    its hard limit (an event loop kept busy never reaches its timers, so its own deadline
    may pass unseen) is killed, and every request of its batch counts as ``deadline``."""
    import json

    # Start-up and warm-up, the deadline, then the requests in flight at the deadline.
    hard_limit = CLIENT_START_S + BATCH_DEADLINE_S + REQUEST_TIMEOUT_S
    try:
        output, _ = proc.communicate(input=url + "\n", timeout=hard_limit)
    except subprocess.TimeoutExpired:
        kill_tree(proc)
        proc.communicate()
        return {"errors": {"deadline": requests}, "seconds": hard_limit, "latencies": []}
    finally:
        if proc.poll() is None:
            kill_tree(proc)
            proc.wait()
    lines = output.strip().splitlines()
    if proc.returncode != 0 or not lines:
        raise RuntimeError(f"an HTTP client exited {proc.returncode} with no result")
    result: dict[str, Any] = json.loads(lines[-1])
    return result


def stop_batch(proc: subprocess.Popen[str]) -> None:
    """End a child of ``start_batch`` that will get no URL (the server did not start)."""
    if proc.poll() is None:
        kill_tree(proc)
    proc.communicate()


def kill_tree(proc: subprocess.Popen[str]) -> None:
    """Kill ``proc`` and what it started (the process client's pool workers), which share
    this case's process group and so cannot be killed as a group without the case."""
    children = []
    with contextlib.suppress(Exception):  # no psutil: the case's own timeout sweeps them
        import psutil

        children = psutil.Process(proc.pid).children(recursive=True)
    proc.kill()
    for child in children:
        with contextlib.suppress(Exception):
            child.kill()


def child_environment() -> dict[str, str]:
    """Ours, with the suite's source on PYTHONPATH (a test runs the measure outside a case)."""
    env = dict(os.environ)
    paths = [str(PROJECT_ROOT), *filter(None, env.get("PYTHONPATH", "").split(os.pathsep))]
    env["PYTHONPATH"] = os.pathsep.join(dict.fromkeys(paths))
    return env


#: The unit of each metric that is not a count.
UNITS = {
    "batch_seconds": "second",
    "p50_latency_seconds": "second",
    "p99_latency_seconds": "second",
    "client_cpu_seconds": "second",
    "server_cpu_seconds": "second",
    "peak_rss_bytes": "byte",
}


def batch_metrics(batch: dict[str, Any], server_cpu: float | None) -> dict[str, Any]:
    """What a batch did (``finish_batch``), as metric -> value; the server's CPU seconds
    over the batch where known."""
    latencies: list[float] = batch["latencies"]
    errors: dict[str, int] = batch["errors"]
    seconds = float(batch["seconds"])
    found: dict[str, Any] = {
        "requests_per_second": len(latencies) / seconds if seconds > 0 else 0.0,
        "batch_seconds": seconds,
        "requests_succeeded": len(latencies),
    }
    if latencies:
        found["p50_latency_seconds"] = percentile(latencies, 50)
        found["p99_latency_seconds"] = percentile(latencies, 99)
    if batch.get("peak_rss_bytes"):
        found["peak_rss_bytes"] = batch["peak_rss_bytes"]
    if batch.get("threads_created") is not None:
        found["threads_created"] = batch["threads_created"]
    if batch.get("busy_seconds") is not None and seconds > 0:
        # the time average of the requests in flight: what the client really achieved
        found["mean_in_flight"] = float(batch["busy_seconds"]) / seconds
        found["peak_in_flight"] = int(batch["peak_in_flight"])
    found["errors"] = sum(errors.values())
    found |= {f"errors_{kind}": errors.get(kind, 0) for kind in ERROR_KINDS}
    if batch.get("cpu_seconds") is not None:
        found["client_cpu_seconds"] = batch["cpu_seconds"]
    if server_cpu is not None:
        found["server_cpu_seconds"] = server_cpu
    return found


def measure(case: Case, repeat: int = 1) -> list[Measurement]:
    """``repeat`` batches of ``case.model``'s requests at ``case.workers`` in flight."""
    if case.model not in CLIENTS:
        raise ValueError(f"http: unknown client {case.model!r}, expected one of {tuple(CLIENTS)}")
    if repeat < 1 or case.workers < 1:
        raise ValueError(f"http: need repeat >= 1 and workers >= 1, got {repeat}, {case.workers}")
    requests = requests_for(case.workers)
    params = {
        "service_ms": case.size,
        "response_bytes": case.payload,
        "requests": requests,
        "concurrency": case.workers,
    }
    reason = missing_library(case.model)
    if reason:
        return [Measurement("unavailable", "text", [reason], params)]
    limit = raise_open_files_limit()  # the client and the server inherit it
    values: dict[str, list[Any]] = {}
    waiting: subprocess.Popen[str] | None = start_batch(  # it starts while the server does
        case.model, requests, case.workers, case.payload
    )
    try:
        with http_server() as (address, server_pid):
            url = http_clients.url_for(address, case.size, case.payload)
            for _ in range(repeat):
                proc = waiting or start_batch(case.model, requests, case.workers, case.payload)
                waiting = None
                server_before = cpu_seconds(server_pid)
                batch = finish_batch(proc, url, requests)
                server_after = cpu_seconds(server_pid)
                used = None if server_before is None or server_after is None else (
                    server_after - server_before
                )  # fmt: skip
                for metric, value in batch_metrics(batch, used).items():
                    values.setdefault(metric, []).append(value)
    finally:
        if waiting is not None:
            stop_batch(waiting)
    values["open_files_limit"] = [limit]
    return [
        Measurement(metric, UNITS.get(metric, "count"), found, dict(params))
        for metric, found in values.items()
    ]
