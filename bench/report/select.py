"""Selecting rows of the tidy frame, and the labels that name what they hold.

Claims, figures and pages filter the same frame the same way (``where``, ``pick``),
gather models by their traits in the registry (``models_where``: every model of a kind;
the one model a claim names is the model of a role, ``bench.models.model_of``), and
name a model by its label with its start method, an interpreter with its GIL state, or
a group as a file name, through the functions here.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from typing import Any

import numpy as np
import pandas as pd

import bench.models as registry
from bench.models import Isolation, ModelSpec

#: What the results write as the start method of a model that has none.
NO_START_METHOD = frozenset({"", "n/a", "none"})


# --- rows ----------------------------------------------------------------------------

#: What identifies a run: results of two runs (or machines) are never mixed.
RUN_KEYS = ["machine", "run_id"]


def present(frame: pd.DataFrame, keys: Iterable[str]) -> list[str]:
    """The keys that are columns of ``frame``, in order."""
    return [k for k in keys if k in frame.columns]


def where(frame: pd.DataFrame, **equals: Any) -> pd.DataFrame:
    """Rows whose columns equal the values (a tuple: any of them); none if a column
    is missing, so that a frame without that measurement simply has no such rows."""
    if frame.empty:
        return frame
    mask = pd.Series(True, index=frame.index)
    for column, value in equals.items():
        if column not in frame.columns:
            return frame.iloc[0:0]
        values = value if isinstance(value, tuple) else (value,)
        mask &= frame[column].isin(values)
    return frame[mask]


def numeric(frame: pd.DataFrame) -> pd.DataFrame:
    """Values as floats: the tidy table keeps texts beside numbers in ``value``."""
    out = frame.copy()
    for column in ("value", "time_s"):
        if column in out:
            out[column] = pd.to_numeric(out[column], errors="coerce").astype(float)
    return out


def pick(frame: pd.DataFrame, **equals: Any) -> pd.DataFrame:
    """``where``, with ``value`` and ``time_s`` as floats (what a figure plots)."""
    if frame.empty or any(column not in frame for column in equals):
        return frame.iloc[0:0]
    return numeric(where(frame, **equals))


def numbers(frame: pd.DataFrame) -> list[float]:
    """The rows' values as floats (a flag is 0 or 1; texts and missing values are dropped)."""
    out = []
    for value in frame["value"] if "value" in frame.columns else []:
        if isinstance(value, bool | int | float | np.number) and not pd.isna(value):
            out.append(float(value))
    return out


def first(frame: pd.DataFrame, column: str) -> Any:
    """The column's first value that is not missing (a run-wide parameter), else None."""
    values = frame[column].dropna() if column in frame.columns else pd.Series(dtype=object)
    return None if values.empty else values.iloc[0]


def mode(frame: pd.DataFrame, column: str) -> Any:
    """The column's most frequent value as text (ties: the first in sort order), else None."""
    if column not in frame or frame[column].dropna().empty:
        return None
    counts = frame[column].dropna().astype(str).value_counts()
    return sorted(counts.index, key=lambda v: (-counts[v], v))[0]


# --- models, by trait -------------------------------------------------------------------
# Claims and figures gather every model of a kind by trait (every model of processes,
# every thread), so that a new model joins every comparison its traits fit; the one
# model a claim names ("the process pool") is the model of its role, never the first of
# a kind. A model the registry does not know (an old or foreign results file) has no
# traits: it is in no set below, and is shown under its own name.

Trait = Callable[[ModelSpec], bool]


def is_loop(spec: ModelSpec) -> bool:
    """The plain loop every speedup is taken against."""
    return spec.baseline


def is_thread(spec: ModelSpec) -> bool:
    """Threads started and joined for every batch ("threads" in the guide's claims)."""
    return spec.isolation is Isolation.SHARED and spec.starts_per_run


def is_thread_pool(spec: ModelSpec) -> bool:
    """A pool of threads, opened once and reused."""
    return spec.isolation is Isolation.SHARED and spec.pool


def is_process(spec: ModelSpec) -> bool:
    """Processes started and joined for every batch ("processes" in the guide's claims)."""
    return spec.isolation is Isolation.PROCESS and spec.starts_per_run


def is_process_pool(spec: ModelSpec) -> bool:
    """A pool of processes, opened once and reused."""
    return spec.isolation is Isolation.PROCESS and spec.pool


def runs_threads(spec: ModelSpec) -> bool:
    """Parallel workers sharing one interpreter: a thread of some kind, not an event loop."""
    return is_thread(spec) or is_thread_pool(spec)


def runs_processes(spec: ModelSpec) -> bool:
    """Workers in processes of their own on this machine (never subinterpreters, never a
    remote cluster): what a claim about "processes" counts."""
    return spec.isolation is Isolation.PROCESS


def is_event_loop(spec: ModelSpec) -> bool:
    """Coroutines on one event loop."""
    return spec.is_async


def models_where(*traits: Trait) -> tuple[str, ...]:
    """The registered models with any of ``traits``: a set, in the order of the traits
    given (then of the registry) for the lists and legends that show it."""
    seen: dict[str, None] = {}
    for trait in traits:
        seen.update(dict.fromkeys(registry.model_names(trait)))
    return tuple(seen)


def spec_of(model: Any) -> ModelSpec | None:
    """The registry's traits of ``model``; None for a model it does not know."""
    return registry.MODELS.get(model) if isinstance(model, str) else None


def model_label(model: Any) -> str:
    """What a reader calls ``model`` (``process pool``); its own name when unregistered."""
    spec = spec_of(model)
    return spec.label if spec is not None else str(model)


# --- labels ----------------------------------------------------------------------------


def has_start_method(method: Any) -> bool:
    return isinstance(method, str) and method not in NO_START_METHOD


def config_label(model: Any, method: Any) -> str:
    """``process pool/fork``, ``threads``: a model's label with its start method, if any
    (claims)."""
    label = model_label(model)
    return f"{label}/{method}" if has_start_method(method) else label


def series_label(model: Any, method: Any) -> str:
    """``process pool (fork)``, ``threads``: the same, as a legend reads it (figures)."""
    label = model_label(model)
    return f"{label} ({method})" if has_start_method(method) else label


def interpreter_label(frame: pd.DataFrame, interpreter: str) -> str:
    """``cpython-3.13.5t (free-threaded, no GIL)``: the GIL state the workers saw."""
    rows = frame[frame["interpreter"] == interpreter]
    build = mode(rows, "python_build")
    known = (
        rows[rows["gil_enabled"].isin(["enabled", "disabled"])] if "gil_enabled" in rows else rows
    )
    gil = mode(known, "gil_enabled")
    if gil == "disabled":
        return f"{interpreter} (free-threaded, no GIL)"
    if build == "free-threading":
        return f"{interpreter} (free-threaded build, GIL on)"
    if gil == "enabled":
        return f"{interpreter} (GIL)"
    return interpreter


def short_interpreter_label(frame: pd.DataFrame, interpreter: str) -> str:
    """``3.13 (GIL)``, ``3.13t``, ``3.13t with the GIL on``: what a reader calls the build.

    The minor version from ``python_version``, a ``t`` for a free-threaded build, and
    the GIL state its workers saw; the file stem where the version is unknown.
    """
    rows = frame[frame["interpreter"] == interpreter]
    found = re.match(r"(\d+\.\d+)", str(mode(rows, "python_version") or ""))
    if not found:
        return interpreter
    known = (
        rows[rows["gil_enabled"].isin(["enabled", "disabled"])] if "gil_enabled" in rows else rows
    )
    free_threaded = mode(rows, "python_build") == "free-threading"
    gil = mode(known, "gil_enabled")
    if not free_threaded:
        return f"{found.group(1)} (GIL)" if gil != "disabled" else f"{found.group(1)} (no GIL)"
    return f"{found.group(1)}t with the GIL on" if gil == "enabled" else f"{found.group(1)}t"


def readable_interpreter_labels(frame: pd.DataFrame) -> dict[str, str]:
    """Every interpreter of ``frame`` -> its short label, unique: where two builds share
    one (3.13.0 and 3.13.1, both with the GIL), the file stem is added to tell them apart."""
    names = sorted(frame["interpreter"].dropna().astype(str).unique())
    short = {name: short_interpreter_label(frame, name) for name in names}
    clashes = {label for label in short.values() if list(short.values()).count(label) > 1}
    return {n: f"{label} [{n}]" if label in clashes else label for n, label in short.items()}


def slug(text: str) -> str:
    """``cpu_python:count_primes[100ms]`` -> ``cpu-python-count-primes-100ms``: a name
    fit for a file or an anchor."""
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")
