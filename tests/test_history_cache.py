"""The history cache: the same frame as load_results, each file parsed once."""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

import pandas as pd
import pytest

from bench.evidence.pipeline import latest_runs
from bench.history import cache
from bench.history.summary import run_summaries
from bench.results.read import ResultsError, load_results

ROOT = Path(__file__).parents[1]
sys.path.insert(0, str(ROOT / "scripts"))
from synth_history import synthesise  # noqa: E402

FIXTURE_RUN = ROOT / "tests/fixtures/results/fixture-machine/2026-11-25T08-30-24Z-smoke"


@pytest.fixture(scope="module")
def history(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("history")
    synthesise(FIXTURE_RUN, out, runs=4, seed=3)
    return out


def test_same_frame_as_load_results_cold_and_warm(
    history: Path, tmp_path: Path, counted: list[Path]
) -> None:
    expected = load_results(history)
    cold = cache.load_history(history, tmp_path / "cache")
    pd.testing.assert_frame_equal(cold, expected)
    files = len(counted)
    assert files == 4 * 5  # 4 runs of 5 files each, all parsed once
    warm = cache.load_history(history, tmp_path / "cache")
    pd.testing.assert_frame_equal(warm, expected)
    assert len(counted) == files  # nothing parsed again


def test_without_cache_every_file_is_parsed(history: Path, counted: list[Path]) -> None:
    pd.testing.assert_frame_equal(cache.load_history(history, None), load_results(history))
    cache.load_history(history, None)
    assert len(counted) == 2 * 20


def test_a_new_run_is_the_only_file_parsed(
    history: Path, tmp_path: Path, counted: list[Path]
) -> None:
    grown = tmp_path / "grown"
    shutil.copytree(history, grown)
    cache.load_summaries(grown, tmp_path / "cache")
    counted.clear()
    # a run a day before the others: a run id the history lacks, under its own name
    new = synthesise(FIXTURE_RUN, tmp_path / "more", runs=5, seed=9)[0]
    shutil.copytree(new, grown / "fixture-machine" / new.name)
    data = cache.load_site_data(grown, tmp_path / "cache")
    assert {p.parent.name for p in counted} == {new.name}
    assert data.parsed == 5


def test_summaries_and_latest_match_the_full_frame(history: Path, tmp_path: Path) -> None:
    full = load_results(history)
    pd.testing.assert_frame_equal(
        cache.load_summaries(history, tmp_path / "c"), run_summaries(full)
    )
    data = cache.load_site_data(history, tmp_path / "c")
    pd.testing.assert_frame_equal(data.latest, latest_runs(full).reset_index(drop=True))
    assert data.latest["run_id"].nunique() == 1
    assert data.files == 20 and data.parsed == 0


def test_summaries_hold_the_median_and_its_interval(history: Path) -> None:
    summaries = run_summaries(load_results(history))
    assert not summaries.duplicated(
        ["machine", "interpreter", "run_id", "benchmark", "metric"]
    ).any()
    assert (summaries["low"] <= summaries["median"]).all()
    assert (summaries["median"] <= summaries["high"]).all()
    assert set(summaries["unit"]) <= {"second", "byte", "count"}


def test_a_corrupt_file_fails_even_with_a_warm_cache(history: Path, tmp_path: Path) -> None:
    copy = tmp_path / "copy"
    shutil.copytree(history, copy)
    cache.load_history(copy, tmp_path / "cache")
    bad = next(copy.rglob("cpython-3.11.7.json"))
    bad.write_bytes(bad.read_bytes()[:500])
    with pytest.raises(ResultsError) as caught:
        cache.load_history(copy, tmp_path / "cache")
    assert caught.value.path == bad


def test_a_damaged_cache_entry_is_parsed_again(
    history: Path, tmp_path: Path, counted: list[Path]
) -> None:
    cache.load_history(history, tmp_path / "cache")
    for entry in (tmp_path / "cache").rglob("*.rows.json"):
        entry.write_bytes(b"garbage")
    counted.clear()
    pd.testing.assert_frame_equal(
        cache.load_history(history, tmp_path / "cache"), load_results(history)
    )
    assert len(counted) == 20


def test_parallel_cold_parse_gives_the_same_data(history: Path, tmp_path: Path) -> None:
    data = cache.load_site_data(history, tmp_path / "cache", jobs=2)
    assert (data.parsed, data.cached) == (20, 4)  # the newest run's rows come from the cache
    pd.testing.assert_frame_equal(data.summaries, cache.load_summaries(history, None))
    again = cache.load_site_data(history, tmp_path / "cache", jobs=2)
    assert (again.parsed, again.cached) == (0, 20 + 4)  # + the newest run's rows
