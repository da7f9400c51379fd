"""``python -m bench report``: results in, a folder out (usable without the site).

The folder holds the tidy table (``tidy.csv``), the figures (``figures/*.svg``
with their alt text), the Markdown tables (``tables/*.md``), the claims' verdicts
(``claims.csv``) and an ``index.md`` that puts them together. Figures, tables and
verdicts describe the newest run of each machine and interpreter; the tidy table
keeps every run.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from bench.evidence.pipeline import evidence
from bench.report import spreadsheet
from bench.report.figures.cache import FigureInfo
from bench.report.markdown import inert
from bench.report.skipped import Skipped
from bench.results import write
from bench.results.read import load_results


@dataclass(frozen=True)
class Report:
    out: Path
    rows: int
    runs: int
    figures: list[FigureInfo]
    verdicts: pd.DataFrame
    tables: dict[str, str]
    skipped: list[Skipped]


def index_page(report: Report, results: Path) -> str:
    lines = [
        "# Threads or processes: the report",
        "",
        f"From {inert(str(results))}: {report.rows} measured values in {report.runs} run(s).",
        "Verdicts, figures and tables describe the newest run of each machine and interpreter.",
        "",
    ]
    for name, table in report.tables.items():
        lines += [f"## {name.capitalize()}", "", table.rstrip(), ""]
        if name == "claims":
            lines += ["## Figures", ""]
            # Titles and alt text name what the results hold: inert, like every table cell.
            lines += [f"### {inert(info.title)}\n\n![{inert(info.alt)}](figures/{info.path.name})\n"
                      for info in report.figures]  # fmt: skip
            lines += skipped_section(report.skipped)
    return "\n".join(lines) + "\n"


def skipped_section(skipped: list[Skipped]) -> list[str]:
    """What could not be made from these results, and why: none, no section."""
    if not skipped:
        return []
    return [
        "## Not made from these results",
        "",
        *(f"- {inert(why.kind)} {inert(why.name)}: {inert(why.reason)}" for why in skipped),
        "",
    ]


def _write(path: Path, text: str) -> None:
    with write.atomic_writer(path) as f:
        f.write(text)


def build_report(results: Path, out: Path) -> Report:
    """Load every results file under ``results`` (a bad one stops the build with its name)
    and write the report into ``out``; figures whose data did not change are not redrawn."""
    frame = load_results(results)
    out.mkdir(parents=True, exist_ok=True)
    _write(out / "tidy.csv", spreadsheet.to_csv(frame))  # no cell a spreadsheet runs
    found = evidence(frame, out / "figures")
    _write(out / "claims.csv", spreadsheet.to_csv(found.verdicts))
    for name, text in found.tables.items():
        _write(out / "tables" / f"{name}.md", text)
    runs = frame[["machine", "run_id"]].drop_duplicates().shape[0] if not frame.empty else 0
    report = Report(
        out, len(frame), runs, found.figures, found.verdicts, found.tables, found.skipped
    )
    _write(out / "index.md", index_page(report, results))
    return report
