"""One evidence pipeline: ``bench report`` and the site get the same verdicts and tables."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from bench.evidence import pipeline
from bench.evidence.build import build_report
from bench.report import tables
from bench.results.read import load_results
from bench.site import data as site_data
from bench.site.sources import Source

FIXTURE = Path(__file__).parent / "fixtures" / "results"


def test_an_empty_frame_gives_no_figure_and_tables_that_say_so(tmp_path: Path) -> None:
    for frame in (pd.DataFrame(), load_results(tmp_path)):
        found = pipeline.evidence(frame, tmp_path / "figures")
        assert found.figures == []
        assert not (tmp_path / "figures").exists()
        assert set(found.tables) == {"claims", "environment", "capacity", "speedups", "timings",
                                     "memory", "ipc", "outcomes", "pitfalls", "cpu_limits",
                                     "copy_on_write", "free_threading_by_series",
                                     "http_in_flight", "lock_cost", "start_methods",
                                     "map_buffer", "ipc_objects", "convoy"}  # fmt: skip
        assert set(found.tables.values()) == {tables.NO_DATA}
        assert found.verdicts.empty


def test_the_report_and_the_site_share_the_pipeline(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    calls: list[Path] = []
    real = pipeline.evidence

    def counted(frame: pd.DataFrame, figure_dir: Path) -> pipeline.Evidence:
        calls.append(figure_dir)
        return real(frame, figure_dir)

    monkeypatch.setattr(site_data, "evidence", counted)
    monkeypatch.setattr("bench.evidence.build.evidence", counted)
    report = build_report(FIXTURE, tmp_path / "report")
    site = site_data.load_source(Source("fixture", "Fixture", FIXTURE), tmp_path / "cache")
    assert calls == [tmp_path / "report" / "figures", tmp_path / "cache" / "fixture" / "figures"]
    pd.testing.assert_frame_equal(
        report.verdicts.reset_index(drop=True), site.verdicts.reset_index(drop=True)
    )
    assert report.tables == site.tables  # the fixture has one run: the environments agree
    assert {i.name for i in report.figures} <= set(site.figures)
