"""The measures an expert misses (issue 23, items 18 and 19) and 3.14's map buffersize
(issue 22, item 2): object graphs through the IPC channels, the GIL convoy, and eager
against buffered Executor.map. Each measure run for real, small; each table on synthetic
rows. No test asserts a timing."""

from __future__ import annotations

import dataclasses
import pickle
import sys
import threading

import pytest
from helpers_rows import tidy_frame, tidy_row

from bench.cases import Case, Pick
from bench.families.catalogue import FAMILIES, PROFILES, measure_module
from bench.families.convoy import measure as convoy
from bench.families.convoy.tables import convoy_table
from bench.families.ipc import measure as ipc
from bench.families.ipc.channels import OBJECT_CHANNELS, OBJECT_PAYLOADS
from bench.families.ipc.tables import ipc_objects_table
from bench.families.map_buffer import measure as map_buffer
from bench.families.map_buffer.tables import map_buffer_table
from bench.families.startup.tables import start_method_table
from bench.report.format import DASH as D
from bench.report.format import TIMES as X
from bench.report.tables import NO_DATA
from tests.conftest import Children


def one_case(family: str, **where: object) -> Case:
    """The first case of the family's full matrix (for 2 cores) that matches ``where``."""
    for case in FAMILIES[family].cases(Pick(family), cores=2):
        if all(getattr(case, key) == value for key, value in where.items()):
            return case
    raise LookupError(f"no {family} case with {where}")


def test_the_families_are_registered_and_in_the_standard_profile() -> None:
    assert measure_module("ipc_objects") is ipc
    assert measure_module("convoy") is convoy
    assert measure_module("map_buffer") is map_buffer
    standard = {c.family for c in PROFILES["standard"].cases(cores=2)}
    assert {"ipc_objects", "convoy", "map_buffer"} <= standard
    quick = {c.family for c in PROFILES["quick"].cases(cores=2)}
    assert not {"ipc_objects", "convoy", "map_buffer"} & quick  # quick keeps its budget


# --- object graphs through the channels -----------------------------------------------------


@pytest.mark.parametrize("kind", OBJECT_PAYLOADS)
@pytest.mark.parametrize("size", [4 << 10, 1 << 20])
def test_an_object_payload_pickles_to_about_its_size(kind: str, size: int) -> None:
    pytest.importorskip("numpy")
    made = ipc.object_payload(kind, size)
    pickled = len(pickle.dumps(made, protocol=pickle.HIGHEST_PROTOCOL))
    assert 0.75 * size < pickled < 1.25 * size
    assert ipc.same(pickle.loads(pickle.dumps(made)), made)


def test_same_compares_arrays_by_their_elements() -> None:
    np = pytest.importorskip("numpy")
    assert ipc.same(np.arange(3.0), np.arange(3.0))
    assert not ipc.same(np.arange(3.0), np.arange(1.0, 4.0))
    assert not ipc.same([ipc.Record(1, "a", 0.5, ())], [ipc.Record(2, "a", 0.5, ())])


@pytest.mark.parametrize("channel", OBJECT_CHANNELS)
def test_every_object_channel_echoes_a_dataclass_list(channel: str, children: Children) -> None:
    pytest.importorskip("numpy")
    case = one_case("ipc_objects", model=channel, variant="dataclasses", size=4 << 10)
    assert case.start_method in (None, "fork") or channel == "queue.Queue"
    with ipc.open_timer(case) as timer:  # open_timer checks one echo against the payload
        assert isinstance(timer.payload, list) and isinstance(timer.payload[0], ipc.Record)
        assert timer.run(3) > 0
    assert children.left() == set()


def test_a_bytes_only_channel_refuses_an_object_payload() -> None:
    case = dataclasses.replace(one_case("ipc", model="memcpy"), variant="list_of_dicts")
    with pytest.raises(ValueError, match="takes bytes only"):
        ipc.open_timer(case)


def ipc_rows(measure: str, variant: str, values: list[float]) -> list[dict]:
    return [tidy_row(family=measure, workload="echo", measure=measure, model="mp.Pipe",
                     start_method="fork", size=4096, variant=variant, round=number,
                     metric="time", value=value)
            for number, value in enumerate(values, start=1)]  # fmt: skip


def test_the_object_table_pairs_each_kind_with_bytes_of_its_size() -> None:
    frame = tidy_frame(
        ipc_rows("ipc", "", [10e-6, 20e-6]),
        ipc_rows("ipc_objects", "list_of_dicts", [30e-6, 60e-6]),  # 3x in each round
    )
    text = ipc_objects_table(frame)
    row = next(line for line in text.splitlines() if "list_of_dicts" in line)
    assert f"3.0{X} (3.0{D}3.0{X}, n=2)" in row and "mp.Pipe" in row
    assert ipc_objects_table(tidy_frame(ipc_rows("ipc", "", [1.0]))) == NO_DATA


# --- the GIL convoy ---------------------------------------------------------------------------


@pytest.mark.parametrize("model", ["threads", "processes"])
def test_the_convoy_times_idle_and_busy_round_trips(
    model: str, monkeypatch: pytest.MonkeyPatch, children: Children
) -> None:
    monkeypatch.setattr(convoy, "ROUND_TRIPS", 5)
    before, interval = threading.active_count(), sys.getswitchinterval()
    case = one_case("convoy", model=model, workers=1, variant="switch_0.5ms",
                    start_method=None if model == "threads" else "fork")  # fmt: skip
    idle, busy = convoy.measure(case, repeat=2)
    assert (idle.metric, busy.metric) == ("idle_round_trip_seconds", "busy_round_trip_seconds")
    assert len(idle.values) == len(busy.values) == 2 and idle.fits_pyperf and busy.fits_pyperf
    assert idle.params == {"switch_interval_s": 0.0005}
    assert sys.getswitchinterval() == interval  # put back
    assert threading.active_count() == before and children.left() == set()


def test_the_convoy_refuses_what_it_cannot_measure() -> None:
    case = one_case("convoy", model="threads")
    with pytest.raises(ValueError, match="variant"):
        convoy.measure(dataclasses.replace(case, variant="nope"))
    with pytest.raises(ValueError, match="is not one of"):
        convoy.measure(dataclasses.replace(case, model="thread_pool"))


def convoy_rows(idle: list[float], busy: list[float]) -> list[dict]:
    made = []
    for metric, values in (("idle_round_trip_seconds", idle), ("busy_round_trip_seconds", busy)):
        made += [tidy_row(family="convoy", workload="echo_under_load", measure="convoy",
                          model="threads", workers=2, variant="switch_default", round=number,
                          metric=metric, value=value)
                 for number, value in enumerate(values, start=1)]  # fmt: skip
    return made


def test_the_convoy_table_pairs_busy_with_idle_within_each_round() -> None:
    text = convoy_table(tidy_frame(convoy_rows([50e-6, 100e-6], [5e-3, 10e-3])))
    row = text.splitlines()[-1]
    assert f"100{X} (100{D}100{X}, n=2)" in row and "default (5 ms)" in row


# --- Executor.map with buffersize ---------------------------------------------------------


@pytest.mark.parametrize("model", ["thread_pool", "process_pool"])
def test_an_eager_map_is_timed_and_its_peak_taken(model: str, children: Children) -> None:
    case = dataclasses.replace(
        one_case("map_buffer", model=model, variant="eager",
                 start_method=None if model == "thread_pool" else "fork"),
        size=500,
    )  # fmt: skip
    first, every, peak = map_buffer.measure(case, repeat=2)
    assert first.metric == "first_result_seconds" and len(first.values) == 2
    assert all(f <= a for f, a in zip(first.values, every.values, strict=True))
    assert peak.unit == "byte" and peak.values[0] > 0 and peak.params == {"buffersize": 0}
    assert children.left() == set()


def test_the_buffered_map_runs_from_3_14_and_says_why_not_before() -> None:
    case = dataclasses.replace(one_case("map_buffer", model="thread_pool", variant="buffered"),
                               size=500)  # fmt: skip
    found = map_buffer.measure(case)
    if sys.version_info >= (3, 14):
        assert found[0].metric == "first_result_seconds"
        assert found[0].params == {"buffersize": map_buffer.BUFFER_PER_WORKER * case.workers}
    else:
        assert [(m.metric, m.values) for m in found] == [
            ("outcome", ["n/a: Executor.map takes buffersize from Python 3.14"])
        ]


def test_the_map_table_pairs_buffered_with_eager() -> None:
    rows = []
    for variant, first, peak in (("eager", [0.2, 0.4], 8e6), ("buffered", [0.002, 0.004], 8e3)):
        for number, value in enumerate(first, start=1):
            common = {
                "family": "map_buffer",
                "measure": "map_buffer",
                "model": "thread_pool",
                "workers": 2,
                "variant": variant,
                "round": number,
            }
            rows += [
                tidy_row(**common, metric="first_result_seconds", value=value),
                tidy_row(**common, metric="all_results_seconds", value=1.0),
                tidy_row(**common, metric="parent_peak_bytes", unit="byte", value=peak),
            ]
    text = map_buffer_table(tidy_frame(rows))
    row = text.splitlines()[-1]
    assert f"0.010{X}" in row or f"0.01{X}" in row  # first result, buffered / eager
    assert "thread pool" in row


# --- the start method a program gets without asking -----------------------------------------


def startup_rows(version: str, timed: str, method: str, values: list[float]) -> list[dict]:
    return [tidy_row(interpreter=f"cpython-{version}", python_version=version,
                     family="pool_startup", workload="noop", model="process_pool",
                     start_method=method, workers=2, timed=timed, round=number, value=value)
            for number, value in enumerate(values, start=1)]  # fmt: skip


def test_the_start_method_table_gives_each_interpreter_its_default_and_its_cost() -> None:
    frame = tidy_frame(
        startup_rows("3.13.0", "lifecycle", "fork", [0.005, 0.010]),
        startup_rows("3.13.0", "lifecycle", "forkserver", [0.030, 0.060]),  # 6x each round
        startup_rows("3.13.0", "first_result", "fork", [0.004]),
        startup_rows("3.14.8", "first_result", "fork", [0.004]),
        startup_rows("3.14.8", "first_result", "forkserver", [0.040]),
    )
    lines = start_method_table(frame).splitlines()
    lifecycle = next(line for line in lines if "3.13.0" in line and "shut down" in line)
    assert "| fork |" in lifecycle and f"6.0{X} (6.0{D}6.0{X}, n=2)" in lifecycle
    first = next(line for line in lines if "3.13.0" in line and "first result" in line)
    assert "4.00 ms" in first  # its own rows only: never a median with the lifecycle's
    newer = next(line for line in lines if "3.14.8" in line)
    assert "| forkserver |" in newer and f"10{X} (n=1)" in newer
    assert start_method_table(frame.iloc[0:0]) == NO_DATA
