"""Everything the pages need from one results folder, computed once per build."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from bench.report import claims, figures
from bench.report.build import latest_runs, make_tables
from bench.report.load import load_results
from bench.site.sources import Source


@dataclass(frozen=True)
class SourceData:
    source: Source
    frame: pd.DataFrame  # every run of the folder
    latest: pd.DataFrame  # the newest run per machine and interpreter
    verdicts: pd.DataFrame
    figures: dict[str, figures.FigureInfo] = field(default_factory=dict)
    tables: dict[str, str] = field(default_factory=dict)

    @property
    def empty(self) -> bool:
        return self.frame.empty

    def newest_date(self) -> pd.Timestamp | None:
        """When the newest value shown was measured (UTC)."""
        if self.latest.empty or "date" not in self.latest:
            return None
        dates = pd.to_datetime(self.latest["date"], errors="coerce", utc=True).dropna()
        return dates.max() if not dates.empty else None


def load_source(source: Source, cache: Path) -> SourceData:
    """Load a results folder (a bad file raises ResultsError naming it) and draw its
    figures into ``cache/<source.key>/figures`` (redrawn only when their data changed).
    A missing or empty folder gives empty data, which the pages report as such."""
    frame = load_results(source.path) if source.path.is_dir() else pd.DataFrame()
    if frame.empty:
        return SourceData(source, frame, frame, claims.evaluate(frame))
    latest = latest_runs(frame)
    verdicts = claims.evaluate(latest)
    drawn = figures.render_all(latest, cache / source.key / "figures")
    return SourceData(
        source,
        frame,
        latest,
        verdicts,
        {info.name: info for info in drawn},
        make_tables(frame, latest, verdicts),
    )
