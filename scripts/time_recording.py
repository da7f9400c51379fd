"""How long the runner spends writing results, without running a benchmark.

    python scripts/time_recording.py [N] [GROUP]

Records N cases (default 1000; single runs cut from the committed baseline, with an
outcomes record every fourth case) through the runner's :class:`bench.runner.Recorder`
into a temporary folder, once with a checkpoint after every case (how the runner wrote
before) and once per GROUP cases (default 14: a standard run's steps per group and
interpreter). Prints the seconds each took; the files are the same at the end.
"""

from __future__ import annotations

import json
import sys
import tempfile
import time
from pathlib import Path

import pyperf

from bench.results import schema
from bench.runner import Recorder

BASELINE = Path(__file__).resolve().parents[1] / "results" / "baseline"


def cases(n: int) -> tuple[dict, list[tuple[list[pyperf.Benchmark], list[dict]]]]:
    """The baseline's manifest, and ``n`` cases' results: benchmarks and outcome records."""
    run = next(p for p in sorted(BASELINE.glob("*/*")) if p.is_dir())
    manifest = json.loads((run / "run.json").read_text(encoding="utf-8"))
    entry = manifest["interpreters"][0]
    suite = pyperf.BenchmarkSuite.load(str(run / entry["file"]))
    records = json.loads((run / entry["outcomes_file"]).read_text(encoding="utf-8"))["records"]
    singles = [pyperf.Benchmark([r]) for b in suite.get_benchmarks() for r in b.get_runs()]
    picked = [singles[i % len(singles)] for i in range(n)]
    return manifest, [
        ([b], [records[i % len(records)]] if i % 4 == 0 else []) for i, b in enumerate(picked)
    ]


def record(n: int, every: int) -> float:
    """Seconds to record ``n`` cases with a checkpoint every ``every`` cases and at the end."""
    manifest_json, results = cases(n)
    fields = schema.Manifest.__dataclass_fields__
    with tempfile.TemporaryDirectory(prefix="time-recording-") as folder:
        entry = schema.InterpreterEntry("cpython-3.13.0", "python", [], {})
        manifest = schema.Manifest(
            **{k: v for k, v in manifest_json.items() if k in fields and k != "interpreters"},
            interpreters=[entry],
        )
        recorder = Recorder(Path(folder), manifest)
        start = time.perf_counter()
        for i, (benchmarks, outcomes) in enumerate(results, 1):
            recorder.add(entry, benchmarks, outcomes)
            if i % every == 0 or i == n:
                recorder.checkpoint()
        return time.perf_counter() - start


def main(argv: list[str]) -> None:
    n = int(argv[0]) if argv else 1000
    group = int(argv[1]) if len(argv) > 1 else 14
    for label, every in (("after every case", 1), (f"per group of {group}", group)):
        seconds = record(n, every)
        print(f"{n} cases, written {label}: {seconds:.2f} s ({seconds / n * 1000:.1f} ms a case)")


if __name__ == "__main__":
    main(sys.argv[1:])
