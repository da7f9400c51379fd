"""Everything the pages need from one results folder, computed once per build.

A folder may hold one run or a year of nightly runs: only the newest run of each
machine and interpreter is loaded in full (for verdicts, figures and tables); every
run is read as a per-benchmark summary (for trends and the change detector), and
both come from a cache that parses only files it has not seen.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field, replace
from pathlib import Path

import pandas as pd

from bench.evidence import cache as evidence_cache
from bench.evidence.pipeline import (
    Evidence,
    all_verdicts,
    draw,
    evidence,
    with_family_traits,
)
from bench.history.cache import load_site_data
from bench.history.regress import detect_changes
from bench.history.trends import render_trends
from bench.report.figures.cache import FigureInfo
from bench.report.select import interpreter_label
from bench.report.skipped import Skipped
from bench.results.layout import run_start
from bench.site.sources import Source, slug


@dataclass(frozen=True)
class SourceData:
    source: Source
    latest: pd.DataFrame  # full rows of the newest run per machine and interpreter
    summaries: pd.DataFrame  # one row per run and benchmark, every run
    verdicts: pd.DataFrame
    figures: dict[str, FigureInfo] = field(default_factory=dict)  # trends included
    tables: dict[str, str] = field(default_factory=dict)
    changes: pd.DataFrame = field(default_factory=pd.DataFrame)
    skipped: list[Skipped] = field(default_factory=list)  # not made from these results
    #: Interpreter labels already worked out (each one scans every row).
    labels: dict[str, str] = field(default_factory=dict, repr=False, compare=False)

    @property
    def empty(self) -> bool:
        return self.latest.empty

    def label(self, interpreter: str) -> str:
        """``interpreter`` with the GIL state its workers saw (``select.interpreter_label``)."""
        if interpreter not in self.labels:
            self.labels[interpreter] = interpreter_label(self.latest, interpreter)
        return self.labels[interpreter]

    def newest_date(self) -> pd.Timestamp | None:
        """When the newest run shown started (UTC), as its run id spells it: the boundary
        holds that to the run's recorded start and to the past, so no file can move it."""
        newest = run_starts(self.latest["run_id"]).max() if not self.latest.empty else None
        return None if pd.isna(newest) else newest


def run_starts(run_ids: pd.Series) -> pd.Series:
    """When each run of ``run_ids`` started (UTC; NaT for a name that spells no start)."""
    starts = {run: run_start(run) for run in run_ids.dropna().astype(str).unique()}
    return pd.to_datetime(run_ids.astype(str).map(starts), utc=True)


#: Results files a spawned parser must have to pay for its start (it imports pandas and
#: pyperf, about a second): below that, one process parses a cold cache sooner.
FILES_PER_PARSER = 16


def parsers(results: Path) -> int:
    """How many processes parse the results files under ``results`` into a cold cache."""
    files = sum(1 for _ in results.glob("*/*/*.json"))
    return max(1, min(os.cpu_count() or 1, files // FILES_PER_PARSER))


def source_evidence(latest: pd.DataFrame, folder: Path) -> Evidence:
    """The evidence of ``latest`` (the newest runs only), figures drawn into
    ``folder/figures``; verdicts and tables judged from the same rows by the same code in
    an earlier build are read from ``folder/evidence`` (``evidence_cache``), and those
    judged now are kept there."""
    key = evidence_cache.entry_key(latest)
    if (cached := evidence_cache.load(folder / "evidence", key)) is not None:
        verdicts, tables, not_made = cached
        drawn = draw(with_family_traits(latest), folder / "figures")
        return Evidence(latest, verdicts, drawn.figures, tables, [*drawn.skipped, *not_made])
    found = evidence(latest, folder / "figures")
    not_made = [why for why in found.skipped if why.kind != "figure"]  # figures: redrawn
    evidence_cache.store(folder / "evidence", key, found.verdicts, found.tables, not_made)
    return found


def machine_in_words(frame: pd.DataFrame) -> str:
    """``16-core Intel Xeon Platinum 8480C``: the machine a frame was measured on, as a
    reader names it (its logical cores and its CPU's name, without the marks)."""
    cores = pd.to_numeric(frame.get("cpu_count"), errors="coerce").dropna()
    names = frame["cpu_model_name"].dropna() if "cpu_model_name" in frame else pd.Series()
    name = str(names.mode().iloc[0]) if not names.empty else ""
    name = re.sub(r"\((R|TM|tm|r)\)|\bCPU\b|\bProcessor\b|@.*$|\d+-Core", " ", name)
    name = " ".join(name.split()) or "unknown CPU"
    return f"{int(cores.max())}-core {name}" if not cores.empty else name


def _machine_source(source: Source, machine: str, frame: pd.DataFrame) -> Source:
    """One machine of a folder that holds several, as a source of its own: its own tab on
    every page, its own verdicts and figures."""
    return replace(
        source,
        key=f"{source.key}-{slug(machine)}",
        title=f"{source.title}: {machine_in_words(frame)}",
    )


def load_sources(source: Source, cache: Path) -> list[SourceData]:
    """``source`` as one ``SourceData`` per machine it holds (one where it holds one or
    none), ordered by the machine's cores: a 2-core VM's answer is not a 16-core
    machine's, and their numbers are never drawn or judged together."""
    if not source.path.is_dir():
        return [load_source(source, cache)]
    folder = cache / source.key
    loaded = load_site_data(source.path, folder / "history", jobs=parsers(source.path))
    machines = sorted(loaded.latest["machine"].dropna().unique()) if not loaded.latest.empty else []
    if len(machines) < 2:
        return [_source_data(source, loaded.latest, loaded.summaries, folder)]
    found = []
    for machine in machines:
        latest = loaded.latest[loaded.latest["machine"] == machine]
        summaries = loaded.summaries[loaded.summaries["machine"] == machine]
        own = _machine_source(source, str(machine), latest)
        found.append(_source_data(own, latest, summaries, cache / own.key))
    cores = [pd.to_numeric(d.latest.get("cpu_count"), errors="coerce").max() for d in found]
    return [d for _, d in sorted(zip(cores, found, strict=True), key=lambda pair: pair[0])]


def load_source(source: Source, cache: Path) -> SourceData:
    """Load a results folder (a bad file raises ResultsError naming it) and draw its
    figures into ``cache/<source.key>/figures`` (redrawn only when their data changed).
    A missing or empty folder gives empty data, which the pages report as such."""
    if not source.path.is_dir():
        return SourceData(source, pd.DataFrame(), pd.DataFrame(), all_verdicts(pd.DataFrame(), []))
    folder = cache / source.key
    loaded = load_site_data(source.path, folder / "history", jobs=parsers(source.path))
    return _source_data(source, loaded.latest, loaded.summaries, folder)


def _source_data(
    source: Source, latest: pd.DataFrame, summaries: pd.DataFrame, folder: Path
) -> SourceData:
    if latest.empty:
        return SourceData(source, latest, summaries, all_verdicts(latest, []))
    found = source_evidence(latest, folder)  # the newest runs: the cache kept no other
    drawn = found.figures + render_trends(summaries, folder / "trends")
    return SourceData(
        source,
        latest,
        summaries,
        found.verdicts,
        {info.name: info for info in drawn},
        found.tables,
        detect_changes(summaries),
        found.skipped,
    )
