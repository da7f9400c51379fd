"""The committed baseline (``results/baseline``): several machines, one run each."""

from __future__ import annotations

from pathlib import Path

BASELINE = Path(__file__).resolve().parent.parent / "results" / "baseline"


def fullest_run(root: Path = BASELINE) -> Path:
    """The run of ``root`` (``<machine>/<run>``) with the most bytes of results: the
    baseline's complete run, not a short one of another machine."""
    runs = [p for p in root.glob("*/*") if p.is_dir()]
    return max(sorted(runs), key=lambda run: sum(f.stat().st_size for f in run.glob("*.json")))
