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
ROWS = 8175
DIGEST = "7d708ae31d429319dd4f85e40550c8cab6c4ae452d46c51328943e18f8b80d7b"


def test_the_baseline_reads_back_to_the_same_values() -> None:
    frame = load_results(BASELINE)
    text = frame[VALUES].astype(str).to_csv(index=False)
    assert len(frame) == ROWS
    assert hashlib.sha256(text.encode()).hexdigest() == DIGEST
