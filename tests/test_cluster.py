"""loky and Dask: a pool that survives a dead worker, a cluster of processes on loopback
that never outlives its test or run, ``--dask-scheduler``, and the cluster claim.

The models' common behaviour (results in order, errors, close) is tested with every
other model in test_models.py; this module tests what is theirs alone.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pandas as pd
import psutil
import pyperf
import pytest
from helpers_waiting import CHILD_RUN_S
from test_report_claims import CLAIMS_BY_ID

from bench import interpreters
from bench.families.cpu.workload import count_primes
from bench.families.granularity.claims import KEEPS_UP, task_seconds
from bench.models import WorkerDied, open_executor
from bench.models.dask_cluster import SCHEDULER_ENV, ClusterProcesses, connect
from bench.models.dask_local import cluster_facts
from bench.report.claims import DOES_NOT_HOLD, HOLDS, NO_DATA
from bench.results import schema
from bench.workloads.faults import exit_hard
from bench.workloads.probe import worker_facts

ROOT = Path(__file__).resolve().parent.parent
ARGS = [(100 * (i + 1), i) for i in range(5)]
EXPECTED = [count_primes(*a) for a in ARGS]


def worker_pids(executor: Any, workers: int) -> set[int]:
    """The pids of the executor's workers (each probe holds its worker 30 ms)."""
    return {f["pid"] for f in executor.run(worker_facts, [(30, i) for i in range(workers)])}


# --- loky -------------------------------------------------------------------------------


def test_loky_replaces_a_dead_worker_and_the_next_batch_runs(children) -> None:
    executor = open_executor("loky", 2)
    try:
        with pytest.raises(WorkerDied, match="loky worker died"):
            executor.run(exit_hard, [(5, i) for i in range(3)])
        assert executor.run(count_primes, ARGS) == EXPECTED  # no new executor asked for
        assert executor.recoveries == 1  # type: ignore[attr-defined]
    finally:
        executor.close()
    assert not children.left()


def test_a_closed_loky_pool_is_not_inherited_by_the_next(children) -> None:
    first = open_executor("loky", 2)
    try:
        before = worker_pids(first, 2)
    finally:
        first.close()
    assert not any(psutil.pid_exists(pid) for pid in before)  # shut down for real
    second = open_executor("loky", 2)
    try:
        assert worker_pids(second, 2).isdisjoint(before)  # new workers
    finally:
        second.close()
    assert not children.left()


def test_loky_takes_no_start_method() -> None:
    with pytest.raises(ValueError, match="start method"):
        open_executor("loky", 2, "fork")


# --- the cluster of processes ----------------------------------------------------------------


def test_a_cluster_of_processes_starts_runs_stops_and_leaves_nothing(children) -> None:
    cluster = ClusterProcesses(2)
    try:
        procs = [psutil.Process(p.pid) for p in cluster.processes]
        assert len(procs) == 3  # the scheduler and two workers
        groups = {os.getpgid(p.pid) for p in procs}
        assert groups == {procs[0].pid} != {os.getpgid(0)}  # one group, not ours
        assert cluster.address.startswith("tcp://127.0.0.1:")
        client = connect(cluster.address)
        try:
            cluster.wait_for_workers(client, 60)
            facts = cluster_facts(client.scheduler_info())
            assert facts == {"dask_workers": 2, "dask_threads": 2, "dask_hosts": "127.0.0.1"}
            futures = client.map(count_primes, *zip(*ARGS, strict=True), pure=False)
            assert client.gather(futures) == EXPECTED
        finally:
            client.close()
    finally:
        cluster.stop()
    assert not any(p.is_running() and p.status() != psutil.STATUS_ZOMBIE for p in procs)
    assert not children.left()


def test_a_cluster_that_misses_its_deadline_says_so_and_leaves_nothing(children) -> None:
    with pytest.raises(RuntimeError, match=r"did not start .*scheduler did not write"):
        ClusterProcesses(2, timeout_s=0.0)
    assert not children.left()


def test_the_dask_cluster_model_reports_its_cluster(children) -> None:
    executor = open_executor("dask_cluster", 2)
    try:
        assert executor.run(count_primes, ARGS) == EXPECTED
        assert executor.describe()["dask_workers"] == 2  # type: ignore[attr-defined]
    finally:
        executor.close()
    assert not children.left()


def test_cluster_facts_count_workers_threads_and_hosts() -> None:
    info = {"workers": {"a": {"host": "10.0.0.2", "nthreads": 4},
                        "b": {"host": "10.0.0.1", "nthreads": 2}}}  # fmt: skip
    assert cluster_facts(info) == {
        "dask_workers": 2, "dask_threads": 6, "dask_hosts": "10.0.0.1,10.0.0.2"
    }  # fmt: skip
    assert cluster_facts({})["dask_hosts"] == "none"
    for key in cluster_facts(info):
        assert schema.METADATA[key].role == "machine"


# --- runs ------------------------------------------------------------------------------------


def run_bench(tmp_path: Path, *args: str) -> tuple[subprocess.CompletedProcess[str], Path]:
    results = tmp_path / "results"
    env = {k: v for k, v in os.environ.items() if k != SCHEDULER_ENV}
    done = subprocess.run(
        [sys.executable, "-m", "bench", "run", "--profile", "smoke", "--results", str(results),
         *args],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=CHILD_RUN_S, check=False,
    )  # fmt: skip
    return done, results


def results_of(results: Path) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    (manifest_path,) = results.glob("*/*/run.json")
    manifest = json.loads(manifest_path.read_text())
    (suite,) = manifest_path.parent.glob("cpython-*[0-9].json")
    return manifest, [b.get_metadata() for b in pyperf.BenchmarkSuite.load(str(suite))]


def leftovers(token: str) -> list[psutil.Process]:
    found = []
    for proc in psutil.process_iter():
        try:
            if proc.environ().get("BENCH_RUN_TOKEN") == token and proc.status() != "zombie":
                found.append(proc)
        except (psutil.NoSuchProcess, psutil.AccessDenied, psutil.ZombieProcess):
            continue
    return found


@pytest.mark.slow
def test_smoke_runs_one_case_of_each_new_model_and_leaves_nothing(tmp_path: Path) -> None:
    done, results = run_bench(tmp_path, "--only", r"count_primes\[1ms\] (loky|dask_\w+) ")
    assert done.returncode == 0, done.stderr[-2000:]
    manifest, benchmarks = results_of(results)
    assert {b["model"] for b in benchmarks if b.get("family") == "cpu_python"} == {
        "loky", "dask_local", "dask_cluster"
    }  # fmt: skip
    dask = [b for b in benchmarks if b.get("model") == "dask_cluster"]
    assert dask and dask[0]["dask_workers"] == 2
    assert "dask_cluster" not in manifest["host"]  # started by the case, not given
    assert not leftovers(manifest["process_token"])
    validated = subprocess.run(
        [sys.executable, "-m", "bench", "validate", str(results)],
        cwd=ROOT, capture_output=True, text=True, timeout=CHILD_RUN_S, check=False,
    )  # fmt: skip
    assert validated.returncode == 0, validated.stderr


@pytest.mark.slow
def test_dask_scheduler_runs_on_the_given_cluster_and_records_it(tmp_path: Path) -> None:
    cluster = ClusterProcesses(3)  # three workers, where the case asks for two
    try:
        client = connect(cluster.address)
        try:
            cluster.wait_for_workers(client, 60)
        finally:
            client.close()
        done, results = run_bench(
            tmp_path, "--only", r"count_primes\[1ms\] dask_cluster ",
            "--dask-scheduler", cluster.address,
        )  # fmt: skip
    finally:
        cluster.stop()
    assert done.returncode == 0, done.stderr[-2000:]
    manifest, benchmarks = results_of(results)
    given = manifest["host"]["dask_cluster"]
    assert given == {"scheduler": given["scheduler"], "dask_workers": 3, "dask_threads": 3,
                     "dask_hosts": "127.0.0.1"}  # fmt: skip
    (case,) = [b for b in benchmarks if b.get("model") == "dask_cluster"]
    assert (case["dask_workers"], case["dask_hosts"]) == (3, "127.0.0.1")
    assert not leftovers(manifest["process_token"])


def test_dask_scheduler_that_does_not_answer_is_a_usage_error(tmp_path: Path) -> None:
    with psutil_free_port() as port:
        done, _ = run_bench(
            tmp_path, "--only", r"count_primes\[1ms\] dask_cluster ",
            "--dask-scheduler", f"tcp://127.0.0.1:{port}",
        )  # fmt: skip
    assert done.returncode == 2
    assert "--dask-scheduler" in done.stderr and "no Dask scheduler answered" in done.stderr


class psutil_free_port:
    """A loopback port nothing listens on while the block runs (bound, not listening)."""

    def __enter__(self) -> int:
        import socket

        self._sock = socket.socket()
        self._sock.bind(("127.0.0.1", 0))
        return int(self._sock.getsockname()[1])

    def __exit__(self, *exc: object) -> None:
        self._sock.close()


# --- the claim ---------------------------------------------------------------------------------


LENGTHS = (("10us", 400), ("1ms", 40_000), ("100ms", 4_000_000))


def granularity(cluster: dict[str, float], pool: float = 1.0) -> pd.DataFrame:
    """Three rounds of the process pool (``pool`` s, chunksize 1 and a faster chunked
    case) and a Dask cluster (``cluster[label]`` s) at each task length."""
    rows = []
    for label, size in LENGTHS:
        case = {"family": "granularity", "workload": "spin", "size": size, "size_label": label,
                "group": f"granularity:spin[{label}]", "tasks": 10, "workers": 2,
                "machine": "m", "run_id": "r", "interpreter": "cpython-3.11",
                "timed": "tasks", "metric": "time", "payload_bytes": 0}  # fmt: skip
        for r, drift in ((1, 1.0), (2, 1.3), (3, 0.9)):
            noise = 1 + 0.01 * r
            for model, seconds, chunks, method in (
                ("process_pool", pool, 1, "fork"), ("process_pool", pool / 3, 5, "fork"),
                ("dask_local", cluster[label] * noise, 1, "n/a"),
            ):  # fmt: skip
                rows.append(case | {"model": model, "chunksize": chunks, "start_method": method,
                                    "round": r, "time_s": seconds * drift,
                                    "value": seconds * drift, "unit": "second"})  # fmt: skip
    return pd.DataFrame(rows)


def test_a_cluster_that_keeps_up_at_100ms_holds_with_its_catch_up_length() -> None:
    verdict = CLAIMS_BY_ID["cluster_keeps_up"].rule(
        granularity({"10us": 5.0, "1ms": 1.02, "100ms": 1.01})
    )
    assert verdict.verdict == HOLDS, verdict.evidence
    assert verdict.figures["catch_up"] == {"Dask LocalCluster": "1ms"}
    # (5.0 - 1.0) s over 10 tasks, the median of the rounds' drifts
    assert verdict.figures["extra_per_task_s"]["Dask LocalCluster"] == pytest.approx(0.4, 0.1)


def test_a_cluster_twice_as_slow_at_100ms_does_not_hold() -> None:
    verdict = CLAIMS_BY_ID["cluster_keeps_up"].rule(
        granularity({"10us": 5.0, "1ms": 3.0, "100ms": 2.0})
    )
    assert verdict.verdict == DOES_NOT_HOLD
    assert verdict.figures["catch_up"] == {"Dask LocalCluster": None}
    assert KEEPS_UP < 2.0


def test_no_cluster_in_the_granularity_family_is_no_data() -> None:
    data = granularity({"10us": 5.0, "1ms": 1.0, "100ms": 1.0})
    assert CLAIMS_BY_ID["cluster_keeps_up"].rule(data[data["model"] != "dask_local"]).verdict == (
        NO_DATA
    )


def test_task_lengths_read_from_their_labels() -> None:
    assert task_seconds("10us") == pytest.approx(1e-5)
    assert task_seconds("100ms") == pytest.approx(0.1)
    assert pd.isna(task_seconds("1 task/worker"))


# --- the venv of an interpreter gets the extras ----------------------------------------------


def test_each_extra_is_installed_apart_and_a_failure_is_recorded_once(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    calls: list[list[str]] = []

    def fake_run(cmd: list[str], what: str) -> None:
        calls.append(cmd)
        if "loky>=3.4,<4" in cmd:
            raise interpreters.InterpreterError(f"could not {what} (exit 1): no wheel")

    monkeypatch.setattr(interpreters, "_run", fake_run)
    outcome = interpreters.install_extras(tmp_path / "bin" / "python", tmp_path)
    assert outcome["loky"].startswith("failed: ") and "no wheel" in outcome["loky"]
    assert outcome["dask"] == outcome["io"] == "installed"
    assert len(calls) == len([e for e, p in interpreters.extra_requirements().items() if p])
    calls.clear()
    assert interpreters.install_extras(tmp_path / "bin" / "python", tmp_path) == outcome
    assert not calls  # the same requirements: not tried again


# --- the page ----------------------------------------------------------------------------------


def test_the_page_is_listed_and_every_marker_of_it_expands(tmp_path: Path) -> None:
    from bench.site import catalogue, markers, sources
    from bench.site.data import load_source

    assert catalogue.title("beyond-one-machine.md") == "Beyond one machine"
    text = (ROOT / "docs" / "beyond-one-machine.md").read_text(encoding="utf-8")
    assert "<!-- evidence: cluster_keeps_up -->" in text
    fixture = load_source(
        sources.Source("baseline", "Baseline", Path(__file__).parent / "fixtures" / "results"),
        tmp_path,
    )
    out = markers.expand(text, "beyond-one-machine.md", [fixture])
    assert "<!--" not in out
    assert "not measured: a Dask cluster beside a process pool" in out  # no Dask there
    assert CLAIMS_BY_ID["cluster_keeps_up"].measured_by in out
