"""The NumPy workloads: right answers under every model, one BLAS thread, shared-memory
blocks unlinked, skipped with a reason where numpy is missing, and one case end to end."""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pyperf
import pytest
from helpers_waiting import CHILD_RUN_S

from bench import exit_codes, interpreters, runner
from bench.cases import Case, Profile
from bench.environment import PROJECT_ROOT
from bench.families import catalogue
from bench.families.catalogue import WORKLOADS, unavailable_workloads
from bench.families.numpy import workload as arrays
from bench.models import open_executor
from bench.progress import Progress
from bench.results import layout
from bench.results.read import check_file
from bench.workloads.catalog import resolve

SHM_DIR = Path("/dev/shm")
#: Small sizes of each workload (its size unit) and the direct computation of one slice.
DIRECT = {
    "numpy_matmul": (48, lambda pair: (pair[0] @ pair[1]).sum()),
    "numpy_ufuncs": (1, lambda x: np.exp(np.sin(x)).sum()),
    "numpy_sort": (1, lambda x: np.sort(x)[:: max(1, len(x) // 64)].sum()),
    "numpy_python_loop": (16, lambda x: float((x * x).sum())),
}
#: Every way a task gets its array: in place, pickled, a slice of a shared-memory block.
CONFIGS = [
    ("sequential", None, ""),
    ("thread_pool", None, ""),
    ("threads", None, ""),
    ("process_pool", "fork", ""),
    ("process_pool", "fork", arrays.SHARED_MEMORY),
    ("process_pool", "spawn", arrays.SHARED_MEMORY),
]


def leftover_blocks() -> list[Path]:
    return sorted(SHM_DIR.glob(f"{arrays.SHM_PREFIX}{os.getpid()}_*"))


@pytest.fixture
def no_leftover_blocks() -> Iterator[None]:
    before = leftover_blocks()
    yield
    assert leftover_blocks() == before


def run_batch(workload: str, model: str, method: str | None, variant: str) -> list[float]:
    size, _ = DIRECT[workload]
    operands = arrays.operands(workload, size, 4, variant)
    executor = open_executor(model, 2 if model != "sequential" else 1, method)
    try:
        return executor.run(resolve(WORKLOADS[workload].func or ""), operands.arglist)
    finally:
        executor.close()
        operands.close()


@pytest.mark.parametrize("workload", sorted(DIRECT))
@pytest.mark.parametrize(("model", "method", "variant"), CONFIGS)
def test_every_task_gives_the_direct_computations_result(
    workload: str, model: str, method: str | None, variant: str, children, no_leftover_blocks
) -> None:
    size, direct = DIRECT[workload]
    reference = arrays.operands(workload, size, 4)  # the same numbers, in the parent
    expected = [float(direct(args[2])) for args in reference.arglist]
    assert run_batch(workload, model, method, variant) == pytest.approx(expected, rel=1e-9)
    assert not children.left()


def test_the_variants_hold_the_same_numbers(no_leftover_blocks) -> None:
    plain = arrays.operands("numpy_sort", 1, 3)
    shared = arrays.operands("numpy_sort", 1, 3, arrays.SHARED_MEMORY)
    try:
        (_, _, where) = shared.arglist[1]
        assert isinstance(where, arrays.SharedSlice) and where.index == 1
        assert where.block.startswith(arrays.SHM_PREFIX) and where.shape == (3, (1 << 20) // 8)
        assert leftover_blocks() == [SHM_DIR / where.block]
        assert arrays.sort(1, 1, where) == arrays.sort(1, 1, plain.arglist[1][2])
    finally:
        shared.close()
        shared.close()  # idempotent
    with pytest.raises(ValueError, match="unknown variant"):
        arrays.operands("numpy_sort", 1, 1, "pickle5")


def blas_found() -> bool:
    from threadpoolctl import threadpool_info

    return any(lib.get("user_api") == "blas" for lib in threadpool_info())


@pytest.mark.parametrize(
    ("model", "method"), [("threads", None), ("thread_pool", None), ("process_pool", "fork")]
)
def test_workers_run_with_one_blas_thread_and_say_so(model: str, method: str | None) -> None:
    if not blas_found():
        pytest.skip("this numpy links no BLAS that threadpoolctl sees")
    operands = arrays.operands("numpy_matmul", 16, 2)
    executor = open_executor(model, 2, method)
    try:
        facts = operands.worker_metadata(executor, hold_ms=20)
        seen = executor.run(arrays.blas_facts, [(20, i) for i in range(2)])
    finally:
        executor.close()
        operands.close()
    assert facts["blas_threads"] == arrays.BLAS_THREADS == 1
    assert {f["blas_threads"] for f in seen} == {1}
    assert facts["blas_library"] not in ("", "none found") and facts["blas_version"]
    # OPENBLAS_CORETYPE is read as the workers inherit it, never changed
    assert facts["openblas_coretype"] == (os.environ.get("OPENBLAS_CORETYPE") or "unset")


def test_a_missing_numpy_makes_the_array_workloads_unavailable(monkeypatch) -> None:
    assert not unavailable_workloads()  # numpy and threadpoolctl are installed here
    monkeypatch.setitem(sys.modules, "numpy", None)  # import numpy now raises ImportError
    missing = unavailable_workloads()
    # the array workloads, and the IPC object graphs (one of which is an array)
    # the array workloads, and the IPC object graphs (one of which is an array)
    assert set(missing) == {w for w in WORKLOADS if w.startswith("numpy_")} | {"echo_objects"} | {
        "echo_objects"
    }
    assert all("needs numpy" in r and "threads-or-processes[io]" in r for r in missing.values())


def test_the_interpreter_probe_reports_unavailable_workloads() -> None:
    info = interpreters.probe(interpreters.current()).info
    assert info["unavailable_workloads"] == {}


def test_the_runner_skips_an_unavailable_workload_with_its_reason(tmp_path: Path) -> None:
    python = interpreters.prepare(interpreters.current(), allow_install=False)
    reason = "needs numpy (pip install 'threads-or-processes[io]')"
    lacking = interpreters.Interpreter(
        python.argv, python.spec, {**python.info, "unavailable_workloads": {"numpy_sort": reason}}
    )
    good = Case("test", "count_primes", "t", 200, 2, "sequential", 1)
    sort = Case("test", "numpy_sort", "t", 1, 2, "thread_pool", 2)
    settings = runner.Settings(
        profile=Profile("test", "t", rounds=1, values=1, warmups=0, timeout_s=60, picks=()),
        cases=[good, sort],
        interpreters=[lacking],
        results=tmp_path,
        machine="m",
        seed=1,
    )
    outcome = runner.run(settings, Progress(0, stream=io.StringIO()))
    assert outcome.exit_code == exit_codes.OK
    (skipped,) = outcome.manifest.interpreters[0].skipped
    assert skipped == {"case": sort.name, "reason": f"numpy_sort: {reason}"}


def test_the_profiles_pick_the_array_cases_the_issue_asks_for() -> None:
    def names(profile: str) -> set[str]:
        return {c.name for c in catalogue.PROFILES[profile].cases() if c.family == "numpy"}

    quick, standard = names("quick"), names("standard")
    # quick: the copy claim on ufuncs (loop, thread pool, pickling and shared-memory pool)
    # and the thread-pool claim on the matrix product too.
    assert {
        "numpy_ufuncs[16MiB] sequential w=1",
        "numpy_ufuncs[16MiB] thread_pool w=2",
        "numpy_ufuncs[16MiB] process_pool/fork w=2",
        "numpy_ufuncs[16MiB] process_pool/fork w=2 shared_memory",
        "numpy_matmul[768x768] sequential w=1",
        "numpy_matmul[768x768] thread_pool w=2",
    } == quick
    for workload in ("numpy_matmul[768x768]", "numpy_ufuncs[16MiB]", "numpy_sort[4MiB]"):
        assert f"{workload} process_pool/fork w=2 shared_memory" in standard
        assert f"{workload} thread_pool w=2" in standard
    assert "numpy_python_loop[2MiB] thread_pool w=2" in standard
    assert quick <= standard and names("smoke")


@pytest.mark.slow
def test_one_array_case_end_to_end(tmp_path: Path) -> None:
    before = set(SHM_DIR.glob(f"{arrays.SHM_PREFIX}*"))  # any process's, the run's included
    out = subprocess.run(
        [sys.executable, "-m", "bench", "run", "--profile", "smoke", "--only", "numpy_ufuncs",
         "--results", str(tmp_path)],
        cwd=PROJECT_ROOT, capture_output=True, text=True, timeout=CHILD_RUN_S, check=False,
        env=interpreters.case_environment({}),
    )  # fmt: skip
    assert out.returncode == 0, out.stdout + out.stderr
    (run_dir,) = tmp_path.glob("*/*")
    manifest = json.loads((run_dir / layout.MANIFEST_NAME).read_text())
    (entry,) = manifest["interpreters"]
    check_file(run_dir / entry["file"])  # the reading boundary accepts the new keys
    suite = pyperf.BenchmarkSuite.load(str(run_dir / entry["file"]))
    (meta,) = [
        b.get_metadata() for b in suite.get_benchmarks() if "numpy" in b.get_metadata()["workload"]
    ]
    assert meta["workload"] == "numpy_ufuncs" and meta["variant"] == arrays.SHARED_MEMORY
    assert meta["blas_threads"] == 1 and meta["blas_library"]
    assert set(SHM_DIR.glob(f"{arrays.SHM_PREFIX}*")) <= before
