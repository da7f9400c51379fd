"""Results files -> one tidy pandas DataFrame: one row per measured value.

Params are columns, read from each benchmark's metadata (never parsed from its
name); units are in the column names (``time_s``).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pandas as pd
import pyperf

#: Metadata copied into columns, per benchmark (common) or per run (round, date).
PARAM_KEYS = (
    "run_id",
    "machine",
    "profile",
    "interpreter",
    "python_version",
    "python_build",
    "python_options",
    "gil_enabled",
    "family",
    "workload",
    "group",
    "size",
    "size_label",
    "tasks",
    "model",
    "start_method",
    "workers",
    "timed",
    "cpu_count",
    "cpu_model_name",
)


def suite_rows(path: Path) -> list[dict[str, Any]]:
    """One dict per value of every benchmark in a pyperf suite file."""
    suite = pyperf.BenchmarkSuite.load(str(path))
    rows = []
    for benchmark in suite.get_benchmarks():
        common = benchmark.get_metadata()
        for run_index, run in enumerate(benchmark.get_runs()):
            meta = {**common, **run.get_metadata()}
            base = {k: meta.get(k) for k in PARAM_KEYS}
            base |= {
                "benchmark": benchmark.get_name(),
                "round": meta.get("round"),
                "run_index": run_index,
                "unit": meta.get("unit", "second"),
            }
            for value_index, value in enumerate(run.values):
                rows.append(base | {"value_index": value_index, "value": value})
    return rows


def load_run(run_dir: Path) -> pd.DataFrame:
    """Every suite file of one run folder as one tidy frame (``time_s`` for timings)."""
    rows = [
        row
        for path in sorted(run_dir.glob("*.json"))
        if path.name != "run.json"
        for row in suite_rows(path)
    ]
    frame = pd.DataFrame(rows)
    if not frame.empty:
        frame["time_s"] = frame["value"].where(frame["unit"] == "second")
    return frame
