"""Lock cost (issue 23, item 20): the race's counter timed with no lock and under a lock, one
thread and several; the table pairs the two within each round. No test asserts a timing."""

from __future__ import annotations

import dataclasses
import json
import os
import subprocess
import threading
from pathlib import Path

import pytest
from helpers_interpreters import FREE_THREADED, require
from helpers_rows import tidy_frame, tidy_row
from helpers_waiting import CHILD_RUN_S

from bench.cases import Case
from bench.families.catalogue import FAMILIES, PROFILES, measure_module
from bench.families.lock import measure as lock
from bench.families.lock.tables import lock_cost_table
from bench.families.race import measure as race
from bench.report.format import DASH as D
from bench.report.format import TIMES as X
from bench.report.tables import NO_DATA

ROOT = Path(__file__).resolve().parent.parent


def lock_case(workers: int, variant: str, size: int = 5_000, model: str = "threads") -> Case:
    return Case(family="lock", workload="locked_counter", size_label="5k", size=size, tasks=0,
                model=model, workers=workers, measure="lock", variant=variant)  # fmt: skip


def test_registered_and_measured_uncontended_and_contended() -> None:
    assert measure_module("lock") is lock
    family = FAMILIES["lock"]
    assert set(family.variants) == {"racy", "locked"} and 1 in family.workers
    for profile in ("smoke", "quick", "standard"):
        names = [c.name for c in PROFILES[profile].cases(**cores_if_asked())]
        assert any(n.startswith("locked_counter[") and " w=1 locked" in n for n in names)


def cores_if_asked() -> dict[str, int]:
    """Profiles plan for a machine's cores once the suite states worker counts relative to
    them; 2 cores is this machine."""
    import inspect

    return {"cores": 2} if "cores" in inspect.signature(PROFILES["smoke"].cases).parameters else {}


@pytest.mark.parametrize("workers", [1, 2, 4])
@pytest.mark.parametrize("variant", ["racy", "locked"])
def test_seconds_per_million_increments_of_every_run(workers: int, variant: str) -> None:
    before = threading.active_count()
    (found,) = lock.measure(lock_case(workers, variant), repeat=3)
    assert found.metric == "seconds_per_million_increments" and found.unit == "second"
    assert len(found.values) == 3 and found.fits_pyperf
    assert found.params == {"expected": workers * 5_000}
    assert threading.active_count() == before  # every thread joined


def test_a_locked_counter_that_loses_updates_fails_the_case(monkeypatch) -> None:
    monkeypatch.setattr(lock, "run_once", lambda *args: (9_999, 0.01))
    with pytest.raises(RuntimeError, match="reached 9999 of 10000"):
        lock.measure(lock_case(2, "locked"))
    (racy,) = lock.measure(lock_case(2, "racy"))  # a racy one may lose: that is the race
    assert racy.values == [pytest.approx(0.01 / (10_000 / 1e6))]


def test_rejects_what_it_cannot_measure() -> None:
    with pytest.raises(ValueError, match="variant"):
        lock.measure(lock_case(1, "atomic"))
    with pytest.raises(ValueError, match="sharing one counter"):
        lock.measure(dataclasses.replace(lock_case(2, "racy", model="processes"),
                                         start_method="fork"))  # fmt: skip
    with pytest.raises(ValueError, match="positive"):
        lock.measure(lock_case(1, "racy"), repeat=0)
    assert lock.run_once is race.run_once  # the race's own counter, not a copy


def rows(interpreter: str, workers: int, racy: list[float], locked: list[float]) -> list[dict]:
    made = []
    for variant, values in (("racy", racy), ("locked", locked)):
        for round_number, value in enumerate(values, start=1):
            made.append(tidy_row(
                interpreter=interpreter, family="lock", workload="locked_counter",
                group="lock:locked_counter[100k]", model="threads", workers=workers,
                measure="lock", variant=variant, metric="seconds_per_million_increments",
                round=round_number, value=value,
            ))  # fmt: skip
    return made


def test_the_table_pairs_the_lock_with_no_lock_within_each_round() -> None:
    frame = tidy_frame(
        rows("cpython-3.13.0", 1, [0.05, 0.10], [0.20, 0.40]),  # 4x in each round
        rows("cpython-3.13.0", 2, [0.05, 0.05, 0.05], [0.60, 0.60, 0.60]),
        rows("cpython-3.13.5t", 2, [0.12], [0.30]),
    )
    text = lock_cost_table(frame)
    lines = text.splitlines()
    assert lines[0].startswith("| interpreter | threads on the counter")
    first = next(line for line in lines if "cpython-3.13.0 | 1 thread (uncontended)" in line)
    assert "75.0 ms" in first and "300 ms" in first  # medians over the rounds
    assert f"4.0{X} (4.0{D}4.0{X}, n=2)" in first  # the drift between rounds cancels
    contended = next(line for line in lines if "2 threads (contended)" in line)
    assert f"12{X} (12{D}12{X}, n=3)" in contended
    assert f"2.5{X} (n=1)" in lines[-1]  # one round: no interval
    assert lock_cost_table(tidy_frame(rows("x", 1, [1.0], [1.0]))[:0]) == NO_DATA


#: The free-threaded build has a lock of its own: measured there with the standard library.
CHILD = """
import json
from bench.cases import Case
from bench.families.lock import measure as lock

out = {}
for workers in (1, 2):
    for variant in ("racy", "locked"):
        case = Case(family="lock", workload="locked_counter", size_label="5k", size=5_000,
                    tasks=0, model="threads", workers=workers, measure="lock", variant=variant)
        (found,) = lock.measure(case, repeat=2)
        out[f"{workers} {variant}"] = len(found.values)
print(json.dumps(out))
"""


def test_the_free_threaded_build_measures_its_lock() -> None:
    python = require(FREE_THREADED)
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHON_GIL", "PYTHONHOME")}
    done = subprocess.run([str(python), "-c", CHILD], cwd=ROOT, capture_output=True, text=True,
                          env=env | {"PYTHONPATH": str(ROOT)}, timeout=CHILD_RUN_S,
                          check=False)  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout) == {f"{w} {v}": 2 for w in (1, 2) for v in ("racy", "locked")}
