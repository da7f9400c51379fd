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
#: Per machine of the baseline: its rows and the digest of their values.
PINNED = {
    "linux-x86-64-2cpu-amd-epyc": (
        10792,
        "0797a6b351f18e82837877ed1a8dca2427e5c57094805bfaded8a8b84160ebfa",
    ),
    "linux-x86-64-16cpu-intel-r-xeon-r-processor": (
        215,
        "29b770d0a8fc8026ad7c92fec82ab4ad2397c8d3fa112b1c1396260a4d8ec1ab",
    ),
}


def test_the_baseline_reads_back_to_the_same_values() -> None:
    frame = load_results(BASELINE)
    assert set(frame["machine"]) == set(PINNED)
    for machine, (rows, digest) in PINNED.items():
        part = frame[frame["machine"] == machine]
        text = part[VALUES].astype(str).to_csv(index=False)
        assert (len(part), hashlib.sha256(text.encode()).hexdigest()) == (rows, digest), machine
