"""Selecting rows of the tidy frame, and the labels of models, interpreters and groups."""

from __future__ import annotations

import pandas as pd
import pytest

from bench.report.select import (
    config_label,
    first,
    has_start_method,
    interpreter_label,
    mode,
    numbers,
    pick,
    series_label,
    slug,
    where,
)

FRAME = pd.DataFrame(
    {
        "model": ["threads", "processes", "processes", "sequential"],
        "start_method": ["n/a", "fork", "spawn", "n/a"],
        "workers": [2, 2, 4, 1],
        "value": [1.5, "BrokenProcessPool", 3, None],
        "time_s": [1.5, None, 3.0, None],
    }
)


def test_where_keeps_rows_whose_columns_equal_a_value_or_one_of_a_tuple() -> None:
    assert list(where(FRAME, model="processes")["start_method"]) == ["fork", "spawn"]
    assert list(where(FRAME, model=("threads", "sequential"), workers=2)["model"]) == ["threads"]
    assert where(FRAME, family="cpu_python").empty  # no such column: no such rows
    assert list(where(FRAME).index) == list(FRAME.index)


def test_pick_is_where_with_numbers_for_values() -> None:
    picked = pick(FRAME, model="processes")
    assert picked["value"].isna().tolist() == [True, False]  # a text is no number
    assert picked["value"].dtype == float
    assert pick(FRAME, family="io").empty
    assert pick(FRAME.iloc[0:0], model="threads").empty


def test_numbers_first_and_mode() -> None:
    assert numbers(FRAME) == [1.5, 3.0]
    assert numbers(pd.DataFrame({"value": [True, "x", 2]})) == [1.0, 2.0]
    assert first(FRAME, "value") == 1.5
    assert first(FRAME, "gil_enabled") is None
    assert mode(FRAME, "start_method") == "n/a"
    assert mode(FRAME, "nothing") is None


@pytest.mark.parametrize(
    ("model", "method", "config", "series"),
    [
        ("process_pool", "fork", "process pool/fork", "process pool (fork)"),
        ("threads", "n/a", "threads", "threads"),
        ("sequential", "n/a", "loop", "loop"),  # the registry's label, not the name
        ("mp.Pipe", "fork", "mp.Pipe/fork", "mp.Pipe (fork)"),  # unregistered: its name
        ("threads", None, "threads", "threads"),
        ("threads", "", "threads", "threads"),
    ],
)
def test_labels_of_a_model_and_its_start_method(
    model: str, method: str | None, config: str, series: str
) -> None:
    assert config_label(model, method) == config
    assert series_label(model, method) == series
    assert has_start_method(method) == ("/" in config)


def test_interpreter_label_names_the_gil_the_workers_saw() -> None:
    frame = pd.DataFrame(
        {
            "interpreter": ["py", "ft", "ft1", "ft1", "old"],
            "python_build": ["default", "free-threading", "free-threading", None, None],
            "gil_enabled": ["enabled", "disabled", "enabled", "unknown", None],
        }
    )
    assert interpreter_label(frame, "py") == "py (GIL)"
    assert interpreter_label(frame, "ft") == "ft (free-threaded, no GIL)"
    assert interpreter_label(frame, "ft1") == "ft1 (free-threaded build, GIL on)"
    assert interpreter_label(frame, "old") == "old"


def test_slug() -> None:
    assert slug("cpu_python:count_primes[100ms]") == "cpu-python-count-primes-100ms"
    assert slug("io:file[256KiB]") == "io-file-256kib"
