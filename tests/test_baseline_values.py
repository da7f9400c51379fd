"""The committed baseline reads back to the same tidy values, whatever the refactoring.

A change of the reading code (a migration, a new check, a new column) must not change
a measured value. Re-recording the baseline changes this digest on purpose: update it
in the same commit as the new baseline.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

from bench.results.read import load_results

BASELINE = Path(__file__).parent.parent / "results" / "baseline"
VALUES = ["machine", "run_id", "interpreter", "benchmark", "metric", "unit", "round",
          "value_index", "value"]  # fmt: skip
ROWS = 5452
DIGEST = "ac942774def5bac26349f8dec5f98401b96df7aa92eface9b4e89549c3f2dc4b"


def test_the_baseline_reads_back_to_the_same_values() -> None:
    frame = load_results(BASELINE)
    text = frame[VALUES].astype(str).to_csv(index=False)
    assert len(frame) == ROWS
    assert hashlib.sha256(text.encode()).hexdigest() == DIGEST
