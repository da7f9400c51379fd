"""The report asks the models registry, never a literal name: a model registered with
traits of its own is coloured and labelled by its entry and counted only where its
traits put it; a model the registry does not know is shown under its name, in grey,
and counted nowhere."""

from __future__ import annotations

from typing import Any

import helpers_figures as figures
import pandas as pd
import pytest
from matplotlib.colors import to_hex
from test_report_claims import evaluate, faults, io, memory, outcomes, rule, timings
from test_report_claims import frame as claim_frame
from test_report_figures import GIL, decision_frame, errorbars, made, row, scaling_frame

import bench.models as registry
from bench.evidence.tables import speedup_table
from bench.models import Isolation, ModelSpec, Role, model_of
from bench.report.claims import DOES_NOT_HOLD, HOLDS
from bench.report.metrics import paired_speedups
from bench.report.select import (
    config_label,
    is_process_pool,
    model_label,
    models_where,
    runs_processes,
    runs_threads,
    series_label,
)

#: A pool of subinterpreters, as an engineer might register one: neither thread nor process.
DUMMY = ModelSpec(
    "dummy_interpreters", "bench.models.sequential", "dummy interpreters", "#117733",
    Isolation.INTERPRETER, pool=True,
)  # fmt: skip
#: A model of an old or foreign results file, unknown to the registry.
UNKNOWN = "mystery_model"
KIB, MIB = 1 << 10, 1 << 20


@pytest.fixture
def dummy(monkeypatch: pytest.MonkeyPatch) -> ModelSpec:
    monkeypatch.setitem(registry.MODELS, DUMMY.name, DUMMY)
    return DUMMY


def test_the_traits_sort_the_registered_models(dummy: ModelSpec) -> None:
    assert dummy.name in registry.MODELS
    processes, threads = models_where(runs_processes), models_where(runs_threads)
    assert processes[:2] == ("processes", "process_pool")  # others may follow: loky...
    assert threads == ("threads", "thread_pool")
    for name, spec in registry.MODELS.items():  # subinterpreters, clusters: neither
        assert (name in processes) == (spec.isolation is Isolation.PROCESS)
        assert name not in threads or spec.isolation is Isolation.SHARED
    assert dummy.name not in processes + threads
    assert model_of(Role.LOOP) == "sequential"
    # another pool of processes joins the pools, but the process pool is the one with its role
    loky_like = ModelSpec("other_pool", "bench.models.process_pool", "other", "#000000",
                          Isolation.PROCESS, pool=True, requires=("some_package",))  # fmt: skip
    with pytest.MonkeyPatch.context() as patch:
        patch.setitem(registry.MODELS, "other_pool", loky_like)
        assert "other_pool" in models_where(is_process_pool)
        assert model_of(Role.PROCESS_POOL) == "process_pool"


def test_labels_come_from_the_registry_and_unknown_models_keep_their_name(
    dummy: ModelSpec,
) -> None:
    assert model_label(dummy.name) == "dummy interpreters"
    assert config_label(dummy.name, "n/a") == "dummy interpreters"
    assert series_label("process_pool", "spawn") == "process pool (spawn)"
    assert model_label(UNKNOWN) == UNKNOWN and series_label(UNKNOWN, None) == UNKNOWN


def test_the_colours_of_the_six_models_are_those_drawn_before() -> None:
    # the figures of the six models look as they did when the colours were typed in here
    before = {
        "sequential": "#7f7f7f", "threads": "#0072b2", "thread_pool": "#009e73",
        "processes": "#d55e00", "process_pool": "#cc79a7", "asyncio": "#aa7700",
    }  # fmt: skip
    assert {m: figures.MODEL_COLOURS[m] for m in before} == before
    assert {m: figures.model_colour(m) for m in before} == before


def with_series(model: str, speedup: float) -> pd.DataFrame:
    """The scaling frame and one more series at 2 workers on the default build."""
    extra = [
        row(interpreter=GIL, round=r, model=model, workers=2, value=slow / speedup)
        for r, slow in ((1, 1.0), (2, 2.0))
    ]
    return pd.concat([scaling_frame(), pd.DataFrame(extra)], ignore_index=True)


def series_colour(fig: Any, label: str) -> tuple[str, str]:
    """The colour and line style of the series ``label`` in the figure's first panel
    that has it."""
    for ax in fig.axes:
        for container in errorbars(ax):
            if container.get_label() == label:
                line = container.lines[0]
                return to_hex(line.get_color()), str(line.get_linestyle())
    raise AssertionError(f"no series {label!r}")


def test_a_registered_model_is_drawn_in_its_own_colour_under_its_label(
    dummy: ModelSpec,
) -> None:
    fig, alt = made(figures.make_scaling(with_series(dummy.name, 1.5)))
    assert series_colour(fig, "dummy interpreters") == (dummy.colour, "-")
    assert series_colour(fig, "process pool (fork)")[0] == figures.MODEL_COLOURS["process_pool"]
    assert dummy.name not in alt


def test_an_unknown_model_is_grey_and_named_and_not_taken_for_the_loop() -> None:
    fig, _alt = made(figures.make_scaling(with_series(UNKNOWN, 1.5)))
    colour, style = series_colour(fig, UNKNOWN)
    assert colour == figures.TEXT
    assert style == "-."  # the loop's line is solid


def test_a_winning_registered_model_colours_its_cell(dummy: ModelSpec) -> None:
    frame = decision_frame()
    fast = frame[frame["model"] == "thread_pool"].assign(
        model=dummy.name, value=lambda f: f["value"] / 10, time_s=lambda f: f["time_s"] / 10
    )
    fast["benchmark"] = fast["benchmark"].str.replace("thread_pool", dummy.name)
    fig, alt = made(figures.make_decision_map(pd.concat([frame, fast], ignore_index=True)))
    colours = {to_hex(p.get_facecolor()) for p in fig.axes[0].patches}
    assert dummy.colour in colours
    assert "dummy interpreters 4" in alt  # it wins every cell, counted under its label


def test_tables_name_models_by_label(dummy: ModelSpec) -> None:
    table = speedup_table(paired_speedups(with_series(dummy.name, 1.5)))
    assert "| dummy interpreters |" in table and "| loop |" in table


# --- claims: counted only where the traits put it ---------------------------------------


def crash_rows(model: str) -> list[dict[str, Any]]:
    """A model that loses every task and never recovers when one task dies hard."""
    rows: list[dict[str, Any]] = []
    for variant in ("os_exit", "segfault"):
        case = {"family": "fault", "measure": "fault", "group": "fault:fault[8 tasks]",
                "workers": 2, "variant": variant, "model": model}  # fmt: skip
        rows += outcomes("tasks_finished", "count", [0, 0], **case)
        rows += outcomes("recovered", "flag", [False, False], **case)
        rows += outcomes("program_survived", "flag", [True, True], **case)
    return rows


@pytest.mark.parametrize("model", [DUMMY.name, UNKNOWN])
def test_a_model_that_is_no_process_is_not_counted_as_one(dummy: ModelSpec, model: str) -> None:
    """Subinterpreters that break on a crash neither refute fault isolation (they are no
    processes) nor make threads look safe (they are no threads)."""
    alone = rule("processes_isolate_faults")(claim_frame(faults()))
    beside = rule("processes_isolate_faults")(claim_frame(faults(), crash_rows(model)))
    assert alone.verdict == beside.verdict == HOLDS
    assert beside.figures == alone.figures
    # the same rows under a process model's name do refute it: the test can fail
    refuted = rule("processes_isolate_faults")(claim_frame(faults(), crash_rows("process_pool")))
    assert refuted.verdict == DOES_NOT_HOLD


def cheap_memory(model: str) -> list[dict[str, Any]]:
    """A model whose workers cost nothing: the cheapest "process" if it were one."""
    rows: list[dict[str, Any]] = []
    for workers in (1, 2, 4, 8):
        case = {"family": "memory", "measure": "memory", "timed": "lifecycle", "model": model,
                "start_method": "n/a", "workers": workers}  # fmt: skip
        rows += outcomes("pss_bytes", "byte", [30 * MIB - 4 * KIB, 30 * MIB + 4 * KIB], **case)
    return rows


@pytest.mark.parametrize("model", [DUMMY.name, UNKNOWN])
def test_memory_per_process_counts_processes_only(dummy: ModelSpec, model: str) -> None:
    verdict = rule("processes_cost_memory")(
        claim_frame(memory(16 * KIB, 2 * MIB, 10 * MIB), cheap_memory(model))
    )
    assert verdict.verdict == HOLDS
    assert set(verdict.figures["per_process_bytes"]) == {"processes/fork", "processes/spawn"}


@pytest.mark.parametrize("model", [DUMMY.name, UNKNOWN])
def test_the_best_thread_on_io_is_a_thread(dummy: ModelSpec, model: str) -> None:
    rows = []
    for workload in ("sleep", "tcp"):
        case: dict[str, Any] = {"family": "io", "workload": workload, "group": f"io:{workload}[x]"}
        rows += timings(0.001, model=model, workers=64, **case)  # faster than any thread
    verdict = rule("threads_suit_io")(claim_frame(io(0.04, 0.08), rows))
    assert verdict.figures["best_thread"]["sleep"]["config"] == "thread pool at 64 workers"


def test_every_claim_survives_a_results_file_of_unknown_models() -> None:
    data = claim_frame(io(0.04, 0.08), faults(), crash_rows(UNKNOWN), cheap_memory(UNKNOWN))
    foreign = data.assign(model=data["model"].map(lambda m: f"old_{m}"))
    verdicts = evaluate(foreign)
    assert not verdicts.empty
    assert set(verdicts["verdict"]) == {"no data"}  # nothing counted, nothing crashed
