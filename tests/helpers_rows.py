"""One tidy row as ``load_run`` makes them, for the tests that build frames by hand."""

from __future__ import annotations

from typing import Any

import pandas as pd

#: Every column a tidy row of a timed batch has, with a plain value: a test sets the rest.
DEFAULTS: dict[str, Any] = {
    "machine": "m", "run_id": "r", "interpreter": "cpython-3.11", "python_build": "default",
    "gil_enabled": "enabled", "family": "", "workload": "", "group": "", "size": 0,
    "size_label": "", "tasks": 8, "model": "sequential", "start_method": "n/a", "workers": 1,
    "timed": "tasks", "measure": "batch", "variant": "none", "payload_bytes": 0,
    "chunksize": 1, "cpu_count": 2, "round": 1, "metric": "time", "unit": "second",
    "value": 1.0,
}  # fmt: skip


def tidy_row(**fields: Any) -> dict[str, Any]:
    """``DEFAULTS`` with ``fields``; a benchmark name that tells the case apart, and
    ``time_s`` where the unit is seconds (as the reader fills it)."""
    out = DEFAULTS | fields
    method = "" if out["start_method"] == "n/a" else f"/{out['start_method']}"
    out.setdefault(
        "benchmark",
        f"{out['group']} {out['model']}{method} w={out['workers']} {out['variant']} "
        f"chunksize={out['chunksize']} {out['metric']}",
    )
    out["time_s"] = out["value"] if out["unit"] == "second" else float("nan")
    return out


def tidy_frame(*parts: list[dict[str, Any]]) -> pd.DataFrame:
    return pd.DataFrame([r for part in parts for r in part])
