"""The evidence pipeline, one for ``bench report`` and the site: verdicts, figures, tables.

Both start from a tidy frame (``bench.results.read``) and keep only the newest run of
each machine and interpreter; each chooses the folder figures are drawn into, where an
unchanged figure is not redrawn (``figures.render_all``).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from bench.report import capacity, claims, figures, guide_tables, metrics, tables
from bench.results.read import COLUMNS


@dataclass(frozen=True)
class Evidence:
    latest: pd.DataFrame  # the rows of the newest run per machine and interpreter
    verdicts: pd.DataFrame
    figures: list[figures.FigureInfo]
    tables: dict[str, str]  # name -> Markdown


def latest_runs(frame: pd.DataFrame) -> pd.DataFrame:
    """The rows of the newest run (run ids sort by start time) per machine and interpreter."""
    if frame.empty:
        return frame
    newest = frame.groupby(["machine", "interpreter"], dropna=False)["run_id"].transform("max")
    return frame[frame["run_id"] == newest]


def verdict_table(verdicts: pd.DataFrame) -> str:
    return tables.markdown_table(
        verdicts,
        [("statement", "claim"), ("interpreter", "interpreter"), ("verdict", "verdict"),
         ("evidence", "evidence")],
    )  # fmt: skip


def make_tables(
    frame: pd.DataFrame, latest: pd.DataFrame, verdicts: pd.DataFrame
) -> dict[str, str]:
    """Every Markdown table of the report, by name (the environment covers every run)."""
    return {
        "claims": verdict_table(verdicts),
        "environment": tables.environment_table(frame),
        "capacity": tables.capacity_table(capacity.capacity_summary(frame)),
        "speedups": tables.speedup_table(metrics.paired_speedups(latest)),
        "timings": tables.timings_table(latest),
        "memory": tables.memory_table(metrics.memory_per_worker(latest)),
        "ipc": tables.ipc_table(metrics.ipc_throughput(latest)),
        "outcomes": tables.outcomes_table(latest),
        "pitfalls": guide_tables.pitfalls_table(latest),
        "cpu_limits": guide_tables.cpu_limits_table(latest),
        "copy_on_write": guide_tables.copy_on_write_table(metrics.memory_per_worker(latest)),
    }


def evidence(frame: pd.DataFrame, figure_dir: Path) -> Evidence:
    """Evaluate the claims on the newest runs of ``frame``, draw their figures into
    ``figure_dir`` and make the tables. No rows: no figure (and no folder made), and
    tables that say there is no data."""
    if frame.columns.empty:  # a folder with no results at all
        frame = pd.DataFrame(columns=list(COLUMNS))
    latest = latest_runs(frame)
    if latest.empty:
        verdicts = claims.evaluate(latest)
        return Evidence(latest, verdicts, [], make_tables(frame, latest, verdicts))
    # The figures are drawn by other processes while this one judges and tabulates.
    with figures.drawing(latest, figure_dir) as drawn:
        verdicts = claims.evaluate(latest)
        tables = make_tables(frame, latest, verdicts)
        return Evidence(latest, verdicts, drawn(), tables)
