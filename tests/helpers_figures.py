"""The report's figures gathered in one namespace for the tests: the shared machinery of
``bench.report.figures`` and every family folder's figures, registered as the report
registers them (``catalogue.figures()``); ``plot_x(frame, path)`` saves ``make_x(frame)``."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from bench.families import catalogue
from bench.families.cpu.family import FEATURED_GROUP as SCALING_GROUP
from bench.families.cpu.figures import gil_speedups, make_gil, select_gil
from bench.families.free_threading.figures import make_cost, make_same_work
from bench.families.granularity.figures import decision_winners, make_decision_map
from bench.families.ipc import figures as ipc
from bench.families.ipc.figures import CHANNEL_COLOURS, make_ipc, select_ipc
from bench.families.memory.figures import make_memory, select_memory
from bench.families.race.figures import RACE_COLOURS, make_races, select_races
from bench.families.startup.figures import make_startup, select_startup
from bench.report.figures import cache, scaling
from bench.report.figures.cache import FigureInfo, data_key, draw_cached, svg_problem
from bench.report.figures.registry import (
    TITLES,
    figure,
    figure_per_group,
    figure_specs,
    render_all,
)
from bench.report.figures.scaling import (
    make_scaling_group,
    scaling_groups,
    scaling_name,
    scaling_title,
    select_scaling,
)
from bench.report.figures.style import (
    MODEL_COLOURS,
    PALETTE,
    TEXT,
    FigureWithAlt,
    axes_grid,
    legend_below,
    model_colour,
    new_figure,
    save,
    save_made,
    series_style,
    styled,
)

catalogue.figures()  # every folder's figures registered, as the report has them

__all__ = [
    "CHANNEL_COLOURS", "MODEL_COLOURS", "PALETTE", "RACE_COLOURS", "SCALING_GROUP", "TEXT",
    "TITLES", "FigureInfo", "FigureWithAlt", "axes_grid", "cache", "data_key", "decision_winners",
    "draw_cached", "figure", "figure_per_group", "figure_specs", "gil_speedups", "ipc",
    "legend_below", "make_cost", "make_decision_map", "make_gil", "make_ipc", "make_memory",
    "make_races", "make_same_work", "make_scaling", "make_scaling_group", "make_startup",
    "model_colour", "new_figure", "render_all", "save", "scaling", "scaling_groups",
    "scaling_name", "scaling_title", "select_gil", "select_ipc", "select_memory",
    "select_races", "select_scaling", "select_startup", "series_style", "styled",
    "svg_problem",
]  # fmt: skip


def make_scaling(frame: pd.DataFrame) -> FigureWithAlt:
    """The featured scaling curve."""
    return make_scaling_group(frame, SCALING_GROUP)


def _plot(make: object) -> object:
    def plot(frame: pd.DataFrame, path: Path) -> str | None:
        return save_made(make(frame), path)  # type: ignore[operator]

    return plot


plot_scaling = _plot(make_scaling)
plot_gil = _plot(make_gil)
plot_startup = _plot(make_startup)
plot_memory = _plot(make_memory)
plot_ipc = _plot(make_ipc)
plot_races = _plot(make_races)
plot_decision_map = _plot(make_decision_map)
plot_cost = _plot(make_cost)
plot_same_work = _plot(make_same_work)
