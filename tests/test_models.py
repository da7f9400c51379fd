"""Every concurrency model, under every start method it takes, behind one interface.

Process-based models only ever run functions from ``bench.workloads``, so that spawn
and forkserver children need nothing from the test folder. Every test closes its
executor before it ends, so no thread outlives it into a later test that forks.
"""

from __future__ import annotations

import importlib
import multiprocessing
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import helpers_tasks
import pytest

from bench.families.cpu.workload import count_primes
from bench.families.io.workload import sleep_ms_async
from bench.models import (
    MODELS,
    Executor,
    TaskError,
    WorkerDied,
    open_executor,
    unavailable_models,
)
from bench.models.base import deal
from bench.workloads.faults import DeliberateError, exit_hard, raise_error

START_METHODS = multiprocessing.get_all_start_methods()
#: Models this interpreter cannot run (subinterpreters before 3.12): skipped, with why.
UNAVAILABLE = unavailable_models()


def model_params(*, only: Callable[[str], bool] = lambda name: True) -> list[Any]:
    """``(model, start_method)`` for every model, every start method for process models."""
    params = []
    for name, spec in MODELS.items():
        if not only(name):
            continue
        for method in START_METHODS if spec.uses_processes else [None]:
            skip = (
                [pytest.mark.skip(reason=f"{name}: {UNAVAILABLE[name]}")]
                if name in UNAVAILABLE
                else []
            )
            ident = f"{name}-{method}" if method else name
            params.append(pytest.param(name, method, id=ident, marks=skip))
    return params


ALL_MODELS = model_params()
PROCESS_MODELS = model_params(only=lambda name: MODELS[name].uses_processes)


@contextmanager
def executor(model: str, workers: int, method: str | None) -> Iterator[Executor]:
    ex = open_executor(model, workers, method)
    try:
        yield ex
    finally:
        ex.close()


def batch(model: str, tasks: int) -> tuple[Callable[..., Any], list[tuple[int, int]], list[Any]]:
    """A task, its argument list and the expected results, each result different.

    The async model gets coroutines that finish in reverse order, so that results
    in input order prove the model reorders them.
    """
    if MODELS[model].is_async:
        arglist = [(tasks - i, i) for i in range(tasks)]
        return sleep_ms_async, arglist, [ms for ms, _ in arglist]
    arglist = [(100 * (i + 1), i) for i in range(tasks)]
    expected = [count_primes(*args) for args in arglist]
    assert len(set(expected)) == len(expected)  # so that a swap would show
    return count_primes, arglist, expected


# --- Results --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("workers", "tasks"),
    [(3, 7), (8, 3), (1, 4), (2, 2), (2, 0)],
    ids=["fewer-workers", "more-workers", "one-worker", "as-many", "no-tasks"],
)
@pytest.mark.parametrize(("model", "method"), ALL_MODELS)
def test_results_come_back_in_input_order(
    model: str, method: str | None, workers: int, tasks: int
) -> None:
    func, arglist, expected = batch(model, tasks)
    with executor(model, workers, method) as ex:
        assert ex.workers == workers
        assert ex.run(func, arglist) == expected


@pytest.mark.parametrize(("model", "method"), ALL_MODELS)
def test_one_executor_runs_batch_after_batch(model: str, method: str | None) -> None:
    func, arglist, expected = batch(model, 5)
    with executor(model, 2, method) as ex:
        for _ in range(3):
            assert ex.run(func, arglist) == expected


@pytest.mark.parametrize(("model", "method"), ALL_MODELS)
def test_close_is_idempotent(model: str, method: str | None) -> None:
    func, arglist, expected = batch(model, 3)
    ex = open_executor(model, 2, method)
    try:
        assert ex.run(func, arglist) == expected
    finally:
        ex.close()
    ex.close()
    ex.close()


@pytest.mark.parametrize(("model", "method"), ALL_MODELS)
def test_close_without_any_run(model: str, method: str | None) -> None:
    ex = open_executor(model, 2, method)
    ex.close()
    ex.close()


@pytest.mark.parametrize(("model", "method"), ALL_MODELS)
def test_no_child_process_is_left_after_close(model: str, method: str | None, children) -> None:
    func, arglist, expected = batch(model, 6)
    with executor(model, 3, method) as ex:
        assert ex.run(func, arglist) == expected
    assert not children.left()


def test_asyncio_runs_plain_functions_inline() -> None:
    func, arglist, expected = batch("sequential", 4)
    with executor("asyncio", 2, None) as ex:
        assert ex.run(func, arglist) == expected


# --- How many at once --------------------------------------------------------------------


@pytest.mark.parametrize(("workers", "tasks"), [(4, 12), (1, 5), (8, 3)])
def test_asyncio_keeps_at_most_workers_in_flight(workers: int, tasks: int) -> None:
    helpers_tasks.IN_FLIGHT.reset()
    with executor("asyncio", workers, None) as ex:
        results = ex.run(helpers_tasks.tracked_sleep_async, [(5, i) for i in range(tasks)])
    assert results == list(range(tasks))
    assert helpers_tasks.IN_FLIGHT.finished == tasks
    assert helpers_tasks.IN_FLIGHT.now == 0
    # Every coroutine is started at once and none can finish before the others
    # reach the semaphore, so the limit is reached exactly.
    assert helpers_tasks.IN_FLIGHT.peak == min(workers, tasks)


@pytest.mark.parametrize("model", ["sequential", "threads", "thread_pool"])
@pytest.mark.parametrize("workers", [1, 3])
def test_thread_models_keep_at_most_workers_in_flight(model: str, workers: int) -> None:
    helpers_tasks.IN_FLIGHT.reset()
    with executor(model, workers, None) as ex:
        results = ex.run(helpers_tasks.tracked_sleep, [(2, i) for i in range(9)])
    assert results == list(range(9))
    assert helpers_tasks.IN_FLIGHT.finished == 9
    assert 1 <= helpers_tasks.IN_FLIGHT.peak <= (1 if model == "sequential" else workers)


# --- Faults -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("model", "method"),
    model_params(only=lambda name: name in ("threads", "processes")),
)
def test_task_error_names_the_worker_exception(model: str, method: str | None, children) -> None:
    with executor(model, 2, method) as ex, pytest.raises(TaskError) as caught:
        ex.run(raise_error, [(0, i) for i in range(4)])
    first_line = str(caught.value).splitlines()[0]
    assert "DeliberateError" in first_line
    assert "raised on purpose" in first_line
    assert "Traceback" in str(caught.value)  # the worker's traceback follows
    assert not children.left()


@pytest.mark.parametrize(("model", "method"), ALL_MODELS)
def test_every_model_reports_a_task_exception(model: str, method: str | None, children) -> None:
    func = helpers_tasks.raise_error_async if MODELS[model].is_async else raise_error
    with executor(model, 2, method) as ex, pytest.raises((TaskError, DeliberateError)) as caught:
        ex.run(func, [(0, i) for i in range(3)])
    error = caught.value
    assert isinstance(error, DeliberateError) or "DeliberateError" in str(error).splitlines()[0]
    assert not children.left()


@pytest.mark.parametrize(("model", "method"), PROCESS_MODELS)
def test_a_dead_worker_is_reported_and_reaped(model: str, method: str, children) -> None:
    with executor(model, 2, method) as ex, pytest.raises(WorkerDied) as caught:
        ex.run(exit_hard, [(5, i) for i in range(3)])
    assert method in str(caught.value)
    if model == "processes":
        assert "exit code 5" in str(caught.value)
    assert not children.left()


@pytest.mark.parametrize(("model", "method"), model_params(only=lambda name: name == "processes"))
def test_processes_executor_is_usable_after_a_failure(model: str, method: str) -> None:
    func, arglist, expected = batch(model, 4)
    with executor(model, 2, method) as ex:
        with pytest.raises(WorkerDied):
            ex.run(exit_hard, [(5, 0), (5, 1)])
        with pytest.raises(TaskError):
            ex.run(raise_error, [(0, 0)])
        assert ex.run(func, arglist) == expected


# --- Opening ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("model", "method"),
    [
        ("processes", None),
        ("process_pool", None),
        ("threads", "fork"),
        ("thread_pool", "spawn"),
        ("sequential", "fork"),
        ("asyncio", "forkserver"),
    ],
)
def test_model_and_start_method_must_go_together(model: str, method: str | None) -> None:
    with pytest.raises(ValueError, match="do not go together"):
        open_executor(model, 2, method)


def test_unknown_model_is_refused() -> None:
    with pytest.raises(KeyError):
        open_executor("greenlets", 2, None)


@pytest.mark.parametrize("module", ["processes", "process_pool"])
def test_process_modules_need_a_start_method(module: str) -> None:
    mod = importlib.import_module(f"bench.models.{module}")
    with pytest.raises(ValueError, match="needs a start method"):
        mod.open_executor(2, None)


def test_every_model_module_has_an_opener() -> None:
    for spec in MODELS.values():
        mod = importlib.import_module(spec.module)
        assert callable(mod.open_executor)
        assert not (spec.is_async and spec.uses_processes)


# --- deal -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("count", "workers", "expected"),
    [
        (5, 2, [[0, 2, 4], [1, 3]]),
        (2, 8, [[0], [1]]),
        (0, 3, [[]]),
        (4, 1, [[0, 1, 2, 3]]),
        (3, 3, [[0], [1], [2]]),
    ],
)
def test_deal(count: int, workers: int, expected: list[list[int]]) -> None:
    assert deal(count, workers) == expected


@pytest.mark.parametrize("count", range(20))
@pytest.mark.parametrize("workers", [1, 2, 3, 7, 64])
def test_deal_gives_every_index_once_and_no_worker_nothing(count: int, workers: int) -> None:
    hands = deal(count, workers)
    assert sorted(i for hand in hands for i in hand) == list(range(count))
    assert len(hands) == max(1, min(workers, count))
    if count:
        assert all(hands)
        assert max(map(len, hands)) - min(map(len, hands)) <= 1
