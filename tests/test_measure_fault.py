"""The fault measurement: crashes stay in their process, leaks stay in theirs.

Hard crashes only ever happen in children here; every test also checks that no
child process is left behind. Sizes are small (8 tasks of 8 MiB) and the margins
generous: nothing asserts a timing.
"""

from __future__ import annotations

import os
from concurrent.futures import ThreadPoolExecutor

import psutil
import pytest

from bench.cases import Case
from bench.families.fault import measure as fault
from bench.measurement import UNITS, Measurement
from bench.models import MODELS, Isolation
from tests.conftest import Children

TASKS = 8
SIZE_MIB = 8
LEAKED = TASKS * SIZE_MIB * fault.MIB
METHODS = ("fork", "spawn")
#: By trait, as the measurement picks them: threads of this process, processes with a
#: multiprocessing start method.
THREAD_MODELS = [
    name
    for name, m in MODELS.items()
    if m.isolation is Isolation.SHARED and m.parallel and not m.is_async
]
PROCESS_MODELS = [name for name, m in MODELS.items() if m.uses_processes]


def make_case(
    model: str,
    variant: str,
    start_method: str | None = None,
    *,
    workers: int = 2,
    size: int = 0,
    tasks: int = TASKS,
) -> Case:
    return Case(
        family="fault",
        workload="fault",
        size_label="-",
        size=size,
        tasks=tasks,
        model=model,
        workers=workers,
        start_method=start_method,
        measure="fault",
        variant=variant,
    )


def by_metric(measurements: list[Measurement]) -> dict[str, Measurement]:
    return {m.metric: m for m in measurements}


def single(measurements: list[Measurement]) -> dict[str, object]:
    """metric -> its one value (repeat=1)."""
    out = {}
    for m in measurements:
        assert len(m.values) == 1, m
        out[m.metric] = m.values[0]
    return out


@pytest.mark.parametrize("variant", fault.CRASH_VARIANTS)
@pytest.mark.parametrize("start_method", METHODS)
def test_processes_crash_leaves_the_other_tasks_alone(
    start_method: str, variant: str, children: Children
) -> None:
    got = single(fault.measure(make_case("processes", variant, start_method)))
    assert got["tasks_finished"] == TASKS - 1
    assert got["crashed_exitcode"] == (fault.EXIT_CODE if variant == "os_exit" else -11)
    assert got["recovered"] is True
    assert not children.left()


@pytest.mark.parametrize("variant", fault.CRASH_VARIANTS)
@pytest.mark.parametrize("start_method", METHODS)
def test_process_pool_crash_breaks_the_pool_and_a_new_one_works(
    start_method: str, variant: str, children: Children
) -> None:
    got = single(fault.measure(make_case("process_pool", variant, start_method)))
    assert got["raised"] == "BrokenProcessPool"
    assert got["recovered"] is True
    assert got["tasks_failed"] >= 1  # the crashing task's own future at least
    assert got["tasks_finished"] + got["tasks_failed"] == TASKS  # type: ignore[operator]
    assert got["tasks_finished"] < TASKS
    assert not children.left()


@pytest.mark.parametrize("variant", fault.CRASH_VARIANTS)
@pytest.mark.parametrize("model", THREAD_MODELS)
def test_thread_crash_takes_the_whole_program_down(
    model: str, variant: str, children: Children
) -> None:
    pid = os.getpid()
    got = single(fault.measure(make_case(model, variant)))
    assert got["program_survived"] is False
    assert got["program_exitcode"] == (fault.EXIT_CODE if variant == "os_exit" else -11)
    assert got["tasks_finished"] < TASKS  # type: ignore[operator]
    # ... and the program that measured it is alive and well
    assert os.getpid() == pid
    assert psutil.Process().status() != psutil.STATUS_ZOMBIE
    with ThreadPoolExecutor(2) as pool:
        assert list(pool.map(abs, [-1, -2])) == [1, 2]
    assert not children.left()


@pytest.mark.parametrize("model", THREAD_MODELS)
def test_thread_leak_grows_this_process(model: str, children: Children) -> None:
    got = by_metric(fault.measure(make_case(model, "leak", size=SIZE_MIB), repeat=2))
    growth = got["parent_rss_growth_bytes"]
    assert growth.unit == "byte"
    assert all(v >= LEAKED / 2 for v in growth.values), growth.values
    assert "workers_rss_bytes_at_end" not in got
    assert growth.params["freed_after_measuring"] is True
    assert fault.free_leaked() == 0  # given back: the second run grew as much as the first
    assert not children.left()


@pytest.mark.parametrize("start_method", METHODS)
@pytest.mark.parametrize("model", PROCESS_MODELS)
def test_process_leak_stays_in_the_children(
    model: str, start_method: str, children: Children
) -> None:
    got = by_metric(fault.measure(make_case(model, "leak", start_method, size=SIZE_MIB)))
    (growth,) = got["parent_rss_growth_bytes"].values
    assert growth < LEAKED / 4
    assert got["parent_rss_growth_bytes"].params == {"leaked_bytes": LEAKED}
    if model == "process_pool":
        (workers_rss,) = got["workers_rss_bytes_at_end"].values
        assert workers_rss >= LEAKED / 2
    else:
        assert "workers_rss_bytes_at_end" not in got
    assert not children.left()


def test_repeat_gives_that_many_values_with_the_declared_units(children: Children) -> None:
    measurements = fault.measure(make_case("processes", "os_exit", "fork"), repeat=2)
    assert {m.metric for m in measurements} == {"tasks_finished", "crashed_exitcode", "recovered"}
    for m in measurements:
        assert len(m.values) == 2
        assert m.unit == fault.UNITS[m.metric]
        assert m.unit in UNITS
        assert m.params == {"crash_task": TASKS // 2}
        assert not m.fits_pyperf  # counts and flags go to the outcomes file
    pool = by_metric(fault.measure(make_case("process_pool", "os_exit", "fork")))
    assert pool["raised"].unit == "text"
    assert pool["recovered"].unit == "flag"
    assert pool["tasks_failed"].unit == "count"
    assert not children.left()


def test_timeouts_kill_and_reap_every_child(
    monkeypatch: pytest.MonkeyPatch, children: Children
) -> None:
    monkeypatch.setattr(fault, "TIMEOUT_S", 0.005)
    with pytest.raises(TimeoutError):
        fault.measure(make_case("processes", "os_exit", "spawn"))
    with pytest.raises(TimeoutError):
        fault.measure(make_case("process_pool", "os_exit", "spawn"))
    with pytest.raises(TimeoutError):
        fault.measure(make_case("threads", "os_exit"))
    assert not children.left()


@pytest.mark.parametrize(
    ("model", "variant", "start_method", "size"),
    [
        ("processes", "nope", "fork", 0),
        ("asyncio", "os_exit", None, 0),
        ("sequential", "leak", None, 8),
        ("processes", "os_exit", None, 0),
        ("threads", "os_exit", "fork", 0),
        ("threads", "leak", None, 0),
    ],
)
def test_rejects_what_it_does_not_measure(
    model: str, variant: str, start_method: str | None, size: int
) -> None:
    with pytest.raises(ValueError, match="fault"):
        fault.measure(make_case(model, variant, start_method, size=size))


def test_child_needs_its_arguments(capsys: pytest.CaptureFixture[str]) -> None:
    assert fault.child_main([]) == 2
    assert "usage" in capsys.readouterr().err


def test_tasks_do_their_short_work_in_process() -> None:
    assert fault.crash_task(3, crash_at=-1, variant="os_exit") == 3
    assert fault.leak_task(0, 1) == 0
    assert fault.free_leaked() == 1
    assert fault.free_leaked() == 0
