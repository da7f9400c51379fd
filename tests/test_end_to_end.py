"""The whole path: ``python -m bench run --profile smoke``, loaded back with pyperf's own API."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pyperf
import pytest
from helpers_interpreters import FREE_THREADED, require
from helpers_waiting import CHILD_RUN_S

from bench import capacity
from bench.cases import Case
from bench.environment import PROJECT_ROOT as ROOT
from bench.families import catalogue
from bench.families.ipc.metrics import ipc_throughput
from bench.families.memory.metrics import memory_per_worker
from bench.interpreters import case_environment
from bench.report.capacity import round_capacity
from bench.report.metrics import paired_speedups
from bench.results import layout, schema
from bench.results.read import load_run

pytestmark = pytest.mark.slow

#: Metadata every benchmark must carry (pyperf's own keys, then ours).
REQUIRED = {
    "cpu_model_name",
    "cpu_count",
    "platform",
    "python_version",
    "python_implementation",
    "python_executable",
    "date",
    "python_build",
    "python_options",
    "gil_enabled",
    "worker_cpu_affinity",
    "worker_cpu_count",
    "worker_processes",
    "bench_schema_version",
    "profile",
    "git_commit",
    "run_id",
    "machine",
    "round",
    "interpreter",
    "family",
    "workload",
    "group",
    "size",
    "size_label",
    "tasks",
    "model",
    "start_method",
    "workers",
    "timed",
}


def bench(*args: str, timeout: float = CHILD_RUN_S) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "bench", *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        env=case_environment({}),
        check=False,
    )


def only_run(results: Path) -> Path:
    (run_dir,) = results.glob("*/*")
    return run_dir


def test_list_prints_the_matrix() -> None:
    out = bench("list", "--profile", "smoke")
    assert out.returncode == 0, out.stderr
    for case in catalogue.PROFILES["smoke"].cases():
        assert case.name in out.stdout
    assert "left out on purpose" in out.stdout


def case_from_metadata(meta: dict) -> Case:
    """Rebuild the case from the params recorded as metadata: nothing parsed from a name."""
    return Case(
        family=meta["family"],
        workload=meta["workload"],
        size_label=meta["size_label"],
        size=meta["size"],
        tasks=meta["tasks"],
        model=meta["model"],
        workers=meta["workers"],
        start_method=None if meta["start_method"] == "n/a" else meta["start_method"],
        timed=meta["timed"],
        measure=meta["measure"],
        variant="" if meta["variant"] == "none" else meta["variant"],
        payload=meta["payload_bytes"],
        chunksize=meta["chunksize"],
    )


def assert_capacity_probed(frame: pd.DataFrame) -> None:
    """The parallel capacity: probed as the round opens and right before each CPU group."""
    probes = frame[frame["family"] == capacity.FAMILY]
    smoke_cases = catalogue.PROFILES["smoke"].cases()
    cpu_groups = {c.group for c in smoke_cases if c.family in catalogue.NEEDS_CORES}
    assert set(probes["variant"]) == {capacity.ROUND_START, *(f"before {g}" for g in cpu_groups)}
    assert probes["metric"].str.fullmatch(r"cores_with_\d+_processes").all()
    assert (probes["unit"] == "ratio").all()
    assert list(round_capacity(frame)["round"]) == [1]


def assert_measured_or_skipped(seen: set[str], skipped: list[dict[str, str]]) -> None:
    """Every smoke case was measured, or skipped with a reason (subinterpreters before
    3.12), never both."""
    reasons = {s["case"]: s["reason"] for s in skipped}
    assert all(reasons.values())
    assert seen | set(reasons) == {c.name for c in catalogue.PROFILES["smoke"].cases()}
    assert not seen & set(reasons)


def test_smoke_run_end_to_end(tmp_path: Path) -> None:
    out = bench("run", "--profile", "smoke", "--results", str(tmp_path))
    assert out.returncode == 0, out.stderr
    assert "left]" in out.stderr  # progress with an estimate of the time left
    run_dir = only_run(tmp_path)
    manifest = json.loads((run_dir / layout.MANIFEST_NAME).read_text())
    assert manifest["status"] == "complete" and manifest["schema_version"] == schema.SCHEMA_VERSION
    (entry,) = manifest["interpreters"]
    suite = pyperf.BenchmarkSuite.load(str(run_dir / entry["file"]))
    outcomes = json.loads((run_dir / entry["outcomes_file"]).read_text())
    assert outcomes["kind"] == schema.OUTCOMES_KIND
    assert outcomes["schema_version"] == schema.SCHEMA_VERSION

    seen: set[str] = set()
    measured = [
        (b.get_name(), b.get_metadata() | b.get_runs()[0].get_metadata())
        for b in suite.get_benchmarks()
    ] + [(r["benchmark"], r["metadata"]) for r in outcomes["records"]]
    for name, meta in measured:
        # per-run values (date, round) live in each run; the rest is common to the benchmark
        assert set(meta) >= REQUIRED, (name, REQUIRED - set(meta))
        assert meta["gil_enabled"] == "enabled"  # every interpreter here has a GIL
        assert meta["profile"] == "smoke" and meta["bench_schema_version"] == schema.SCHEMA_VERSION
        # The schema is the home of every key written: none escapes its registry.
        unknown = {k for k in meta if k not in schema.METADATA and not k.startswith("param_")}
        assert not unknown, (name, unknown)
        assert len(meta[schema.DEFINITION_HASH_KEY]) == 16
        case = case_from_metadata(meta)
        if case.measure == "batch" or hasattr(catalogue.measure_module(case.measure), "open_timer"):
            assert name == case.name  # timed by pyperf: one benchmark
        else:  # one benchmark per metric of the measurement
            assert name == f"{case.name} {meta['metric']}"
        seen.add(case.name)
    assert_measured_or_skipped(seen, entry["skipped"])
    assert all(v > 0 for b in suite.get_benchmarks() for v in b.get_values())
    # worker processes were really used by the process models
    pool = suite.get_benchmark("count_primes[1ms] process_pool/fork w=2").get_metadata()
    assert pool["worker_processes"] == 2 and pool["workers"] == 2
    # the tidy loader reads everything back, counts and flags included
    frame = load_run(run_dir)
    assert set(frame["benchmark"]) == {name for name, _ in measured}
    assert frame["metric"].notna().all() and frame["round"].eq(1).all()
    assert not paired_speedups(frame).empty and not ipc_throughput(frame).empty
    assert_capacity_probed(frame)
    assert (memory_per_worker(frame)["bytes_per_worker"] > 0).any()
    # pyperf's own tools read the file
    for tool in (["stats"], ["compare_to", "--table"]):
        path = str(run_dir / entry["file"])
        args = [*tool, path] + ([path] if tool[0] == "compare_to" else [])
        checked = subprocess.run(
            [sys.executable, "-m", "pyperf", *args], capture_output=True, text=True, check=False
        )
        assert checked.returncode == 0, checked.stderr
    # and the site builds from it, strictly, with the run's verdicts on the home page
    site = tmp_path.parent / f"{tmp_path.name}-site"
    env = case_environment({}) | {
        "BENCH_RESULTS": f"Smoke={tmp_path}",
        "BENCH_SITE_CACHE": str(tmp_path.parent / "site-cache"),
        "BENCH_STALE_DAYS": "0",  # any age is too old: every page must say so
    }
    built = subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--strict", "-d", str(site)],
        capture_output=True, text=True, env=env, cwd=ROOT, timeout=CHILD_RUN_S, check=False,
    )  # fmt: skip
    assert built.returncode == 0, built.stderr
    home = (site / "index.html").read_text(encoding="utf-8")
    assert "smoke" in home and "Smoke" in home and "No results" not in home
    # the article's example, as this run recorded it (the build runs nothing)
    threading = (site / "guide" / "threading" / "index.html").read_text(encoding="utf-8")
    assert "Worker 4" in threading and f"Recorded by run {run_dir.name}" in threading
    for page in site.rglob("index.html"):
        assert "stale-notice" in page.read_text(encoding="utf-8"), page


def test_capacity_is_probed_in_every_round_for_every_interpreter(tmp_path: Path) -> None:
    only = r"^count_primes\[1ms\] threads "
    out = bench("run", "--profile", "smoke", "--only", only, "--rounds", "3",
                "--results", str(tmp_path))  # fmt: skip
    assert out.returncode == 0, out.stderr
    frame = load_run(only_run(tmp_path))
    probes = frame[frame["family"] == capacity.FAMILY]
    group = "cpu_python:count_primes[1ms]"
    for variant in (capacity.ROUND_START, f"before {group}"):
        assert set(probes.loc[probes["variant"] == variant, "round"]) == {1, 2, 3}
    found = round_capacity(frame)
    assert list(found["round"]) == [1, 2, 3]
    assert (found["capacity"] > 0).all()
    assert set(found["interpreter"]) == set(frame["interpreter"].dropna())
    assert "capacity " in out.stderr and "round(s) unusually low" in out.stderr  # the run summary


def test_no_matching_case_is_a_usage_error(tmp_path: Path) -> None:
    out = bench("run", "--profile", "smoke", "--only", "no-such-case", "--results", str(tmp_path))
    assert out.returncode == 2 and "no case" in out.stderr


def test_missing_interpreter_is_named(tmp_path: Path) -> None:
    out = bench(
        "run", "--profile", "smoke", "--python", "/no/such/python", "--results", str(tmp_path)
    )
    assert out.returncode == 2 and "/no/such/python" in out.stderr


def test_free_threaded_records_the_gil_state_seen_by_the_workers(tmp_path: Path) -> None:
    python = str(require(FREE_THREADED))
    only = r"count_primes\[1ms\] (threads|process_pool/spawn) w=2"
    out = bench(
        "run",
        "--profile",
        "smoke",
        "--only",
        only,
        "--results",
        str(tmp_path),
        "--python",
        python,
        "--python",
        f"{python} -X gil=1",
    )
    assert out.returncode == 0, out.stderr
    run_dir = only_run(tmp_path)
    manifest = json.loads((run_dir / layout.MANIFEST_NAME).read_text())
    states = {}
    for entry in manifest["interpreters"]:
        assert entry["info"]["free_threaded_build"] is True
        suite = pyperf.BenchmarkSuite.load(str(run_dir / entry["file"]))
        assert len(suite.get_benchmarks()) == 2
        for benchmark in suite.get_benchmarks():
            meta = benchmark.get_metadata()
            assert meta["python_build"] == "free-threading"
            states.setdefault(entry["spec"], set()).add(meta["gil_enabled"])
    assert states == {python: {"disabled"}, f"{python} -X gil=1": {"enabled"}}


def test_validate_lists_every_bad_file_and_fails(tmp_path: Path) -> None:
    good = Path(__file__).parent / "fixtures" / "results"
    assert bench("validate", str(good)).returncode == 0
    run_dir = tmp_path / "machine" / "run"
    run_dir.mkdir(parents=True)
    (run_dir / "run.json").write_text('{"kind": "threads-or-processes/run", "sche')
    (run_dir / "cpython-3.11.json").write_text('{"hello": "world"}')
    out = bench("validate", str(tmp_path))
    assert out.returncode == 1
    assert "run.json" in out.stderr and "cpython-3.11.json" in out.stderr
