"""Synthesise a history of nightly runs from one real run folder (for the scale benchmark).

    python scripts/synth_history.py SOURCE_RUN_DIR OUT_HISTORY --runs 365 [--copies 4]
        [--step BENCHMARK_REGEX] [--seed 1]

Each synthetic run is a copy of SOURCE_RUN_DIR one day apart, with new run ids and
dates, every timing scaled by a machine drift shared by the run (8 %) times a
per-benchmark noise (2 %); ``--step`` makes the benchmarks matching a regex 20 %
slower from the last run on. ``--copies K`` repeats every benchmark K times under
new names, to bring a small (smoke) run to the size of a ``standard`` one. The
files stay valid results (``python -m bench validate OUT_HISTORY``).
"""

from __future__ import annotations

import argparse
import json
import math
import random
import re
import time
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

DAY = timedelta(days=1)
DATE_FORMATS = ("%Y-%m-%d %H:%M:%S.%f", "%Y-%m-%d %H:%M:%S")


def _shift_date(text: str, delta: timedelta) -> str:
    for fmt in DATE_FORMATS:
        try:
            return (datetime.strptime(text, fmt) + delta).strftime("%Y-%m-%d %H:%M:%S.%f")
        except ValueError:
            continue
    return text


def _shift_utc(text: str | None, delta: timedelta) -> str | None:
    """An ISO time with its UTC offset (a run's start or end), ``delta`` later."""
    return None if text is None else (datetime.fromisoformat(text) + delta).isoformat()


def _meta(meta: dict[str, Any], run_id: str, delta: timedelta) -> None:
    if "run_id" in meta:
        meta["run_id"] = run_id
    if isinstance(meta.get("date"), str):
        meta["date"] = _shift_date(meta["date"], delta)
    if isinstance(meta.get("run_started"), str):  # the reader holds it to the run id
        meta["run_started"] = _shift_utc(meta["run_started"], delta)


def _factor(rng: random.Random, drift: float, name: str, step: re.Pattern[str] | None) -> float:
    f = drift * math.exp(rng.gauss(0, 0.02))
    return f * 1.2 if step is not None and step.search(name) else f


def _suite(data: dict[str, Any], run_id: str, delta: timedelta, ctx: dict[str, Any]) -> None:
    _meta(data.get("metadata", {}), run_id, delta)
    benchmarks = []
    for copy in range(ctx["copies"]):
        for bench in json.loads(json.dumps(data["benchmarks"])):
            meta = bench["metadata"]
            if copy:
                meta["name"] = f"{meta['name']} #{copy}"
            _meta(meta, run_id, delta)
            timing = meta.get("unit", "second") == "second"
            f = _factor(ctx["rng"], ctx["drift"], meta["name"], ctx["step"]) if timing else 1.0
            for run in bench["runs"]:
                _meta(run.get("metadata", {}), run_id, delta)
                if "values" in run and timing:
                    run["values"] = [v * f for v in run["values"]]
            benchmarks.append(bench)
    data["benchmarks"] = benchmarks


def _outcomes(data: dict[str, Any], run_id: str, delta: timedelta, ctx: dict[str, Any]) -> None:
    data["run_id"] = run_id
    records = []
    for copy in range(ctx["copies"]):
        for record in json.loads(json.dumps(data["records"])):
            if copy:
                record["benchmark"] = f"{record['benchmark']} #{copy}"
            _meta(record["metadata"], run_id, delta)
            if record["unit"] == "second":
                f = _factor(ctx["rng"], ctx["drift"], record["benchmark"], ctx["step"])
                record["values"] = [v * f for v in record["values"]]
            records.append(record)
    data["records"] = records


def synthesise(
    source: Path, out: Path, runs: int, copies: int = 1, step: str | None = None, seed: int = 1
) -> list[Path]:
    """Write ``runs`` run folders under ``out/<machine>/`` (see the module's docstring)."""
    rng = random.Random(seed)
    manifest = json.loads((source / "run.json").read_text(encoding="utf-8"))
    start = datetime.strptime(manifest["run_id"][:20], "%Y-%m-%dT%H-%M-%SZ")
    profile = manifest["run_id"][21:] or "synthetic"
    machine_dir = out / source.absolute().parent.name
    made = []
    for n in range(runs):
        delta = (n - runs + 1) * DAY  # the last run is the source's own date
        run_id = f"{start + delta:%Y-%m-%dT%H-%M-%SZ}-{profile}"
        ctx = {
            "rng": rng,
            "copies": copies,
            "drift": math.exp(rng.gauss(0, 0.08)),
            "step": re.compile(step) if step and n == runs - 1 else None,
        }
        run_dir = machine_dir / run_id
        run_dir.mkdir(parents=True, exist_ok=False)
        for path in sorted(source.glob("*.json")):
            data = json.loads(path.read_text(encoding="utf-8"))
            if path.name == "run.json":
                data["run_id"] = run_id
                for key in ("started_utc", "finished_utc"):
                    data[key] = _shift_utc(data.get(key), delta)
            elif path.name.endswith(".outcomes.json"):
                _outcomes(data, run_id, delta, ctx)
            else:
                _suite(data, run_id, delta, ctx)
            (run_dir / path.name).write_text(json.dumps(data), encoding="utf-8")
        made.append(run_dir)
    return made


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("source", type=Path, help="a finished run folder")
    parser.add_argument("out", type=Path, help="history folder to write into")
    parser.add_argument("--runs", type=int, default=365)
    parser.add_argument("--copies", type=int, default=1, help="repeat each benchmark K times")
    parser.add_argument("--step", metavar="REGEX", help="benchmarks 20%% slower in the last run")
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    if args.out.exists() and any(args.out.iterdir()):
        parser.error(f"{args.out} is not empty")
    began = time.perf_counter()
    made = synthesise(args.source, args.out, args.runs, args.copies, args.step, args.seed)
    print(f"{len(made)} run(s) under {args.out} in {time.perf_counter() - began:.1f}s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
