"""Trend charts and the table of changes."""

from __future__ import annotations

import re
import shutil
import sys
from pathlib import Path

import pandas as pd
import pytest

from bench.history import trends
from bench.history.cache import load_summaries
from bench.history.record import record_run
from bench.history.regress import detect_changes
from bench.report import tables
from bench.results.read import load_results

ROOT = Path(__file__).parents[1]
sys.path.insert(0, str(ROOT / "scripts"))
from synth_history import synthesise  # noqa: E402

FIXTURE_RUN = ROOT / "tests/fixtures/results/fixture-machine/2026-11-25T08-30-24Z-smoke"


@pytest.fixture(scope="module")
def two_runs(tmp_path_factory: pytest.TempPathFactory) -> pd.DataFrame:
    """Two recorded runs (as two nights of scripts/nightly.sh would leave)."""
    base = tmp_path_factory.mktemp("two")
    synthesise(FIXTURE_RUN, base / "results", runs=2, seed=5)
    history = base / "history"
    for run in sorted((base / "results" / "fixture-machine").iterdir()):
        record_run(run, history)
    return load_summaries(history, base / "cache")


def test_trend_keys_choose_what_the_data_holds(two_runs: pd.DataFrame) -> None:
    keys = {k.name: k for k in trends.trend_keys(two_runs)}
    # the smoke fixture has no count_primes[100ms]; start-up, IPC and memory it has
    assert set(keys) == {"trend-startup", "trend-ipc", "trend-memory"}
    assert [p[1] for p in keys["trend-startup"].panels] == [
        "noop[1 task/worker] threads w=1",
        "noop[1 task/worker] processes/fork w=1",
    ]
    assert trends.trend_keys(two_runs.iloc[0:0]) == []


def test_two_runs_give_two_points_per_series(two_runs: pd.DataFrame, tmp_path: Path) -> None:
    infos = trends.render_trends(two_runs, tmp_path)
    assert [i.name for i in infos] == ["trend-startup", "trend-ipc", "trend-memory"]
    key = next(k for k in trends.trend_keys(two_runs) if k.name == "trend-startup")
    rows = trends.select_trend(two_runs, key)
    per_line = rows.groupby(["machine", "interpreter", "benchmark"]).size()
    assert (per_line == 2).all() and len(per_line) == 2 * 2  # 2 interpreters x 2 panels
    made = trends.make_trend(rows, key)
    assert made is not None
    fig, alt = made
    for ax in fig.axes:
        lines = [ln for ln in ax.get_lines() if not ln.get_label().startswith("_")]
        assert len(lines) == 2  # one per interpreter
        assert all(len(ln.get_xdata()) == 2 for ln in lines)
    assert "cpython-3.11.7" in alt and "2 run(s)" in alt
    svg = (tmp_path / "trend-startup.svg").read_text(encoding="utf-8")
    assert svg.startswith("<?xml") and "<dc:date>" not in svg


def test_trends_are_cached_and_deterministic(two_runs: pd.DataFrame, tmp_path: Path) -> None:
    first = trends.render_trends(two_runs, tmp_path / "a")
    svg = first[0].path
    stamp = svg.stat().st_mtime_ns
    before = svg.read_bytes()
    again = trends.render_trends(two_runs, tmp_path / "a")
    assert svg.stat().st_mtime_ns == stamp  # not redrawn
    assert [i.alt for i in again] == [i.alt for i in first]
    other = trends.render_trends(two_runs, tmp_path / "b")
    assert other[0].path.read_bytes() == before  # same data, same bytes


def test_stale_trend_is_removed(two_runs: pd.DataFrame, tmp_path: Path) -> None:
    trends.render_trends(two_runs, tmp_path)
    no_ipc = two_runs[~two_runs["benchmark"].str.startswith("echo[")]
    infos = trends.render_trends(no_ipc, tmp_path)
    assert "trend-ipc" not in [i.name for i in infos]
    assert not (tmp_path / "trend-ipc.svg").exists()


def test_changes_table(tmp_path: Path) -> None:
    history = tmp_path / "history"
    synthesise(FIXTURE_RUN, history, runs=8, seed=2, step=r"^echo\[64B\] mp\.Pipe/fork w=1$")
    changes = detect_changes(load_summaries(history))
    table = trends.changes_table(changes)
    assert table != tables.NO_DATA
    lines = table.splitlines()
    assert lines[0].startswith("| machine | interpreter | benchmark |")
    assert len(lines) == 4  # both interpreters, nothing else
    assert all("mp.Pipe/fork w=1" in line for line in lines[2:])
    assert re.search(r"slower", table)
    quiet = changes.assign(significant=False)
    assert trends.changes_table(quiet) == tables.NO_DATA
    assert trends.changes_table(quiet, significant_only=False).count("\n") == len(changes) + 2


def test_record_then_load_keeps_rows(tmp_path: Path) -> None:
    run = tmp_path / "r" / "fixture-machine" / FIXTURE_RUN.name
    shutil.copytree(FIXTURE_RUN, run)
    record_run(run, tmp_path / "h")
    assert len(load_results(tmp_path / "h")) == len(load_results(FIXTURE_RUN))


def test_cli_history(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from bench.__main__ import main

    history = tmp_path / "history"
    synthesise(FIXTURE_RUN, history, runs=5, seed=4, step=r"^echo\[64B\] mp\.Pipe/fork w=1$")
    cache = ["--cache", str(tmp_path / "cache")]
    assert main(["history", "--history", str(history), *cache]) == 0
    out = capsys.readouterr().out
    assert "mp.Pipe/fork w=1" in out and "10 run(s) (per interpreter) of 2 series" in out
    assert any((tmp_path / "cache").rglob("*.json")) and not (history / ".cache").exists()
    bad = next(history.rglob("cpython-3.11.7.outcomes.json"))
    bad.write_text("[]", encoding="utf-8")
    assert main(["history", "--history", str(history), *cache]) == 1
    assert bad.name in capsys.readouterr().err


def test_a_changed_definition_breaks_the_trend_line(two_runs: pd.DataFrame) -> None:
    # Same name, new definition in the second run: two segments and a marked break,
    # never one line joining two different benchmarks.
    key = next(k for k in trends.trend_keys(two_runs) if k.name == "trend-startup")
    rows = trends.select_trend(two_runs, key).copy()
    second = rows["run_id"] == rows["run_id"].max()
    rows.loc[second, "definition_hash"] = "0000000000000000"
    made = trends.make_trend(rows, key)
    assert made is not None
    fig, alt = made
    for ax in fig.axes:
        spans = [len(set(ln.get_xdata())) for ln in ax.get_lines()]
        assert spans and max(spans) == 1  # no line joins the two runs
        breaks = [ln for ln in ax.get_lines() if len(ln.get_xdata()) == 2]  # the axvlines
        assert len(breaks) == 2  # one per interpreter
    assert "its definition changed 1 time(s)" in alt
