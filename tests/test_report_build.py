"""``python -m bench report`` end to end on the committed smoke fixture."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from bench.evidence.build import build_report
from bench.evidence.pipeline import latest_runs
from bench.interpreters import case_environment
from bench.report.claims import INCONCLUSIVE, VERDICTS
from bench.report.markdown import inert
from bench.results.read import ResultsError

FIXTURE = Path(__file__).parent / "fixtures" / "results"


@pytest.fixture(scope="module")
def report(tmp_path_factory: pytest.TempPathFactory):
    return build_report(FIXTURE, tmp_path_factory.mktemp("report"))


def test_the_folder_holds_everything(report) -> None:
    out = report.out
    tidy = pd.read_csv(out / "tidy.csv")
    assert len(tidy) == report.rows > 0
    assert {"metric", "unit", "value", "time_s", "round", "interpreter"} <= set(tidy.columns)
    verdicts = pd.read_csv(out / "claims.csv")
    assert set(verdicts["verdict"]) <= set(VERDICTS)
    assert verdicts["interpreter"].nunique() == 2  # 3.11 and 3.13t
    for name in ("claims", "environment", "speedups", "timings", "memory", "ipc", "outcomes"):
        assert (out / "tables" / f"{name}.md").read_text().startswith("|"), name
    index = (out / "index.md").read_text()
    for info in report.figures:
        assert info.path.exists() and info.alt
        assert f"![{inert(info.alt)}](figures/{info.path.name})" in index
    assert "## Claims" in index and "## Environment" in index


def test_one_round_is_too_little_data_to_decide(report) -> None:
    # The smoke fixture measured one round: no interval, so no timed claim can hold or
    # fail, whatever its point value, and the verdict says why.
    gil = report.verdicts[report.verdicts["claim_id"] == "gil_limits_threads"]
    assert set(gil["verdict"]) == {INCONCLUSIVE}
    assert all("n=1" in text or "too little" in text for text in gil["evidence"])


def test_a_second_build_reuses_the_figures(report) -> None:
    before = {i.path: i.path.stat().st_mtime_ns for i in report.figures}
    again = build_report(FIXTURE, report.out)
    assert {i.path: i.path.stat().st_mtime_ns for i in again.figures} == before


def test_only_the_newest_run_per_machine_and_interpreter_is_described() -> None:
    frame = pd.DataFrame({
        "machine": ["m", "m", "m", "n"], "interpreter": ["a", "a", "b", "a"],
        "run_id": ["2026-01-01", "2026-02-01", "2026-01-01", "2025-12-01"], "value": [1, 2, 3, 4],
    })  # fmt: skip
    assert latest_runs(frame)["value"].tolist() == [2, 3, 4]


def test_a_bad_file_stops_the_report_with_its_name(tmp_path: Path) -> None:
    results = tmp_path / "results"
    shutil.copytree(FIXTURE, results)
    (bad,) = list(results.glob("*/*/cpython-3.11.7.json"))
    bad.write_text(bad.read_text()[:100])
    with pytest.raises(ResultsError, match=r"cpython-3\.11\.7\.json"):
        build_report(results, tmp_path / "out")
    out = subprocess.run(
        [sys.executable, "-m", "bench", "report", "--results", str(results), "--out",
         str(tmp_path / "out")],
        capture_output=True, text=True, env=case_environment({}), check=False,
    )  # fmt: skip
    assert out.returncode == 1 and "cpython-3.11.7.json" in out.stderr


def test_no_results_gives_an_empty_report_not_a_crash(tmp_path: Path) -> None:
    (tmp_path / "results").mkdir()
    report = build_report(tmp_path / "results", tmp_path / "out")
    assert report.rows == 0 and report.figures == []
    assert "No data" in (tmp_path / "out" / "index.md").read_text()
