"""The race measurement: racy increments lose updates, locked ones never do.

Lost updates are chance events, so the racy tests retry a few runs and ask for
a loss in any of them; no test asserts a timing.
"""

from __future__ import annotations

import dataclasses
import json
import os
import subprocess
import sys
import threading
from pathlib import Path

import pytest
from helpers_interpreters import FREE_THREADED, GIL_313, require
from helpers_waiting import CHILD_RUN_S

from bench.cases import Case
from bench.families.catalogue import measure_module
from bench.families.race import measure as race
from bench.measurement import Measurement

ROOT = Path(__file__).resolve().parent.parent
#: Runs a racy test may take before it gives up on seeing a loss (each is tens of ms).
RACY_ATTEMPTS = 5
METRICS = {
    "lost_updates": "count",
    "lost_updates_per_million": "count",
    "seconds_per_million_increments": "second",
    "final_count": "count",
}


def race_case(workers: int, size: int, variant: str) -> Case:
    return Case(
        family="race",
        workload="counter",
        size_label="-",
        size=size,
        tasks=0,
        model="threads",
        workers=workers,
        measure="race",
        variant=variant,
    )


def by_metric(measurements: list[Measurement]) -> dict[str, Measurement]:
    return {m.metric: m for m in measurements}


def test_registered_under_race() -> None:
    assert measure_module("race") is race


def test_metrics_units_and_params() -> None:
    ms = by_metric(race.measure(race_case(2, 1_000, "locked"), repeat=3))
    assert {name: m.unit for name, m in ms.items()} == METRICS
    for m in ms.values():
        assert len(m.values) == 3
        assert m.params == {"expected": 2_000}
    assert ms["seconds_per_million_increments"].fits_pyperf
    for lost, per_million, final in zip(
        ms["lost_updates"].values,
        ms["lost_updates_per_million"].values,
        ms["final_count"].values,
        strict=True,
    ):
        assert lost == 2_000 - final
        assert per_million == pytest.approx(lost / 2_000 * 1e6)


@pytest.mark.parametrize("workers", [1, 2, 4, 8])
def test_locked_loses_nothing(workers: int) -> None:
    size = 20_000
    ms = by_metric(race.measure(race_case(workers, size, "locked"), repeat=3))
    assert ms["lost_updates"].values == [0, 0, 0]
    assert ms["lost_updates_per_million"].values == [0.0, 0.0, 0.0]
    assert ms["final_count"].values == [workers * size] * 3


@pytest.mark.parametrize("workers", [2, 4])
def test_racy_loses_updates_with_the_gil(workers: int) -> None:
    """At the default switch interval: a switch inside the read-modify-write loses updates."""
    interval = sys.getswitchinterval()
    size = 200_000
    seen: list[int] = []
    for _ in range(RACY_ATTEMPTS):
        ms = by_metric(race.measure(race_case(workers, size, "racy"), repeat=1))
        lost = ms["lost_updates"].values[0]
        seen.append(lost)
        assert 0 <= lost < workers * size
        assert ms["final_count"].values[0] == workers * size - lost
        if lost > 0:
            break
    assert max(seen) > 0, f"no update lost in {len(seen)} runs: {seen}"
    assert sys.getswitchinterval() == interval  # the measurement leaves it alone


def test_threads_are_joined() -> None:
    before = threading.active_count()
    race.measure(race_case(8, 5_000, "racy"), repeat=2)
    race.measure(race_case(8, 5_000, "locked"), repeat=2)
    assert threading.active_count() == before
    assert not [t for t in threading.enumerate() if t.name.startswith("race-")]


def test_rejects_what_it_cannot_measure() -> None:
    with pytest.raises(ValueError, match="variant"):
        race.measure(race_case(2, 10, "atomic"))
    with pytest.raises(ValueError, match="sharing one counter"):
        race.measure(
            Case(
                family="race",
                workload="counter",
                size_label="-",
                size=10,
                tasks=0,
                model="processes",
                workers=2,
                start_method="fork",
                measure="race",
                variant="racy",
            )
        )
    with pytest.raises(ValueError, match="repeat"):
        race.measure(race_case(2, 10, "racy"), repeat=0)


def test_a_thread_pool_races_like_threads() -> None:
    """The measure runs the model it is given: a pool of threads loses updates too."""
    pooled = dataclasses.replace(race_case(2, 20_000, "locked"), model="thread_pool")
    ms = by_metric(race.measure(pooled, repeat=1))
    assert ms["lost_updates"].values == [0]


def test_worker_error_is_raised_and_threads_joined(monkeypatch: pytest.MonkeyPatch) -> None:
    def broken(value: int) -> int:
        raise ZeroDivisionError(value)

    monkeypatch.setattr(race, "bump", broken)
    before = threading.active_count()
    with pytest.raises(RuntimeError, match="ZeroDivisionError"):
        race.measure(race_case(4, 10, "racy"))
    assert threading.active_count() == before


#: Run by another interpreter: standard library and ``bench`` only (no psutil, no pyperf).
CHILD_SCRIPT = f"""
import json, sys
from bench.cases import Case
from bench.families.catalogue import measure_module
from bench.families.race import measure as race

def case(workers, size, variant):
    return Case(family="race", workload="counter", size_label="-", size=size, tasks=0,
                model="threads", workers=workers, measure="race", variant=variant)

def lost(ms):
    return next(m.values for m in ms if m.metric == "lost_updates")

racy = []
for _ in range({RACY_ATTEMPTS}):
    racy += lost(race.measure(case(4, 200_000, "racy")))
    if racy[-1] > 0:
        break
locked = []
for workers in (2, 4, 8):
    locked += lost(race.measure(case(workers, 20_000, "locked"), repeat=2))
print(json.dumps({{
    "gil": getattr(sys, "_is_gil_enabled", lambda: True)(),
    "third_party": sorted({{"psutil", "pyperf"}} & set(sys.modules)),
    "racy": racy,
    "locked": locked,
}}))
"""


@pytest.mark.parametrize(
    ("python", "gil"),
    [pytest.param(FREE_THREADED, False, id="3.13t"), pytest.param(GIL_313, True, id="3.13")],
)
def test_other_interpreters_race_and_lock(python: Path, gil: bool) -> None:
    require(python)
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHON_GIL", "PYTHONHOME")}
    env |= {"PYTHONPATH": str(ROOT), "PYTHONDONTWRITEBYTECODE": "1"}
    done = subprocess.run(
        [str(python), "-c", CHILD_SCRIPT],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=CHILD_RUN_S,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout)
    assert result["gil"] is gil
    assert result["third_party"] == []
    assert max(result["racy"]) > 0, f"no update lost in {len(result['racy'])} runs"
    assert result["locked"] == [0] * 6
