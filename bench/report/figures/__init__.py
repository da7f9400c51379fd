"""Figures: one SVG per claim, drawn from the tidy table.

A figure is one module here with one ``make`` function registered by
``registry.figure`` (or ``registry.figure_per_group``): ``select_x(frame)`` keeps the
rows it draws (what its cache key hashes), ``make_x(frame)`` builds the Figure and its
alt text (None without data), ``plot_x(frame, path)`` saves it. ``style`` holds the
look and the SVG writer, ``cache`` the cache of drawn SVGs. Figures never touch
pyplot's global state; the SVG bytes are the same for the same data.
"""

from __future__ import annotations

from bench.report.figures import arrays as arrays  # registers the NumPy figure
from bench.report.figures import http as http  # registers the HTTP-at-scale figures
from bench.report.figures.cache import (
    MAX_CACHED_BYTES,
    SVG_ELEMENTS,
    VERSION,
    FigureInfo,
    data_key,
    draw_cached,
    svg_problem,
)
from bench.report.figures.decision_map import (
    decision_winners,
    make_decision_map,
    plot_decision_map,
    select_decision_map,
)
from bench.report.figures.free_threading import (
    make_cost,
    make_same_work,
    plot_cost,
    plot_same_work,
    select_cost,
    select_same_work,
)
from bench.report.figures.gil import gil_speedups, make_gil, plot_gil, select_gil
from bench.report.figures.ipc import CHANNEL_COLOURS, make_ipc, plot_ipc, select_ipc
from bench.report.figures.memory import make_memory, plot_memory, select_memory
from bench.report.figures.races import RACE_COLOURS, make_races, plot_races, select_races
from bench.report.figures.registry import (
    TITLES,
    FigureSpec,
    drawing,
    figure,
    figure_per_group,
    figure_specs,
    render_all,
)
from bench.report.figures.scaling import (
    SCALING_FAMILIES,
    SCALING_GROUP,
    make_scaling,
    make_scaling_group,
    plot_scaling,
    scaling_groups,
    scaling_name,
    scaling_title,
    select_scaling,
)
from bench.report.figures.startup import make_startup, plot_startup, select_startup
from bench.report.figures.style import (
    MODEL_COLOURS,
    PALETTE,
    TEXT,
    Made,
    axes_grid,
    legend_below,
    model_colour,
    new_figure,
    save,
    series_style,
    styled,
)

__all__ = [
    "CHANNEL_COLOURS",
    "MAX_CACHED_BYTES",
    "MODEL_COLOURS",
    "PALETTE",
    "RACE_COLOURS",
    "SCALING_FAMILIES",
    "SCALING_GROUP",
    "SVG_ELEMENTS",
    "TEXT",
    "TITLES",
    "VERSION",
    "FigureInfo",
    "FigureSpec",
    "Made",
    "axes_grid",
    "data_key",
    "decision_winners",
    "draw_cached",
    "drawing",
    "figure",
    "figure_per_group",
    "figure_specs",
    "gil_speedups",
    "legend_below",
    "make_cost",
    "make_decision_map",
    "make_gil",
    "make_ipc",
    "make_memory",
    "make_races",
    "make_same_work",
    "make_scaling",
    "make_scaling_group",
    "make_startup",
    "model_colour",
    "new_figure",
    "plot_cost",
    "plot_decision_map",
    "plot_gil",
    "plot_ipc",
    "plot_memory",
    "plot_races",
    "plot_same_work",
    "plot_scaling",
    "plot_startup",
    "render_all",
    "save",
    "scaling_groups",
    "scaling_name",
    "scaling_title",
    "select_cost",
    "select_decision_map",
    "select_gil",
    "select_ipc",
    "select_memory",
    "select_races",
    "select_same_work",
    "select_scaling",
    "select_startup",
    "series_style",
    "styled",
    "svg_problem",
]
