"""How the case script stores measurements: pyperf where pyperf can, the outcomes file else."""

from __future__ import annotations

import json
from pathlib import Path

import pyperf

from bench.case_script import write_measurements
from bench.cases import Case
from bench.measurement import Measurement
from bench.results import layout

CASE = Case("race", "counter", "1k", 1000, 1, "threads", 2, measure="race", variant="racy")


def test_positive_times_go_to_pyperf_counts_to_the_outcomes_file(tmp_path: Path) -> None:
    output = str(tmp_path / "case.json")
    results = [
        Measurement("seconds_per_million_increments", "second", [0.1, 0.2]),
        Measurement("lost_updates", "count", [0, 12]),
        Measurement("extra_uss_per_worker_bytes", "byte", [-4096.0]),  # may be negative
    ]
    write_measurements(CASE, results, {"round": 1, "workers": 2}, output)
    suite = pyperf.BenchmarkSuite.load(output)
    (bench,) = suite.get_benchmarks()
    assert bench.get_name() == f"{CASE.name} seconds_per_million_increments"
    assert bench.get_unit() == "second" and bench.get_values() == (0.1, 0.2)
    assert bench.get_metadata()["metric"] == "seconds_per_million_increments"
    records = json.loads(Path(output + layout.OUTCOMES_SUFFIX).read_text())
    assert [(r["metric"], r["values"]) for r in records] == [
        ("lost_updates", [0, 12]),
        ("extra_uss_per_worker_bytes", [-4096.0]),
    ]
    for record in records:
        assert record["benchmark"] == f"{CASE.name} {record['metric']}"
        assert record["metadata"]["round"] == 1
        assert "cpu_count" in record["metadata"]  # the system facts pyperf would record


def test_measurement_rejects_unknown_units_and_empty_values() -> None:
    for bad in (("x", "furlong", [1]), ("x", "count", [])):
        try:
            Measurement(*bad)
        except ValueError:
            continue
        raise AssertionError(f"accepted {bad}")
