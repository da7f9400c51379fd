"""Trend charts of key benchmarks over the nights, and the table of what changed.

One SVG per key (a small family of benchmarks), one panel per benchmark, one
line per machine and interpreter (never one line across them): x is the run's
date, y the run's median with the confidence interval of that median as a band.
Drawn with the report's style (``bench.report.figures``): transparent, mid-grey
text, Okabe-Ito colours plus markers, deterministic bytes, and cached by the
hash of the rows drawn (``<name>.svg.key``) like the report's figures.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.dates import AutoDateLocator, ConciseDateFormatter, date2num
from matplotlib.ticker import FuncFormatter

from bench.families import catalogue
from bench.report import tables
from bench.report.figures.cache import FigureInfo, data_key, draw_cached
from bench.report.figures.style import PALETTE, axes_grid, legend_below, new_figure, styled
from bench.report.format import UNIT_FORMATS, format_number, format_ratio, is_missing
from bench.results.schema import DEFINITION_HASH_KEY


@dataclass(frozen=True)
class TrendKey:
    """A trend chart: ``panels`` are (label, benchmark, metric) present in the data."""

    name: str
    title: str
    panels: tuple[tuple[str, str, str], ...]


def trend_specs() -> tuple[TrendKey, ...]:
    """The charts the family folders declare (``TRENDS``), each panel a case of the
    family's own: a renamed case renames its panel's benchmark with it."""
    return tuple(
        TrendKey(t.name, t.title, tuple((p.label, p.benchmark, p.metric) for p in t.panels))
        for t in catalogue.trends()
    )


#: Columns of the summaries a trend draws (and its cache key hashes).
TREND_COLUMNS = [
    "machine", "interpreter", "run_id", "date", "benchmark", "metric", "unit",
    DEFINITION_HASH_KEY, "median", "low", "high",
]  # fmt: skip
MARKERS = ("o", "s", "^", "D", "v", "P")
#: Up to this many runs per line the points get markers; beyond, they would be a smear.
MARKED_POINTS = 60
LINESTYLES = ("-", "--", ":", "-.")


def trend_keys(frame: pd.DataFrame) -> list[TrendKey]:
    """The charts of :func:`trend_specs` with the panels whose benchmark and metric
    ``frame`` (tidy rows or summaries) holds; charts without any panel are dropped."""
    if frame.empty:
        return []
    present = set(zip(frame["benchmark"], frame["metric"], strict=True))
    keys = []
    for spec in trend_specs():
        panels = tuple(p for p in spec.panels if (p[1], p[2]) in present)
        if panels:
            keys.append(TrendKey(spec.name, spec.title, panels))
    return keys


def select_trend(summaries: pd.DataFrame, key: TrendKey) -> pd.DataFrame:
    """The summary rows ``key`` draws, sorted."""
    wanted = {(b, m) for _, b, m in key.panels}
    mask = [
        pair in wanted for pair in zip(summaries["benchmark"], summaries["metric"], strict=True)
    ]
    rows = summaries.loc[mask, :]
    if DEFINITION_HASH_KEY not in rows:  # summaries made by hand, without definitions
        rows = rows.assign(**{DEFINITION_HASH_KEY: None})
    rows = rows.loc[:, TREND_COLUMNS]
    return rows.sort_values(["machine", "interpreter", "benchmark", "run_id"], kind="stable")


def _fmt(unit: str) -> Any:
    return UNIT_FORMATS.get(unit, format_number)


def series_label(machine: Any, interpreter: Any, machines: int) -> str:
    return f"{interpreter} on {machine}" if machines > 1 else str(interpreter)


@styled
def make_trend(rows: pd.DataFrame, key: TrendKey) -> tuple[Any, str] | None:
    """The chart of ``key`` from its rows (``select_trend``) and its alt text."""
    if rows.empty:
        return None
    series = sorted(
        rows.loc[:, ["machine", "interpreter"]].drop_duplicates().itertuples(index=False)
    )
    machines = rows["machine"].nunique()
    fig = new_figure(len(key.panels), width=4.2, height=3.2)
    axes = axes_grid(fig, len(key.panels))[0]
    described = []
    for ax, (label, benchmark, metric) in zip(axes, key.panels, strict=True):
        panel = rows[(rows["benchmark"] == benchmark) & (rows["metric"] == metric)]
        unit = str(panel["unit"].iloc[0]) if not panel.empty else "second"
        fmt = _fmt(unit)
        for k, (machine, interpreter) in enumerate(series):
            line = panel[(panel["machine"] == machine) & (panel["interpreter"] == interpreter)]
            if line.empty:
                continue
            line = line.sort_values(["date", "run_id"], kind="stable")
            name = series_label(machine, interpreter, machines)
            changed = _draw_series(ax, line, k, name)
            first, last = line.iloc[0], line.iloc[-1]
            described.append(
                f"{label}, {name}: "
                f"{fmt(float(first['median']))} on {_day(first['date'])}, "
                f"{fmt(float(last['median']))} on {_day(last['date'])} ({len(line)} run(s)"
                + (f"; its definition changed {changed} time(s), a dotted line marks each"
                   if changed else "") + ")"
            )  # fmt: skip
        _date_axis(ax, fmt)
        ax.set_title(label)
        ax.set_ylabel(f"median {metric}" if metric != "time" else "median time")
    fig.suptitle(key.title)
    legend_below(fig, list(np.asarray(axes).flat), ncols=3)
    alt = (
        f"{key.title}. Median per run with the confidence interval of the median as a band, "
        f"one line per machine and interpreter. " + "; ".join(described) + "."
    )
    return fig, alt


def _draw_series(ax: Axes, line: pd.DataFrame, k: int, name: str) -> int:
    """One machine's and interpreter's medians by date, the ``k``-th style; one segment per
    benchmark definition, as a changed definition breaks the line. How often it changed."""
    x = date2num(pd.to_datetime(line["date"]).dt.tz_localize(None).to_numpy())
    colour = PALETTE[k % len(PALETTE)]
    definition = line[DEFINITION_HASH_KEY].fillna("")
    segment = definition.ne(definition.shift()).cumsum().to_numpy()
    for n in np.unique(segment):
        part = segment == n
        if n > 1:
            ax.axvline(x[part][0], color=colour, linestyle=":", linewidth=1)
        ax.fill_between(
            x[part], line["low"].to_numpy(float)[part], line["high"].to_numpy(float)[part],
            color=colour, alpha=0.18, linewidth=0,
        )  # fmt: skip
        ax.plot(
            x[part],
            line["median"].to_numpy(float)[part],
            color=colour,
            marker=MARKERS[k % len(MARKERS)],
            linestyle=LINESTYLES[k % len(LINESTYLES)],
            markersize=4 if len(line) <= MARKED_POINTS else 0,  # a year: styles tell
            linewidth=1.5,
            label=name if n == 1 else None,
        )
    return int(segment.max()) - 1


def _date_axis(ax: Axes, fmt: Callable[[float], str]) -> None:
    """Dates along x (a day either side of a single night), values from 0 along y."""
    lines = ax.get_lines()
    xs = np.concatenate([ln.get_xdata() for ln in lines]) if lines else np.array([])
    if xs.size and np.ptp(xs) < 1:  # one night: a day either side, not minute ticks
        ax.set_xlim(float(np.mean(xs)) - 1, float(np.mean(xs)) + 1)
    locator = AutoDateLocator(minticks=2, maxticks=6)
    ax.xaxis.set_major_locator(locator)
    ax.xaxis.set_major_formatter(ConciseDateFormatter(locator))
    ax.yaxis.set_major_formatter(FuncFormatter(lambda v, _pos, f=fmt: f(v)))
    ax.set_ylim(bottom=0)


def _day(value: Any) -> str:
    when = pd.Timestamp(value)
    return "unknown date" if pd.isna(when) else when.strftime("%Y-%m-%d %H:%M")


def render_trends(summaries: pd.DataFrame, out_dir: Path) -> list[FigureInfo]:
    """Draw every trend chart there is data for into ``out_dir/<name>.svg``
    (cached by its rows, see ``figures.draw_cached``)."""
    infos = []
    keys = {k.name: k for k in trend_keys(summaries)}
    for spec in trend_specs():
        key = keys.get(spec.name)
        rows = select_trend(summaries, key) if key else pd.DataFrame()
        digest = data_key(rows.astype(str), f"{spec.name}:{key.panels}") if key else None
        info = draw_cached(
            spec.name,
            key.title if key else spec.title,
            rows,
            functools.partial(make_trend, key=key or spec),  # no key: no rows, never drawn
            out_dir,
            digest if not rows.empty else None,
        )
        if info is not None:
            infos.append(info)
    return infos


# --- the table of changes -------------------------------------------------------------


def _value_text(value: Any, unit: Any) -> str | None:
    if is_missing(value):
        return None
    return UNIT_FORMATS.get(str(unit), format_number)(value)


def changes_table(changes: pd.DataFrame, *, significant_only: bool = True) -> str:
    """``detect_changes`` as a Markdown table: by default only the significant rows,
    slowest first within each machine and interpreter; ``tables.NO_DATA`` without rows."""
    rows = changes[changes["significant"]] if significant_only and not changes.empty else changes
    if rows.empty:
        return tables.NO_DATA
    rows = rows.assign(
        before_text=[_value_text(v, u) for v, u in zip(rows["before"], rows["unit"], strict=True)],
        after_text=[_value_text(v, u) for v, u in zip(rows["after"], rows["unit"], strict=True)],
        p_text=[None if is_missing(p) else f"{p:.2g}" for p in rows["p_adjusted"]],
        _order=-rows["change"].astype(float),
    ).sort_values(["machine", "interpreter", "_order", "benchmark"], kind="stable")
    columns = [
        ("machine", "machine"),
        ("interpreter", "interpreter"),
        ("benchmark", "benchmark"),
        ("metric", "metric"),
        ("before_text", "before (median of runs)"),
        ("after_text", "newest"),
        ("change", "change"),
        ("drift", "machine drift"),
        ("p_text", "p (adjusted)"),
        ("runs", "runs"),
        ("verdict", "verdict"),
    ]
    formats = {"change": format_ratio, "drift": format_ratio}
    right = ["before_text", "after_text", "change", "drift", "p_text", "runs"]
    return tables.markdown_table(rows, columns, formats, right=right)
