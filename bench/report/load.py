"""Results files -> one tidy pandas DataFrame: one row per measured value.

Params are columns, read from each benchmark's metadata (never parsed from its
name). Every row names its ``metric`` and ``unit``; ``value`` holds the number,
and ``time_s`` repeats it for timings so that the usual case reads naturally.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pandas as pd
import pyperf

from bench import store

#: Metadata copied into columns, per benchmark (common) or per run (round, date).
PARAM_KEYS = (
    "run_id", "machine", "profile", "interpreter", "python_version", "python_build",
    "python_options", "gil_enabled", "family", "workload", "group", "size", "size_label",
    "tasks", "model", "start_method", "workers", "timed", "measure", "variant",
    "payload_bytes", "chunksize", "cpu_count", "cpu_model_name", "round",
)  # fmt: skip


def _params(meta: dict[str, Any]) -> dict[str, Any]:
    return {k: meta.get(k) for k in PARAM_KEYS}


def suite_rows(path: Path) -> list[dict[str, Any]]:
    """One dict per value of every benchmark in a pyperf suite file."""
    suite = pyperf.BenchmarkSuite.load(str(path))
    rows = []
    for benchmark in suite.get_benchmarks():
        common = benchmark.get_metadata()
        for run_index, run in enumerate(benchmark.get_runs()):
            meta = {**common, **run.get_metadata()}
            base = _params(meta) | {
                "benchmark": benchmark.get_name(),
                "metric": meta.get("metric", "time"),
                "unit": meta.get("unit", "second"),
                "run_index": run_index,
            }
            rows.extend(base | {"value_index": i, "value": v} for i, v in enumerate(run.values))
    return rows


def outcome_rows(path: Path) -> list[dict[str, Any]]:
    """One dict per value of every record of an outcomes file (counts, flags, texts)."""
    data = json.loads(path.read_text(encoding="utf-8"))
    rows = []
    for record in data["records"]:
        base = _params(record["metadata"]) | {
            "benchmark": record["benchmark"],
            "metric": record["metric"],
            "unit": record["unit"],
            "run_index": 0,
        }
        rows.extend(base | {"value_index": i, "value": v} for i, v in enumerate(record["values"]))
    return rows


def load_run(run_dir: Path) -> pd.DataFrame:
    """Every suite and outcomes file of one run folder as one tidy frame."""
    rows: list[dict[str, Any]] = []
    for path in sorted(run_dir.glob("*.json")):
        if path.name.endswith(store.OUTCOMES_SUFFIX):
            rows.extend(outcome_rows(path))
        elif path.name != store.MANIFEST_NAME:
            rows.extend(suite_rows(path))
    frame = pd.DataFrame(rows)
    if not frame.empty:
        frame["time_s"] = frame["value"].where(frame["unit"] == "second")
    return frame
