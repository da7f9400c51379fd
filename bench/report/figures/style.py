"""The look of every figure: colours, matplotlib settings, the deterministic SVG writer
and the axes helpers the figures (and the history's trends) share.

Text is one mid grey and series colours are Okabe-Ito shades that keep a contrast of
at least 3:1 on a light and on a dark page; colour is never the only cue.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, ParamSpec, TypeVar

import matplotlib
import numpy as np
import pandas as pd
from cycler import cycler
from matplotlib.axes import Axes
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.layout_engine import ConstrainedLayoutEngine
from matplotlib.ticker import FuncFormatter, NullLocator

import bench.models as registry
from bench.report.select import has_start_method, spec_of

#: Mid grey: about 4:1 against white and against a dark theme's background alike.
TEXT = "#7f7f7f"
#: Okabe-Ito colours, darkened where needed to keep >= 3:1 on white and on dark pages.
BLUE, GREEN, VERMILLION, PURPLE, OCHRE = "#0072b2", "#009e73", "#d55e00", "#cc79a7", "#aa7700"
PALETTE = (BLUE, VERMILLION, GREEN, PURPLE, OCHRE, TEXT)
#: Each model's colour, from the registry (``bench.models``): figures call ``model_colour``,
#: which reads the registry when drawing; this is the colours registered at import.
MODEL_COLOURS = {name: spec.colour for name, spec in registry.MODELS.items()}
#: The line of a model the registry does not know (an old or foreign results file):
#: neutral grey, dash-dot and octagons, so that it is taken for no registered model.
UNKNOWN_MODEL_STYLE = ("-.", "8")
#: Models differ by colour and marker (the registry's), start methods by line style.
METHOD_LINES = {"fork": "-", "forkserver": ":", "spawn": "--"}

STYLE: dict[Any, Any] = {
    "svg.hashsalt": "threads-or-processes",
    "svg.id": "figure",
    # Text as text: a third lighter than glyph outlines (pages carry many charts), selectable,
    # and drawn by the reader's sans-serif font where DejaVu Sans is missing.
    "svg.fonttype": "none",
    "font.family": "sans-serif",
    "font.sans-serif": ["DejaVu Sans", "Arial", "Helvetica"],
    "figure.facecolor": "none",
    "axes.facecolor": "none",
    "savefig.facecolor": "none",
    "savefig.transparent": True,
    "text.color": TEXT,
    "axes.labelcolor": TEXT,
    "axes.titlecolor": TEXT,
    "axes.edgecolor": TEXT,
    "xtick.color": TEXT,
    "ytick.color": TEXT,
    "legend.labelcolor": TEXT,
    "legend.frameon": False,
    "axes.grid": True,
    "grid.color": TEXT,
    "grid.alpha": 0.25,
    "grid.linewidth": 0.6,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "axes.prop_cycle": cycler(color=list(PALETTE)),
    "font.size": 9.5,
    "axes.titlesize": 10,
    "figure.titlesize": 12,
    "lines.linewidth": 2,
    "lines.markersize": 6,
    "errorbar.capsize": 3,
}

#: What a figure's ``make`` returns: the figure and its alt text, or None without data.
#: What a figure's make function returns: the figure, its alt text and, where it draws
#: estimates, the numbers it drew (else the rows it was drawn from are its numbers);
#: None without data.
FigureWithAlt = tuple[Figure, str] | tuple[Figure, str, pd.DataFrame] | None
P = ParamSpec("P")
R = TypeVar("R")


def styled(func: Callable[P, R]) -> Callable[P, R]:
    """Build the figure under STYLE: most rcParams are read when artists are created."""

    @functools.wraps(func)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        with matplotlib.rc_context(STYLE):
            return func(*args, **kwargs)

    return wrapper


_PATH_DATA = re.compile(r'( (?:d|x|y)="[^"]*")')
_LONG_DECIMAL = re.compile(r"(\d+\.\d\d)\d+")


def _shorter_paths(svg: str) -> str:
    """Path and marker coordinates to 1/100 of a point (matplotlib writes six decimals): a
    hundredth is far below a screen pixel, and the files get much smaller."""
    return _PATH_DATA.sub(lambda m: _LONG_DECIMAL.sub(r"\1", m.group(1)), svg)


def save(fig: Figure, path: Path) -> None:
    """Write ``fig`` as a deterministic SVG (atomically), then close it.

    The SVG's id and the salt of its clip-path ids come from the file name: fixed for
    the same figure, yet distinct between figures inlined in one page.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp")
    ids = {"svg.id": path.stem, "svg.hashsalt": f"threads-or-processes:{path.stem}"}
    try:
        with matplotlib.rc_context(STYLE | ids):  # the svg.* settings are read at save time
            settle_layout(fig)
            fig.savefig(tmp, format="svg", metadata={"Date": None})
        tmp.write_text(_shorter_paths(tmp.read_text(encoding="utf-8")), encoding="utf-8")
        tmp.replace(path)
    finally:
        tmp.unlink(missing_ok=True)
        # Figures here are never registered with pyplot: closing is dropping the artists.
        fig.clear()


def settle_layout(fig: Figure) -> None:
    """Place the panels and legends now, by the figure's constrained layout, and fix them.

    ``savefig`` would draw a figure with a layout engine twice, once only to place
    things; a third of the time of drawing a figure. Placed here (with Agg's text
    metrics), the figure is drawn once; the layout can move by about a point.
    """
    engine = fig.get_layout_engine()
    if isinstance(engine, ConstrainedLayoutEngine):
        engine.execute(fig)
        fig.set_layout_engine("none")


def save_made(made: FigureWithAlt, path: Path) -> str | None:
    """Save a made figure to ``path`` and return its alt text; None (and no file) without."""
    if made is None:
        return None
    fig, alt = made[0], made[1]
    save(fig, path)
    return alt


# --- axes helpers ----------------------------------------------------------------------


def new_figure(ncols: int, nrows: int = 1, *, width: float = 4.6, height: float = 3.4) -> Figure:
    """A figure of ``ncols`` x ``nrows`` panels of ``width`` x ``height`` inches each."""
    fig = Figure(figsize=(width * ncols, height * nrows + 0.6), layout="constrained")
    FigureCanvasAgg(fig)  # the Agg canvas, explicitly: no pyplot, no global backend
    return fig


def axes_grid(fig: Figure, ncols: int, nrows: int = 1, **kwargs: Any) -> np.ndarray:
    """The panels of ``fig`` as a 2-D array (rows, columns), even for one panel."""
    return np.asarray(fig.subplots(nrows, ncols, squeeze=False, **kwargs))


def legend_below(fig: Figure, axes: Sequence[Axes], ncols: int = 4) -> None:
    """One legend for every panel: labels in first-seen order, each once."""
    seen: dict[str, Any] = {}
    for ax in axes:
        for handle, label in zip(*ax.get_legend_handles_labels(), strict=True):
            seen.setdefault(label, handle)
    if seen:
        fig.legend(
            list(seen.values()),
            list(seen),
            loc="outside lower center",
            ncols=min(ncols, len(seen)),
        )


def worker_axis(ax: Axes, workers: list[int], label: str = "workers") -> None:
    """A log-2 x axis ticked at exactly the worker counts measured."""
    ax.set_xscale("log", base=2)
    ax.set_xticks(workers, [str(w) for w in workers])
    ax.xaxis.set_minor_locator(NullLocator())
    ax.set_xlim(min(workers) / 1.2, max(workers) * 1.2)  # room for the nudged points
    ax.set_xlabel(f"{label} (log scale)")


def errorbar(ax: Axes, x: Any, mid: Any, low: Any, high: Any, **style: Any) -> None:
    """Points at ``mid`` with bars from ``low`` to ``high`` (never negative lengths)."""
    mid, low, high = (np.asarray(v, dtype=float) for v in (mid, low, high))
    yerr = np.vstack([np.clip(mid - low, 0, None), np.clip(high - mid, 0, None)])
    ax.errorbar(np.asarray(x, dtype=float), mid, yerr=yerr, **style)


def dodge(k: int, n: int) -> float:
    """A factor that nudges series k of n sideways on a log axis, so that points at the
    same worker count do not hide each other (by at most about 7 %)."""
    return float(2 ** ((k - (n - 1) / 2) * min(0.03, 0.2 / max(n, 1))))


def plain_log_ticks(axis: Any, fmt: Callable[[float], str] = "{:g}".format) -> None:
    """Tick labels of a log axis as plain numbers (``100``, not ``10^2``)."""
    axis.set_major_formatter(FuncFormatter(lambda v, _pos: fmt(v)))


def model_colour(model: Any) -> str:
    """The registry's colour of ``model``; neutral grey for a model it does not know."""
    spec = spec_of(model)
    return spec.colour if spec is not None else TEXT


def series_style(model: Any, method: Any) -> dict[str, Any]:
    """Colour and marker by model (the registry's: no two models alike), line style by
    start method (a model the registry does not know: grey, dash-dot, diamonds)."""
    spec = spec_of(model)
    linestyle, marker = ("-", spec.marker) if spec is not None else UNKNOWN_MODEL_STYLE
    if has_start_method(method):
        linestyle = METHOD_LINES.get(method, linestyle)
    return {"color": model_colour(model), "linestyle": linestyle, "marker": marker}
