"""Any machine (issue 21): worker counts, batches and probes follow the cores the run plans
for, and the report keeps what a 16-core machine measured."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest
from helpers_waiting import CHILD_RUN_S

from bench.capacity import FAMILY as CAPACITY_FAMILY
from bench.cases import FEW, SCALING, counts_for, powers_of_two_up_to, usable_cores
from bench.families.catalogue import FAMILIES, PROFILES
from bench.interpreters import case_environment
from bench.report.format import format_interval, format_percent, format_ratio

ROOT = Path(__file__).resolve().parent.parent
#: Results a 16-core machine measured (../shared/data/device-16core/README.md).
SIXTEEN_CORES = ROOT.parent / "shared" / "data" / "device-16core"
NEEDS_CORES = {f.family for f in FAMILIES.values() if f.needs_cores}


def cpu_counts(profile: str, cores: int) -> set[int]:
    return {c.workers for c in PROFILES[profile].cases(cores) if c.family == "cpu_python"}


@pytest.mark.parametrize("profile", ["quick", "standard"])
def test_a_16_core_plan_reaches_16_workers_and_a_2_core_plan_stops_at_4(profile: str) -> None:
    assert 16 in cpu_counts(profile, 16)
    assert max(cpu_counts(profile, 16)) == 32  # one oversubscribed count: twice the cores
    assert max(cpu_counts(profile, 2)) == 4


def test_the_counts_are_stated_relative_to_the_cores() -> None:
    assert powers_of_two_up_to(12) == (1, 2, 4, 8)
    assert counts_for(SCALING, 12) == (1, 2, 4, 8, 12, 24)  # the cores, where no power of 2
    assert counts_for(SCALING, 2) == (1, 2, 4)
    assert counts_for(FEW, 16) == (1, 8, 16, 32)  # quick: fewer points on any machine
    assert counts_for(FEW, 1) == (1, 2)
    assert counts_for((4, 16), 64) == (4, 16)  # a count given as a number stays one


@pytest.mark.parametrize("cores", [1, 2, 3, 16, 64])
@pytest.mark.parametrize("profile", ["smoke", "quick", "standard"])
def test_every_batch_that_needs_cores_covers_twice_its_most_workers(
    profile: str, cores: int
) -> None:
    cases = [c for c in PROFILES[profile].cases(cores) if c.family in NEEDS_CORES]
    assert cases
    most: dict[str, int] = {}
    for case in cases:
        most[case.family] = max(most.get(case.family, 1), case.workers)
    for case in cases:
        assert case.tasks >= case.workers, case.name
        tasks = {c.tasks for c in cases if c.group == case.group}
        assert len(tasks) == 1, case.group  # the loop's batch is the same work
    for case in cases:
        if case.family in ("cpu_python", "cpu_c"):
            assert case.tasks >= 2 * most[case.family], case.name


def test_the_probe_spins_as_many_processes_as_the_plan_has_cores() -> None:
    for cores in (2, 16):
        probes = [c for c in PROFILES["standard"].cases(cores) if c.family == CAPACITY_FAMILY]
        assert {c.workers for c in probes} == {cores}


def test_the_plan_says_what_it_was_made_for() -> None:
    plan = PROFILES["quick"].plan(16, "--cores 16")
    assert plan["cores"] == 16 and plan["cores_from"] == "--cores 16"
    assert plan["relative_counts"]["twice the cores"] == [32]
    assert plan["worker_counts"]["count_primes"] == [1, 8, 16, 32]
    assert plan["batch_tasks"]["cpu_python:count_primes[100ms]"] == 64
    json.dumps(plan)  # the manifest holds it as is


def bench(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "bench", *args], capture_output=True, text=True,
        env=case_environment({}), timeout=CHILD_RUN_S, check=False,
    )  # fmt: skip


def test_list_plans_for_the_cores_it_is_given() -> None:
    done = bench("list", "--profile", "quick", "--cores", "16", "--only", r"^count_primes\[100ms\]")
    assert done.returncode == 0, done.stderr
    assert "planned for 16 core(s): --cores 16" in done.stdout
    assert "count_primes[100ms] process_pool/fork w=32" in done.stdout


def test_run_refuses_more_cores_than_the_process_may_use(tmp_path: Path) -> None:
    too_many = str(usable_cores() + 1)
    done = bench("run", "--profile", "smoke", "--cores", too_many, "--results", str(tmp_path))
    assert done.returncode == 2
    assert f"--cores {too_many}" in done.stderr and "Traceback" not in done.stderr


@pytest.mark.slow
def test_a_run_records_its_plan_in_the_manifest(tmp_path: Path) -> None:
    done = bench("run", "--profile", "smoke", "--cores", "1", "--only", r"^echo\[64B\] memcpy ",
                 "--results", str(tmp_path), "--no-install")  # fmt: skip
    assert done.returncode == 0, done.stderr
    (manifest,) = tmp_path.glob("*/*/run.json")
    plan = json.loads(manifest.read_text(encoding="utf-8"))["plan"]
    assert plan["cores"] == 1 and plan["cores_from"] == "--cores 1"
    assert "worker_counts" in plan and "relative_counts" in plan


# --- what a 16-core machine measured ---------------------------------------------------------


def scaling_numbers(report: Path) -> pd.DataFrame:
    """The numbers behind the report's scaling chart of the 100 ms task ("n/a" is text)."""
    csv = report / "figures" / "scaling-cpu-python-count-primes-100ms.csv"
    return pd.read_csv(csv, keep_default_na=False, na_values=[""])


@pytest.fixture(scope="module")
def sixteen_core_report(tmp_path_factory: pytest.TempPathFactory) -> Path:
    if not SIXTEEN_CORES.is_dir():
        pytest.skip(f"no {SIXTEEN_CORES} here (the shared folder beside the checkout)")
    out = tmp_path_factory.mktemp("report-16")
    done = bench("report", "--results", str(SIXTEEN_CORES), "--out", str(out))
    assert done.returncode == 0, done.stderr
    return out


def test_the_report_keeps_the_8_and_16_worker_points_of_a_16_core_machine(
    sixteen_core_report: Path,
) -> None:
    numbers = scaling_numbers(sixteen_core_report)
    kept = numbers[(numbers["rounds"] >= 2) & (numbers["dropped"] == 0)]

    def at(interpreter: str, model: str, method: str) -> set[int]:
        rows = kept[(kept["interpreter"] == interpreter) & (kept["model"] == model)
                    & (kept["start_method"] == method)]  # fmt: skip
        return set(rows["workers"].astype(int))

    for interpreter in ("cpython-3.12.3", "cpython-3.13.5t"):
        assert {8, 16} <= at(interpreter, "process_pool", "fork"), interpreter
    assert {8, 16} <= at("cpython-3.13.5t", "thread_pool", "n/a")
    # the free-threaded thread pool scales past 8; the GIL's does not
    pool = numbers.set_index(["interpreter", "model", "workers"])["speedup"]
    assert pool[("cpython-3.13.5t", "thread_pool", 16)] > 8
    assert pool[("cpython-3.12.3", "thread_pool", 16)] < 1.2


def test_a_figures_numbers_are_its_verdicts_and_its_tables(sixteen_core_report: Path) -> None:
    """One estimator: the chart's CSV, the speedup table and the verdict give one number."""
    numbers = scaling_numbers(sixteen_core_report)
    claims = pd.read_csv(sixteen_core_report / "claims.csv", keep_default_na=False)
    row = claims[(claims["claim_id"] == "processes_sidestep_gil")
                 & (claims["interpreter"] == "cpython-3.13.5t")].iloc[0]  # fmt: skip
    figures = json.loads(row["figures"])
    method = figures["config"].split("/")[-1]
    drawn = numbers[(numbers["interpreter"] == "cpython-3.13.5t")
                    & (numbers["model"] == "process_pool") & (numbers["start_method"] == method)
                    & (numbers["workers"] == figures["workers"])].iloc[0]  # fmt: skip
    # the verdict's figures keep four significant digits
    assert drawn["speedup"] == pytest.approx(figures["speedup"], rel=1e-3)
    assert [drawn["low"], drawn["high"]] == pytest.approx(figures["interval"], rel=1e-3)
    table = (sixteen_core_report / "tables" / "speedups.md").read_text(encoding="utf-8")
    shown = f"{format_ratio(drawn['speedup'])} ({format_interval(drawn['low'], drawn['high'])})"
    (line,) = [
        ln
        for ln in table.splitlines()
        if "cpython-3.13.5t" in ln and f"process_pool/{method} w={figures['workers']} " in ln
    ]
    assert f"| {shown} |" in line
    assert format_percent(drawn["efficiency"]) in line if pd.notna(drawn["efficiency"]) else True
