"""The evidence pipeline, one for ``bench report`` and the site: verdicts, figures, tables.

Both start from a tidy frame (``bench.results.read``) and keep only the newest run of
each machine and interpreter, with what the catalogue knows of each row's family (does
it need cores); each chooses the folder figures are drawn into, where an unchanged figure
is not redrawn (``figures.registry.drawing``). A claim, a figure or a table that cannot
be made from the data it got is left out with its reason (``Skipped``): a report of a
few cases still has everything those cases allow.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from bench.evidence import tables
from bench.families import catalogue
from bench.report import capacity
from bench.report.claims import evaluate
from bench.report.figures.cache import FigureInfo
from bench.report.figures.registry import Drawn, drawing
from bench.report.markdown import inert
from bench.report.metrics import paired_speedups
from bench.report.skipped import Skipped
from bench.results.read import COLUMNS


@dataclass(frozen=True)
class Evidence:
    latest: pd.DataFrame  # the rows of the newest run per machine and interpreter
    verdicts: pd.DataFrame
    figures: list[FigureInfo]
    tables: dict[str, str]  # name -> Markdown
    skipped: list[Skipped] = field(default_factory=list)  # what could not be made, and why


def latest_runs(frame: pd.DataFrame) -> pd.DataFrame:
    """The rows of the newest run (run ids sort by start time) per machine and interpreter."""
    if frame.empty:
        return frame
    newest = frame.groupby(["machine", "interpreter"], dropna=False)["run_id"].transform("max")
    return frame[frame["run_id"] == newest]


def with_family_traits(frame: pd.DataFrame) -> pd.DataFrame:
    """``frame`` with ``needs_cores`` (``capacity.NEEDS_CORES``): whether the row's family
    needs cores at once (``Family.needs_cores``), so that only its rounds are judged
    against the capacity measured in them."""
    if "family" not in frame.columns:
        return frame
    return frame.assign(**{capacity.NEEDS_CORES: frame["family"].isin(catalogue.NEEDS_CORES)})


def all_verdicts(latest: pd.DataFrame, skipped: list[Skipped]) -> pd.DataFrame:
    """The verdict of every claim of every folder on ``latest``."""
    return evaluate(latest, catalogue.claims(), skipped)


def make_tables(
    frame: pd.DataFrame, latest: pd.DataFrame, verdicts: pd.DataFrame, skipped: list[Skipped]
) -> dict[str, str]:
    """Every Markdown table of the report, by name, in order: the pipeline's own (the
    environment covers every run) and those the folders register."""
    own: list[tuple[str, int, Callable[[], str]]] = [
        ("claims", 0, lambda: tables.verdict_table(verdicts)),
        ("environment", 10, lambda: tables.environment_table(frame)),
        ("capacity", 20, lambda: tables.capacity_table(capacity.capacity_summary(frame))),
        ("speedups", 30, lambda: tables.speedup_table(paired_speedups(latest))),
        ("timings", 40, lambda: tables.timings_table(latest)),
        ("outcomes", 70, lambda: tables.outcomes_table(latest)),
    ]
    folders = [(t.name, t.order, lambda t=t: t.make(latest)) for t in catalogue.tables()]
    made = {}
    for name, _, make in sorted([*own, *folders], key=lambda entry: entry[1]):
        try:
            made[name] = make()
        except Exception as exc:
            why = Skipped.of("table", name, exc, latest)
            skipped.append(why)
            made[name] = f"_Not made from these results: {inert(why.reason)}._\n"
    return made


def draw(latest: pd.DataFrame, figure_dir: Path) -> Drawn:
    """Every figure of every folder there is data for, drawn into ``figure_dir``."""
    catalogue.figures()
    with drawing(latest, figure_dir) as drawn:
        return drawn()


def evidence(frame: pd.DataFrame, figure_dir: Path) -> Evidence:
    """Evaluate the claims on the newest runs of ``frame``, draw their figures into
    ``figure_dir`` and make the tables. No rows: no figure (and no folder made), and
    tables that say there is no data."""
    if frame.columns.empty:  # a folder with no results at all
        frame = pd.DataFrame(columns=list(COLUMNS))
    frame = with_family_traits(frame)
    latest = latest_runs(frame)
    skipped: list[Skipped] = []
    if latest.empty:
        verdicts = all_verdicts(latest, skipped)
        return Evidence(latest, verdicts, [], make_tables(frame, latest, verdicts, skipped))
    catalogue.figures()  # every folder's figures registered before the drawing starts
    # The figures are drawn by other processes while this one judges and tabulates.
    with drawing(latest, figure_dir) as drawn:
        verdicts = all_verdicts(latest, skipped)
        made = make_tables(frame, latest, verdicts, skipped)
        figures = drawn()
    return Evidence(latest, verdicts, figures.figures, made, [*figures.skipped, *skipped])
