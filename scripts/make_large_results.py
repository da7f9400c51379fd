"""A valid results folder holding the largest file the boundary accepts, of one shape.

    python scripts/make_large_results.py OUT [SHAPE]

SHAPE is what the file has as much of as ``bench.results.schema`` lets it:

- ``values``: the committed baseline's benchmarks, 10 runs each, filled with values up
  to ``MAX_VALUES`` for the file;
- ``benchmarks``: ``MAX_BENCHMARKS`` benchmarks (the baseline's, repeated with distinct
  variants so no two share a definition), with ``MAX_VALUES`` values among them;
- ``runs``: benchmarks of ``MAX_RUNS`` runs each, one value a run, ``MAX_VALUES`` in all;
- ``bytes`` (the default): the baseline's benchmarks repeated up to the size limit, cut
  to the counts above.

Measure what reading it costs with ``/usr/bin/time -v python -m bench validate OUT``,
``python -m bench report --results OUT`` and ``BENCH_RESULTS=OUT mkdocs build --strict``.
"""

from __future__ import annotations

import copy
import itertools
import json
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.results import schema  # noqa: E402

BASELINE = ROOT / "results" / "baseline"
SHAPES = ("values", "benchmarks", "runs", "bytes")


def twins(benchmarks: list[dict[str, Any]]) -> Iterator[dict[str, Any]]:
    """The benchmarks, then copies of them under distinct variants, without end."""
    for n in itertools.count():
        for benchmark in benchmarks:
            twin = copy.deepcopy(benchmark)
            if n:
                twin["metadata"]["name"] = f"{twin['metadata']['name']} copy{n}"
                twin["metadata"]["variant"] = f"{twin['metadata'].get('variant', 'none')}-copy{n}"
            yield twin


def fill(benchmark: dict[str, Any], runs: int, values_per_run: int) -> dict[str, Any]:
    """``benchmark`` with ``runs`` runs (its own, repeated) of ``values_per_run`` values."""
    own = [r for r in benchmark["runs"] if "values" in r]  # not its calibration runs
    made = []
    for i in range(runs):
        run = copy.deepcopy(own[i % len(own)])
        run["values"] = [run["values"][0] * (1 + j / 1e6) for j in range(values_per_run)]
        made.append(run)
    return benchmark | {"runs": made}


#: Runs and values per run of each shape's benchmarks (None: the baseline's own);
#: ``values`` spreads them over the baseline's benchmarks, each a case of its own.
LAYOUTS = {
    "values": (10, 0),
    "benchmarks": (1, 1),
    "runs": (schema.MAX_RUNS, 1),
    "bytes": None,
}


def shaped(benchmarks: list[dict[str, Any]], shape: str, limit_bytes: int) -> list[dict[str, Any]]:
    """Benchmarks of ``shape`` while they fit the limits on bytes, benchmarks and values."""
    measured = [b for b in benchmarks if any("values" in r for r in b["runs"])]
    layout = LAYOUTS[shape]
    if shape == "values":
        layout = (10, schema.MAX_VALUES // (10 * len(measured)))
    made: list[dict[str, Any]] = []
    size = values = 0
    for twin in twins(benchmarks if layout is None else measured):
        benchmark = twin
        if layout is not None:
            runs, per_run = layout
            per_run = min(per_run, (schema.MAX_VALUES - values) // runs)
            if per_run == 0:
                break
            benchmark = fill(twin, runs, per_run)
        size += len(json.dumps(benchmark)) + 2
        values += sum(len(r.get("values", ())) for r in benchmark["runs"])
        if size > limit_bytes or values > schema.MAX_VALUES or len(made) == schema.MAX_BENCHMARKS:
            break
        made.append(benchmark)
    return made


def fullest_run(root: Path) -> Path:
    """The run of ``root`` (``<machine>/<run>``) with the most bytes of results: the
    baseline's complete run, not a short one of another machine."""
    runs = [p for p in root.glob("*/*") if p.is_dir()]
    return max(sorted(runs), key=lambda run: sum(f.stat().st_size for f in run.glob("*.json")))


def make(out: Path, shape: str = "bytes") -> Path:
    run = fullest_run(BASELINE)
    manifest = json.loads((run / "run.json").read_text(encoding="utf-8"))
    entry = manifest["interpreters"][0]
    suite = json.loads((run / entry["file"]).read_text(encoding="utf-8"))
    limit = schema.max_file_bytes() - 64 * 1024  # room for the suite's own metadata
    suite["benchmarks"] = shaped(suite["benchmarks"], shape, limit)
    target = out / run.parent.name / run.name
    target.mkdir(parents=True, exist_ok=False)
    (target / entry["file"]).write_text(json.dumps(suite), encoding="utf-8")
    manifest["interpreters"] = [entry | {"outcomes_file": None}]
    (target / "run.json").write_text(json.dumps(manifest), encoding="utf-8")
    return target / entry["file"]


if __name__ == "__main__":
    chosen = sys.argv[2] if len(sys.argv) > 2 else "bytes"
    if chosen not in SHAPES:
        sys.exit(f"error: shape {chosen!r} is not one of {', '.join(SHAPES)}")
    made = make(Path(sys.argv[1]), chosen)
    print(f"{made}: {made.stat().st_size / 2**20:.1f} MiB")
