"""Print the key speedups of a run folder, paired within rounds, and the values' spread.

python scripts/key_speedups.py results/<machine>/<run>
"""

from __future__ import annotations

import sys
from pathlib import Path

from bench.report.load import load_run
from bench.report.metrics import paired_speedups

KEY = r"count_primes\[100ms\] (?:threads|thread_pool|process_pool/\w+|processes/\w+) w=2$"


def main(run_dir: str) -> int:
    frame = load_run(Path(run_dir))
    speedups = paired_speedups(frame)
    key = speedups[speedups["benchmark"].str.contains(KEY, regex=True)]
    print(key.to_string(index=False, float_format=lambda x: f"{x:.3f}"))
    rsd = (
        frame.groupby(["interpreter", "benchmark"])["time_s"]
        .agg(lambda s: s.std() / s.mean() * 100)
        .rename("rsd_%")
    )
    print("\nrelative standard deviation of raw values (all rounds), %:")
    print(rsd.describe().to_string(float_format=lambda x: f"{x:.1f}"))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
