"""Markdown tables (GitHub / MkDocs pipe tables): the generic table, its sorting rules, and
the registry of the report's tables.

Every cell is escaped, whatever its origin: CPU names, hostnames and exception
texts come from results files that anyone may send, and the site must show them
as plain text, never as Markdown structure or HTML. Numbers are written by
``bench.report.format``; a missing value is shown as ``MISSING``. Rows are
sorted on fixed keys, so the same data always gives the same string (the site's
pages are diffed night to night).

A family folder's ``tables.py`` registers its tables with :func:`table`; the tables
of no one family (the environment, the timings...) are the evidence pipeline's.
"""

from __future__ import annotations

import statistics
from collections import Counter
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from numbers import Real
from typing import Any

import numpy as np
import pandas as pd

from bench.report.format import (
    DASH,
    MISSING,
    TIMES,
    UNIT_FORMATS,
    Formatter,
    format_any,
    is_missing,
)
from bench.report.markdown import inert

#: What a table with no rows becomes: one short line instead of a header with no body.
NO_DATA = "_No data._\n"


# --------------------------------------------------------------------------- the generic table


def markdown_table(
    frame: pd.DataFrame,
    columns: Sequence[tuple[str, str]],
    formats: Mapping[str, Formatter] | None = None,
    right: Iterable[str] = (),
) -> str:
    """A pipe table of ``frame``'s rows, in their order, with ``columns`` as
    ``(column, header)`` pairs. A cell is ``formats[column](value)`` (``format_any``
    without one) or ``MISSING``; every cell and header is escaped. Columns named in
    ``right`` are right-aligned (numbers). No rows gives ``NO_DATA``."""
    if frame.empty:
        return NO_DATA
    formats = formats or {}
    right = set(right)
    names = [name for name, _ in columns]
    missing = [name for name in names if name not in frame.columns]
    if missing:
        raise KeyError(f"markdown_table: no column {missing} in the frame")

    def cell(name: str, value: Any) -> str:
        if is_missing(value):
            return MISSING
        return inert(formats.get(name, format_any)(value))

    lines = [
        _row([inert(header) for _, header in columns]),
        _row(["---:" if name in right else "---" for name in names]),
    ]
    lines.extend(
        _row([cell(name, value) for name, value in zip(names, values, strict=True)])
        for values in frame.loc[:, names].itertuples(index=False, name=None)
    )
    return "\n".join(lines) + "\n"


def _row(cells: list[str]) -> str:
    # An empty cell would be dropped by some renderers and shift the row.
    return "| " + " | ".join(c or MISSING for c in cells) + " |"


# --------------------------------------------------------------------------- helpers


def ensure_columns(frame: pd.DataFrame, columns: Iterable[str]) -> pd.DataFrame:
    """``frame`` with every one of ``columns``, missing ones added empty (older results)."""
    absent = [c for c in columns if c not in frame.columns]
    if not absent:
        return frame
    return frame.assign(**dict.fromkeys(absent, None))


#: What tells the rows of a frame holding several machines, runs or interpreters apart.
IDENTITY = [("machine", "machine"), ("run_id", "run"), ("interpreter", "interpreter")]


def identity_keys(frame: pd.DataFrame) -> list[str]:
    """The identity columns ``frame`` has: results of different runs are never merged."""
    return [name for name, _ in IDENTITY if name in frame.columns]


def with_identity(frame: pd.DataFrame, columns: list[tuple[str, str]]) -> list[tuple[str, str]]:
    # One machine, run and interpreter per table is the usual page: those columns are
    # shown only when they tell rows apart.
    shown = [
        (name, header)
        for name, header in IDENTITY
        if name in frame.columns and frame[name].nunique(dropna=True) > 1
    ]
    return [*shown, *columns]


def sorted_rows(frame: pd.DataFrame, keys: list[str]) -> pd.DataFrame:
    """Rows in a fixed order: by ``keys``, missing values last, ties kept as they came."""
    keys = [k for k in keys if k in frame.columns]
    if not keys:
        return frame.reset_index(drop=True)
    return frame.sort_values(keys, kind="stable", na_position="last", key=sort_key).reset_index(
        drop=True
    )


def sort_key(column: pd.Series) -> pd.Series:
    # Numbers sort as numbers; anything else (mixed objects, None) as text.
    if pd.api.types.is_numeric_dtype(column) or pd.api.types.is_bool_dtype(column):
        return column
    return column.map(lambda v: None if is_missing(v) else str(v))


def median_value(rows: pd.DataFrame) -> float | None:
    """The median of the rows' numeric ``value`` (texts and gaps left out); None if none."""
    found = pd.to_numeric(rows["value"], errors="coerce").dropna()
    return float(found.median()) if not found.empty else None


def distinct(values: pd.Series) -> str | None:
    """The distinct values of a column as one text ("2" or "disabled, enabled")."""
    seen = sorted({format_any(v) for v in values if not is_missing(v)})
    return ", ".join(seen) if seen else None


def one_cell(values: list[Any], fmt: Formatter = format_any) -> str | None:
    """Several values of one thing as one cell: the value when all agree, else each
    with its count; numbers that vary: median (min-max)."""
    present = [v for v in values if not is_missing(v)]
    if not present:
        return None
    numeric = all(isinstance(v, Real) and not isinstance(v, (bool, np.bool_)) for v in present)
    if numeric and len({float(v) for v in present}) > 1:
        numbers = [float(v) for v in present]
        return f"{fmt(statistics.median(numbers))} ({fmt(min(numbers))}{DASH}{fmt(max(numbers))})"
    counts = Counter(fmt(v) for v in present)
    if len(counts) == 1:
        return next(iter(counts))
    ranked = sorted(counts.items(), key=lambda item: (-item[1], item[0]))
    return "; ".join(f"{text} {TIMES}{count}" for text, count in ranked)


def summarise_values(values: list[Any], unit: Any) -> str:
    """Several values of one metric as one cell's text, with how many there were: one
    value or all equal: that value; numbers that vary: median (min-max); flags and
    texts that vary: each with its count."""
    present = [v for v in values if not is_missing(v)]
    if not present:
        return MISSING
    fmt = UNIT_FORMATS.get(unit, format_any) if isinstance(unit, str) else format_any
    n = f"n={len(present)}"
    numeric = all(isinstance(v, Real) and not isinstance(v, (bool, np.bool_)) for v in present)
    if numeric:
        numbers = [float(v) for v in present]
        low, high = min(numbers), max(numbers)
        if low == high:
            return f"{fmt(low)}, {n}"
        return f"{fmt(statistics.median(numbers))} ({fmt(low)}{DASH}{fmt(high)}), {n}"
    counts = Counter(fmt(v) for v in present)
    if len(counts) == 1:
        return f"{next(iter(counts))}, {n}"
    ranked = sorted(counts.items(), key=lambda item: (-item[1], item[0]))
    return "; ".join(f"{text} {TIMES}{count}" for text, count in ranked)


# --------------------------------------------------------------------------- the registry


@dataclass(frozen=True)
class TableSpec:
    """A registered table: made from the newest runs' rows; ``order`` places it in the
    report (the evidence pipeline's own tables have their places among them)."""

    name: str
    order: int
    make: Callable[[pd.DataFrame], str]


_REGISTRY: dict[str, TableSpec] = {}


def table(
    name: str, *, order: int
) -> Callable[[Callable[[pd.DataFrame], str]], Callable[[pd.DataFrame], str]]:
    """Register the decorated ``make(latest) -> Markdown`` as the report's table ``name``."""

    def register(make: Callable[[pd.DataFrame], str]) -> Callable[[pd.DataFrame], str]:
        if name in _REGISTRY:
            raise ValueError(f"a table named {name!r} is already registered")
        _REGISTRY[name] = TableSpec(name, order, make)
        return make

    return register


def registered() -> tuple[TableSpec, ...]:
    """Every registered table, in order."""
    return tuple(sorted(_REGISTRY.values(), key=lambda spec: (spec.order, spec.name)))
