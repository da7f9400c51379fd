"""Dask on this machine: ``distributed.LocalCluster`` (a scheduler in this process, one
single-threaded worker process per worker) and a ``Client``, opened once and reused.

Every task goes through the scheduler: ``client.map(func, *columns, pure=False)`` then
``client.gather``; ``pure=False`` so that equal arguments are not merged into one task.
``DaskExecutor`` is shared with ``dask_cluster``, which reaches separate processes.
"""

from __future__ import annotations

import contextlib
import logging
import os
from collections.abc import Callable
from typing import Any

from bench.models.base import ArgList, Task, WorkerDied, scratch_folder

#: How long a worker or the scheduler may take to start, and a cluster to close.
START_TIMEOUT_S = 60.0


class DaskExecutor:
    """A ``distributed.Client`` behind the executor interface; ``stop`` ends the cluster."""

    def __init__(self, client: Any, workers: int, stop: Callable[[], None] = lambda: None) -> None:
        self.workers = workers
        self._client: Any = client
        self._stop = stop

    def run(self, func: Task, arglist: ArgList) -> list[Any]:
        from distributed import KilledWorker

        if not arglist:
            return []
        columns = [list(column) for column in zip(*arglist, strict=True)]
        futures = self._client.map(func, *columns, pure=False)
        try:
            return list(self._client.gather(futures))
        except KilledWorker as exc:  # the task's workers died, the allowed retries spent
            raise WorkerDied(f"dask worker died: {exc}") from exc

    def describe(self) -> dict[str, Any]:
        """The cluster as the scheduler sees it: workers, threads, hosts (run metadata)."""
        return cluster_facts(self._client.scheduler_info())

    def close(self) -> None:
        client, self._client = self._client, None
        if client is not None:
            with contextlib.suppress(Exception):  # a dead scheduler cannot say goodbye
                client.close(timeout=START_TIMEOUT_S)
        stop, self._stop = self._stop, lambda: None
        stop()


def cluster_facts(info: dict[str, Any]) -> dict[str, Any]:
    """``client.scheduler_info()`` -> the metadata keys ``dask_workers``, ``dask_threads``,
    ``dask_hosts`` (sorted, comma-separated)."""
    workers = (info.get("workers") or {}).values()
    hosts = sorted({str(w.get("host", "?")) for w in workers})
    return {
        "dask_workers": len(workers),
        "dask_threads": sum(int(w.get("nthreads", 0)) for w in workers),
        "dask_hosts": ",".join(hosts) or "none",
    }


def open_executor(workers: int, start_method: str | None = None) -> DaskExecutor:
    if start_method is not None:
        raise ValueError("Dask starts its workers its own way: no start method applies")
    import shutil

    import dask
    from distributed import Client, LocalCluster

    # The workers' scratch space, else a dask-scratch-space folder left in the temp folder.
    scratch = str(scratch_folder("bench-dask-"))
    # Dask's nannies pin PYTHONHASHSEED for their workers, in this process's environment too:
    # put it back, so that the case's own metadata stays that of the interpreter under test.
    hash_seed = os.environ.get("PYTHONHASHSEED")
    with dask.config.set({"temporary-directory": scratch}):
        cluster = LocalCluster(
            n_workers=workers,
            threads_per_worker=1,
            processes=True,
            # Every listener on loopback, on a free port: the scheduler's HTTP server (its
            # dashboard's routes) and the workers' start even when "no dashboard" is asked.
            dashboard_address="127.0.0.1:0",
            worker_dashboard_address="127.0.0.1:0",
            host="127.0.0.1",
            silence_logs=logging.ERROR,
            local_directory=scratch,
        )
    if hash_seed is None:
        os.environ.pop("PYTHONHASHSEED", None)
    else:
        os.environ["PYTHONHASHSEED"] = hash_seed
    try:
        client = Client(cluster, timeout=START_TIMEOUT_S)
    except BaseException:
        cluster.close()
        shutil.rmtree(scratch, ignore_errors=True)
        raise

    def stop() -> None:
        try:
            cluster.close(timeout=START_TIMEOUT_S)
        finally:
            shutil.rmtree(scratch, ignore_errors=True)

    return DaskExecutor(client, workers, stop)
