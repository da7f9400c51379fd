"""A Dask cluster of separate processes: ``dask scheduler`` and one ``dask worker`` per
worker, started by the suite on loopback, or a cluster the user already runs.

``open_executor`` starts ``python -m distributed.cli.dask_scheduler`` and N
``python -m distributed.cli.dask_worker ADDRESS --nthreads 1 --nworkers 1`` processes,
all in one process group of their own (the scheduler leads it), so that ``close``
ends every one of them, the nannies' worker processes too, with one signal, and
reaps them. On Linux each also dies with the process that started it
(``PR_SET_PDEATHSIG``), so a case killed at its timeout leaves none behind. Their
scratch folders live in one temporary folder removed on close.

With ``BENCH_DASK_SCHEDULER=tcp://HOST:PORT`` (``python -m bench run --dask-scheduler``)
nothing is started: the client connects to that scheduler, and its workers, however
many, run the tasks.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import signal
import subprocess
import sys
import time
from typing import Any

from bench.models.base import scratch_folder
from bench.models.dask_local import START_TIMEOUT_S, DaskExecutor

#: The scheduler of a cluster the user runs; when set, no cluster is started.
SCHEDULER_ENV = "BENCH_DASK_SCHEDULER"
#: How long the processes get to stop on SIGTERM before SIGKILL.
STOP_GRACE_S = 5.0
_PR_SET_PDEATHSIG = 1
#: Where every listener of the cluster goes: loopback, a port the system picks.
LOOPBACK_ANY_PORT = "127.0.0.1:0"


def _die_with_parent() -> None:
    """In the child, before exec: SIGKILL when the parent dies (Linux only)."""
    import ctypes

    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL(None, use_errno=True).prctl(_PR_SET_PDEATHSIG, signal.SIGKILL)


def _x_options() -> list[str]:
    """This interpreter's ``-X`` options (``-X gil=1``): its cluster runs as it does."""
    return [
        f"-X{key}" if value is True else f"-X{key}={value}" for key, value in sys._xoptions.items()
    ]


class ClusterProcesses:
    """A scheduler and ``workers`` worker processes on 127.0.0.1, one process group."""

    def __init__(self, workers: int, timeout_s: float = START_TIMEOUT_S) -> None:
        self.workers = workers
        self.address = ""
        self._folder = scratch_folder("bench-dask-")
        self.processes: list[subprocess.Popen[bytes]] = []
        try:
            self._start(timeout_s)
        except BaseException:
            self.stop()
            raise

    def _spawn(self, args: list[str], log_name: str) -> subprocess.Popen[bytes]:
        leader = self.processes[0].pid if self.processes else 0  # 0: lead a new group
        with (self._folder / log_name).open("wb") as log:
            proc = subprocess.Popen(
                [sys.executable, *_x_options(), "-m", *args],
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                process_group=leader,
                # dask's scratch space here too, not a folder left in the temp folder
                env={**os.environ, "DASK_TEMPORARY_DIRECTORY": str(self._folder)},
                preexec_fn=_die_with_parent if sys.platform == "linux" else None,  # noqa: PLW1509
            )
        self.processes.append(proc)
        return proc

    def _start(self, timeout_s: float) -> None:
        deadline = time.monotonic() + timeout_s
        address_file = self._folder / "scheduler.json"
        self._spawn(
            # "--no-dashboard" still serves HTTP on 0.0.0.0:8787: every listener on loopback
            ["distributed.cli.dask_scheduler", "--host", "127.0.0.1", "--port", "0",
             "--no-dashboard", "--dashboard-address", LOOPBACK_ANY_PORT,
             "--scheduler-file", str(address_file)],
            "scheduler.log",
        )  # fmt: skip
        while not self.address:
            self._check(deadline, "the scheduler did not write its address")
            with contextlib.suppress(OSError, ValueError):
                self.address = str(json.loads(address_file.read_text())["address"])
            time.sleep(0.05)
        for k in range(self.workers):
            self._spawn(
                ["distributed.cli.dask_worker", self.address, "--nthreads", "1",
                 "--nworkers", "1", "--no-dashboard", "--dashboard-address", LOOPBACK_ANY_PORT,
                 "--host", "127.0.0.1",
                 "--local-directory", str(self._folder / f"worker-{k}")],
                f"worker-{k}.log",
            )  # fmt: skip

    def _check(self, deadline: float, waiting_for: str) -> None:
        """Raise with the logs' tails if a process ended or the deadline passed."""
        ended = [p for p in self.processes if p.poll() is not None]
        if ended or time.monotonic() > deadline:
            why = f"exit {ended[0].returncode}" if ended else f"{START_TIMEOUT_S:.0f} s passed"
            raise RuntimeError(f"the Dask cluster did not start ({why}): {waiting_for}. "
                               f"{self.logs()}")  # fmt: skip

    def logs(self, tail: int = 400) -> str:
        parts = []
        for log in sorted(self._folder.glob("*.log")):
            with contextlib.suppress(OSError):
                text = log.read_text(errors="replace").strip()[-tail:]
                parts.append(f"{log.name}: ...{text}")
        return " | ".join(parts)

    def wait_for_workers(self, client: Any, timeout_s: float) -> None:
        deadline = time.monotonic() + timeout_s
        while len(client.scheduler_info().get("workers", {})) < self.workers:
            self._check(deadline, f"fewer than {self.workers} workers connected")
            time.sleep(0.05)

    def stop(self) -> None:
        """SIGTERM to the group, SIGKILL after ``STOP_GRACE_S``; reap; remove the folder."""
        procs, self.processes = self.processes, []
        if procs:
            group = procs[0].pid
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(group, signal.SIGTERM)
            end = time.monotonic() + STOP_GRACE_S
            for proc in procs:
                with contextlib.suppress(subprocess.TimeoutExpired):
                    proc.wait(timeout=max(0.0, end - time.monotonic()))
            # The leader may be gone while grandchildren (the nannies' workers) are not.
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(group, signal.SIGKILL)
            for proc in procs:
                if proc.poll() is None:
                    proc.kill()
                proc.wait()
        shutil.rmtree(self._folder, ignore_errors=True)


def connect(address: str, timeout_s: float = START_TIMEOUT_S) -> Any:
    """A ``Client`` of the scheduler at ``address``, with a clear error if none answers."""
    from distributed import Client

    try:
        return Client(address, timeout=timeout_s)
    except OSError as exc:
        raise RuntimeError(f"no Dask scheduler answered at {address} within {timeout_s:.0f} s: "
                           f"{exc}") from exc  # fmt: skip


def describe_scheduler(address: str, timeout_s: float = 10.0) -> dict[str, Any]:
    """The facts of a running cluster (workers, threads, hosts), for the run's manifest."""
    from bench.models.dask_local import cluster_facts

    client = connect(address, timeout_s)
    try:
        return cluster_facts(client.scheduler_info())
    finally:
        client.close()


def unavailable() -> str | None:
    if os.name != "posix" and not os.environ.get(SCHEDULER_ENV):
        return "starts its processes in a POSIX process group (give --dask-scheduler)"
    return None


def open_executor(workers: int, start_method: str | None = None) -> DaskExecutor:
    if start_method is not None:
        raise ValueError("Dask starts its workers its own way: no start method applies")
    given = os.environ.get(SCHEDULER_ENV)
    if given:
        client = connect(given)
        return DaskExecutor(client, len(client.scheduler_info().get("workers", {})))
    cluster = ClusterProcesses(workers)
    try:
        client = connect(cluster.address)
        try:
            cluster.wait_for_workers(client, START_TIMEOUT_S)
        except BaseException:
            client.close()
            raise
    except BaseException:
        cluster.stop()
        raise
    return DaskExecutor(client, workers, cluster.stop)
