"""Memory per worker: processes cost more than threads, fork shares, spawn copies.

Figures are compared with generous margins (a spawned child is ~10 MiB of its own,
a thread ~10 KiB, a fork child ~2 MiB of PSS here); nothing is timed. Every test
checks that no worker outlives ``measure``, also when starting one fails.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
from typing import Any

import pytest
from conftest import Children
from helpers_waiting import CHILD_RUN_S

from bench import interpreters
from bench.cases import Case
from bench.families.memory import measure as memory
from bench.measurement import Measurement
from bench.models import hold_workers, processes
from bench.models.base import WorkerFailed

MIB = 1 << 20
KINDS = ("rss", "uss", "pss")
METRICS = {
    *(f"{kind}_bytes" for kind in KINDS),
    *(f"baseline_{kind}_bytes" for kind in KINDS),
    *(f"extra_{kind}_per_worker_bytes" for kind in KINDS),
}
PROCESS_MODELS = [
    pytest.param(model, method, id=f"{model}-{method}")
    for model in ("processes", "process_pool")
    for method in ("fork", "forkserver", "spawn")
]
ALL_MODELS = [pytest.param("threads", None, id="threads"), *PROCESS_MODELS]


def case(
    model: str, workers: int, method: str | None = None, variant: str = "", size: int = 0
) -> Case:
    return Case(
        family="memory",
        workload="live_workers",
        size_label="-",
        size=size,
        tasks=0,
        model=model,
        workers=workers,
        start_method=method,
        measure="memory",
        variant=variant,
    )


def run(c: Case, repeat: int = 1) -> dict[str, Measurement]:
    return {m.metric: m for m in memory.measure(c, repeat=repeat)}


MEASURE_IN_A_FRESH_INTERPRETER = """
import dataclasses, json, sys
from bench import interpreters
from bench.cases import Case
from bench.families.memory import measure as memory
found = memory.measure(Case.from_json(sys.argv[1]), repeat=1)
print(json.dumps([dataclasses.asdict(m) for m in found]))
"""


def run_fresh(c: Case) -> dict[str, Measurement]:
    """``run`` in a new interpreter, as a case runs: a forked child's private pages depend
    on the parent's heap, and the test process's (every module earlier tests imported,
    walked by the child's collector) would count as the workers' own."""
    out = subprocess.run(
        [sys.executable, "-c", MEASURE_IN_A_FRESH_INTERPRETER, c.to_json()],
        capture_output=True, text=True, timeout=CHILD_RUN_S, check=True,
        env=interpreters.case_environment({}),
    )  # fmt: skip
    return {m["metric"]: Measurement(**m) for m in json.loads(out.stdout)}


def grown(result: dict[str, Measurement], kind: str) -> float:
    """How much the tree grew with the workers live, in the first repetition."""
    return float(result[f"{kind}_bytes"].values[0] - result[f"baseline_{kind}_bytes"].values[0])


def no_workers_left(children: Children, threads_before: int) -> None:
    assert children.left() == set()
    assert threading.active_count() == threads_before


def test_tree_memory_reads_every_kind_on_linux() -> None:
    totals = memory.tree_memory()
    assert totals["rss"] > 0
    if os.name == "posix" and os.uname().sysname == "Linux":
        assert set(totals) == set(KINDS)
        assert 0 < totals["uss"] <= totals["pss"] <= totals["rss"]


@pytest.mark.parametrize(("model", "method"), ALL_MODELS)
def test_every_metric_in_bytes_once_per_repetition_and_nothing_left(
    model: str, method: str | None, children: Children
) -> None:
    threads_before = threading.active_count()
    result = run(case(model, 2, method), repeat=2)
    kinds = set(memory.tree_memory())
    expected = {m for m in METRICS if any(m.startswith(k) or f"_{k}_" in m for k in kinds)}
    assert set(result) == expected
    for m in result.values():
        assert m.unit == "byte"
        assert len(m.values) == 2
        assert m.params == {}
    for kind in kinds:
        for live, base, extra in zip(
            result[f"{kind}_bytes"].values,
            result[f"baseline_{kind}_bytes"].values,
            result[f"extra_{kind}_per_worker_bytes"].values,
            strict=True,
        ):
            assert live > 0 and base > 0
            assert extra == pytest.approx((live - base) / 2)
    no_workers_left(children, threads_before)


def test_working_set_is_a_param() -> None:
    result = run(case("threads", 1, variant="working_set", size=1))
    assert all(m.params == {"working_set_bytes": MIB} for m in result.values())


@pytest.mark.parametrize("method", ["fork", "spawn"])
def test_memory_grows_with_workers(method: str) -> None:
    one = run(case("processes", 1, method))
    four = run(case("processes", 4, method))
    # Each further fork child writes a few pages of its own (reference counts); each
    # spawned one is a whole interpreter.
    margin = 3 * (MIB if method == "fork" else 4 * MIB)
    assert grown(four, "uss") > grown(one, "uss") + margin
    assert grown(four, "rss") > grown(one, "rss") + margin
    if "pss_bytes" in four:
        assert grown(four, "pss") > grown(one, "pss") + margin


def test_threads_cost_much_less_than_spawned_processes() -> None:
    threads = run(case("threads", 4))["extra_uss_per_worker_bytes"].values[0]
    spawned = run(case("processes", 4, "spawn"))["extra_uss_per_worker_bytes"].values[0]
    assert spawned > 4 * MIB
    assert threads < spawned / 10


def test_spawn_copies_the_working_set_and_fork_shares_it() -> None:
    size = 16
    spawned = run(case("processes", 2, "spawn", "working_set", size))
    forked = run_fresh(case("processes", 2, "fork", "working_set", size))
    threads = run(case("threads", 2, None, "working_set", size))
    # Spawn: every child unpickles its own copy.
    assert spawned["extra_uss_per_worker_bytes"].values[0] > 0.9 * size * MIB
    # Fork: the pages stay shared, so one more child costs far less than a copy, and
    # the parent's own pages stop being private (USS falls, RSS counts them twice).
    if "pss_bytes" in forked:
        assert forked["extra_pss_per_worker_bytes"].values[0] < 0.25 * size * MIB
    assert forked["extra_uss_per_worker_bytes"].values[0] < 0.25 * size * MIB
    assert forked["extra_rss_per_worker_bytes"].values[0] > 0.9 * size * MIB
    # Threads read the one object in place.
    assert threads["extra_uss_per_worker_bytes"].values[0] < MIB


def test_fork_copies_small_objects_that_every_worker_reads_frozen_or_not(
    children: Children,
) -> None:
    """Reading an object writes its reference count, so its page is copied into the reader;
    gc.freeze() only keeps the collector off it. One bytes object stays shared."""
    import gc

    size = 16
    forked = {
        variant: run_fresh(case("processes", 2, "fork", variant, size))
        for variant in ("working_set", "small_objects", "small_objects_frozen")
    }
    kind = "pss" if "pss_bytes" in forked["working_set"] else "uss"
    extra = {v: r[f"extra_{kind}_per_worker_bytes"].values[0] for v, r in forked.items()}
    assert extra["working_set"] < 0.25 * size * MIB
    assert extra["small_objects"] > 0.5 * size * MIB
    assert extra["small_objects_frozen"] > 0.5 * size * MIB
    assert forked["small_objects"]["pss_bytes"].params == {"working_set_bytes": size * MIB}
    assert gc.get_freeze_count() == 0  # the parent's objects are thawed again
    assert children.left() == set()


def test_small_objects_are_distinct_ints_of_about_the_size() -> None:
    data = memory.working_set(case("processes", 1, "fork", "small_objects", 2))
    assert isinstance(data, list)
    assert len(data) * memory.SMALL_OBJECT_BYTES == pytest.approx(2 * MIB, rel=0.01)
    assert data[0] > 256 and len(set(data)) == len(data)  # no small int the runtime shares


def test_an_invalid_start_method_raises_and_starts_nothing(children: Children) -> None:
    threads_before = threading.active_count()
    for model in ("processes", "process_pool"):
        with pytest.raises(ValueError, match="bogus"):
            memory.measure(case(model, 2, "bogus"))
    with pytest.raises(ValueError, match="start method"):
        memory.measure(case("processes", 2, None))
    with pytest.raises(ValueError, match="model"):
        memory.measure(case("sequential", 2))
    with pytest.raises(ValueError, match="cannot hold"):  # a thread pool's are its threads'
        memory.measure(case("thread_pool", 2))
    with pytest.raises(ValueError, match="variant"):
        memory.measure(case("threads", 2, variant="nope"))
    no_workers_left(children, threads_before)


def test_a_failed_start_reaps_the_workers_already_started(
    children: Children, monkeypatch: pytest.MonkeyPatch
) -> None:
    threads_before = threading.active_count()
    start = processes.start_held
    calls = 0

    def third_fails(context: Any, task: Any, args: tuple[Any, ...]) -> tuple[Any, Any]:
        nonlocal calls
        calls += 1
        if calls == 5:  # the warm-up starts two; this is the third of the measured four
            raise OSError("no more processes")
        return start(context, task, args)

    monkeypatch.setattr(processes, "start_held", third_fails)
    with pytest.raises(OSError, match="no more processes"):
        memory.measure(case("processes", 4, "fork"))
    assert calls == 5
    no_workers_left(children, threads_before)


def exit_at_once() -> None:
    """A held worker's task that kills its worker before it reports ready."""
    os._exit(3)


def raise_in_task() -> int:
    """A held worker's task that fails before it reports ready."""
    raise ArithmeticError("deliberate")


def test_a_worker_that_dies_before_ready_is_reported_and_reaped(children: Children) -> None:
    threads_before = threading.active_count()
    with (
        pytest.raises(WorkerFailed, match="exit code 3"),
        hold_workers("processes", 3, "fork", exit_at_once, ()),
    ):
        pass
    no_workers_left(children, threads_before)


def test_a_pool_task_that_fails_is_reported_and_the_pool_reaped(children: Children) -> None:
    threads_before = threading.active_count()
    with (
        pytest.raises(ArithmeticError, match="deliberate"),
        hold_workers("process_pool", 3, "fork", raise_in_task, ()),
    ):
        pass
    no_workers_left(children, threads_before)


def test_a_thread_that_fails_is_reported_and_joined() -> None:
    threads_before = threading.active_count()
    with (
        pytest.raises(WorkerFailed, match="deliberate"),
        hold_workers("threads", 3, None, raise_in_task, ()),
    ):
        pass
    assert threading.active_count() == threads_before
