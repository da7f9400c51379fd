"""What one results file may hold: the largest of each shape is accepted, one more is
refused before pyperf builds an object for it.

A 16 MiB file of 8 million values passed the size limit and took 7 GB to validate. The
limits of ``bench.results.schema`` bound the work instead. The largest accepted file of
each shape (``scripts/make_large_results.py``), measured on the 2-core EPYC VM, one run
each: peak RSS of the largest process; in brackets the peak proportional set size (PSS,
in MiB) of the whole process tree where figures are drawn by worker processes (psutil,
every 0.1 s), and the wall time.

=========== ================================== ============ ============ ============
shape        file                               validate     report       site build
=========== ================================== ============ ============ ============
values       3.1 MiB, 910 benchmarks, 100,000    188 MiB      335 MiB      537 MiB
             values                             (2 s)        (473; 14 s)  (843; 28 s)
benchmarks   14.4 MiB, 20,000 benchmarks         234 MiB      265 MiB      309 MiB
                                                (5 s)        (535; 22 s)  (556; 35 s)
runs         15.9 MiB, 93 x 1,000 runs           365 MiB      437 MiB      593 MiB
                                                (11 s)       (548; 19 s)  (882; 22 s)
bytes        15.9 MiB, 15,772 benchmarks         272 MiB      317 MiB      364 MiB
                                                (6 s)        (591; 25 s)  (679; 41 s)
=========== ================================== ============ ============ ============

The 16 MiB file of 8 million values is refused in 1.2 s at 174 MiB.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from bench.results import schema
from bench.results.check import IndexedSuite
from bench.results.read import ResultsError, check_file

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "scripts"))
from make_large_results import make  # noqa: E402


def one_more_value(suite: dict[str, Any]) -> None:
    run = next(r for b in suite["benchmarks"] for r in b["runs"] if r.get("values"))
    run["values"].append(run["values"][0])


def one_more_benchmark(suite: dict[str, Any]) -> None:
    suite["benchmarks"].append(json.loads(json.dumps(suite["benchmarks"][0])))


def one_more_run(suite: dict[str, Any]) -> None:
    runs = suite["benchmarks"][0]["runs"]
    runs.append({"metadata": {}, "values": []})


#: Each shape, what it has as much of as it may, and how to give it one more.
SHAPES: dict[str, tuple[Callable[[dict[str, Any]], None], str]] = {
    "values": (one_more_value, "values"),
    "benchmarks": (one_more_benchmark, "benchmarks"),
    "runs": (one_more_run, "runs"),
}


@pytest.fixture(autouse=True)
def pyperf_reads(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Which files pyperf was asked to read: a refused file must never get that far."""
    read: list[str] = []
    load = IndexedSuite.load.__func__  # type: ignore[attr-defined]

    def counting(cls: type[IndexedSuite], filename: str) -> Any:
        read.append(filename)
        return load(cls, filename)

    monkeypatch.setattr(IndexedSuite, "load", classmethod(counting))
    return read


@pytest.mark.parametrize("shape", SHAPES)
def test_the_largest_file_of_each_shape_is_accepted_and_one_more_refused_unread(
    shape: str, tmp_path: Path, pyperf_reads: list[str]
) -> None:
    path = make(tmp_path, shape)
    check_file(path)
    assert pyperf_reads == [str(path)]
    add_one, what = SHAPES[shape]
    suite = json.loads(path.read_text(encoding="utf-8"))
    add_one(suite)
    path.write_text(json.dumps(suite), encoding="utf-8")
    with pytest.raises(ResultsError, match=f"{what}, more than the ") as caught:
        check_file(path)
    assert caught.value.path == path
    assert pyperf_reads == [str(path)]  # the second time, not even opened by pyperf


def test_the_largest_file_by_size_is_accepted(tmp_path: Path) -> None:
    path = make(tmp_path, "bytes")
    assert path.stat().st_size > schema.max_file_bytes() * 0.95
    check_file(path)


def test_too_many_objects_and_lists_are_refused_before_the_file_is_parsed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "run.json"
    path.write_text("[" + ",".join(["[]"] * (schema.MAX_CONTAINERS + 1)) + "]", encoding="utf-8")
    monkeypatch.setattr(json, "loads", lambda *_a, **_k: pytest.fail("parsed"))
    with pytest.raises(ResultsError, match="objects and lists, more than the 500,000"):
        check_file(path)


def test_an_outcomes_file_is_held_to_the_same_counts(tmp_path: Path) -> None:
    path = tmp_path / "x.outcomes.json"
    record = {"benchmark": "b", "metric": "m", "unit": "count", "values": [1], "metadata": {}}
    data = {"kind": schema.OUTCOMES_KIND, "schema_version": schema.SCHEMA_VERSION,
            "run_id": "r", "interpreter": "i"}  # fmt: skip
    path.write_text(json.dumps(data | {"records": [record] * (schema.MAX_RECORDS + 1)}))
    with pytest.raises(ResultsError, match="records, more than the 50,000"):
        check_file(path)
    many = record | {"values": [1] * (schema.MAX_VALUES + 1)}
    path.write_text(json.dumps(data | {"records": [many]}))
    with pytest.raises(ResultsError, match="values, more than the 100,000"):
        check_file(path)
