"""A valid results folder whose suite file is as large as asked: the largest accepted file.

    python scripts/make_large_results.py OUT [MiB]

It repeats the committed baseline's benchmarks of one interpreter with distinct variants
(so no two share a definition) until the file reaches the size. Measure what reading it
costs with ``/usr/bin/time -v python -m bench validate OUT`` and
``BENCH_RESULTS=OUT /usr/bin/time -v mkdocs build --strict``.
"""

from __future__ import annotations

import copy
import json
import sys
from pathlib import Path

BASELINE = Path(__file__).resolve().parents[1] / "results" / "baseline"


def make(out: Path, mib: float) -> Path:
    run = next(p for p in sorted(BASELINE.glob("*/*")) if p.is_dir())
    manifest = json.loads((run / "run.json").read_text(encoding="utf-8"))
    entry = manifest["interpreters"][0]
    suite = json.loads((run / entry["file"]).read_text(encoding="utf-8"))
    copies = max(1, int(mib * 2**20 / len(json.dumps(suite))))
    benchmarks = []
    for n in range(copies):
        for benchmark in suite["benchmarks"]:
            twin = copy.deepcopy(benchmark)
            twin["metadata"]["name"] = f"{twin['metadata']['name']} copy{n}"
            twin["metadata"]["variant"] = f"{twin['metadata'].get('variant', 'none')}-copy{n}"
            benchmarks.append(twin)
    suite["benchmarks"] = benchmarks
    target = out / run.parent.name / run.name
    target.mkdir(parents=True, exist_ok=False)
    (target / entry["file"]).write_text(json.dumps(suite), encoding="utf-8")
    manifest["interpreters"] = [entry | {"outcomes_file": None}]
    (target / "run.json").write_text(json.dumps(manifest), encoding="utf-8")
    return target / entry["file"]


if __name__ == "__main__":
    made = make(Path(sys.argv[1]), float(sys.argv[2]) if len(sys.argv) > 2 else 15.8)
    print(f"{made}: {made.stat().st_size / 2**20:.1f} MiB")
