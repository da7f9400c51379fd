"""Figures: one SVG per claim, drawn from the tidy table.

Every figure has the same three layers: ``select_x(frame)`` keeps the rows it
uses (they are also what the cache key hashes), ``make_x(frame)`` builds the
Figure and its alt text (``None`` without data), and ``plot_x(frame, path)``
saves it through ``save``. Figures never touch pyplot's global state.

The SVGs sit on transparent backgrounds in pages with a light and a dark theme,
so text is one mid grey and series colours come from the Okabe-Ito palette,
restricted to shades that keep a contrast of at least 3:1 against both a white
and a dark page; colour is never the only cue (markers, line styles, labels).
The bytes are deterministic for the same data: fixed hash salt and SVG id, no
date, sorted inputs.
"""

from __future__ import annotations

import functools
import hashlib
import json
import re
import shutil
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, ParamSpec, TypeVar
from xml.etree import ElementTree

import matplotlib
import numpy as np
import pandas as pd
from cycler import cycler
from matplotlib.axes import Axes
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.patches import Rectangle
from matplotlib.ticker import FuncFormatter, NullLocator

from bench.report.metrics import ipc_throughput, memory_per_worker, paired_speedups, winners
from bench.untrusted import read_regular_file

#: Part of every cache key: bump it when a figure's drawing changes.
VERSION = "2"  # bump when the drawing changes: cached SVGs are redrawn

#: The featured scaling curve: pure-Python CPU work, ~100 ms per task.
SCALING_GROUP = "cpu_python:count_primes[100ms]"
#: Families whose groups get a scaling figure of their own in ``render_all``.
SCALING_FAMILIES = ("cpu_python", "cpu_c", "io")

#: Mid grey: about 4:1 against white and against a dark theme's background alike.
TEXT = "#7f7f7f"
#: Okabe-Ito colours, darkened where needed to keep >= 3:1 on white and on dark pages.
BLUE, GREEN, VERMILLION, PURPLE, OCHRE = "#0072b2", "#009e73", "#d55e00", "#cc79a7", "#aa7700"
PALETTE = (BLUE, VERMILLION, GREEN, PURPLE, OCHRE, TEXT)
MODEL_COLOURS = {
    "sequential": TEXT,
    "threads": BLUE,
    "thread_pool": GREEN,
    "processes": VERMILLION,
    "process_pool": PURPLE,
    "asyncio": OCHRE,
}
CHANNEL_COLOURS = {
    "queue.Queue": BLUE,
    "mp.Queue": VERMILLION,
    "mp.Pipe": PURPLE,
    "shared_memory": GREEN,
    "memcpy": TEXT,
}
#: Start methods differ by line style and marker, models by colour.
METHOD_STYLES = {"fork": ("-", "o"), "forkserver": (":", "^"), "spawn": ("--", "s")}
NO_METHOD = ("-", "o")

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

TITLES = {
    "startup": "Start-up cost: threads vs processes",
    "memory": "Memory of the process tree vs live workers",
    "ipc": "Communication: round trip and throughput vs payload",
    "races": "Lost updates of a shared counter",
    "decision-map": "Fastest model by task length and payload",
    "gil-vs-free-threaded": "GIL vs free-threaded: speedup at 2 workers",
}

Made = tuple[Figure, str] | None
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
            fig.savefig(tmp, format="svg", metadata={"Date": None})
        tmp.write_text(_shorter_paths(tmp.read_text(encoding="utf-8")), encoding="utf-8")
        tmp.replace(path)
    finally:
        tmp.unlink(missing_ok=True)
        # Figures here are never registered with pyplot: closing is dropping the artists.
        fig.clear()


# --- formatting -------------------------------------------------------------


def _scaled(value: float, units: tuple[tuple[float, str], ...]) -> str:
    """Three significant digits in the largest unit that keeps the number >= 1; rounded
    first, so that 999.99 MB/s reads 1 GB/s, not 1e+03 MB/s."""
    rounded = float(f"{value:.3g}")
    for scale, unit in units:
        if abs(rounded) >= scale:
            return f"{rounded / scale:.3g} {unit}"
    scale, unit = units[-1]
    return f"{rounded / scale:.3g} {unit}"


def fmt_seconds(s: float) -> str:
    return _scaled(s, ((1.0, "s"), (1e-3, "ms"), (1e-6, "µs"), (1e-9, "ns")))


def fmt_bytes(n: float) -> str:
    """Signed, binary units, for amounts (``2 MiB``, ``-5 KiB``)."""
    units = ((1 << 30, "GiB"), (1 << 20, "MiB"), (1 << 10, "KiB"), (1, "B"))
    return _scaled(n, units)


def fmt_size(n: float) -> str:
    """A payload, exact where it is a power of two: ``64B``, ``1MiB``, ``none`` for 0."""
    if n == 0:
        return "none"
    for scale, unit in ((1 << 20, "MiB"), (1 << 10, "KiB")):
        if n >= scale:
            return f"{n / scale:g}{unit}"
    return f"{n:g}B"


def fmt_rate(mb_per_s: float) -> str:
    return _scaled(mb_per_s, ((1000.0, "GB/s"), (1.0, "MB/s"), (1e-3, "kB/s")))


def fmt_speedup(x: float) -> str:
    return f"{x:.2f}x"


def _has_method(method: Any) -> bool:
    return isinstance(method, str) and method not in {"", "n/a", "none"}


def series_label(model: str, method: Any) -> str:
    return f"{model} ({method})" if _has_method(method) else model


def series_style(model: str, method: Any) -> dict[str, Any]:
    linestyle, marker = METHOD_STYLES.get(method, NO_METHOD) if _has_method(method) else NO_METHOD
    return {"color": MODEL_COLOURS.get(model, TEXT), "linestyle": linestyle, "marker": marker}


def interpreter_label(frame: pd.DataFrame, interpreter: str) -> str:
    """``cpython-3.13.5t (free-threaded, no GIL)``: the GIL state the workers saw."""
    rows = frame[frame["interpreter"] == interpreter]
    build = _mode(rows, "python_build")
    known = (
        rows[rows["gil_enabled"].isin(["enabled", "disabled"])] if "gil_enabled" in rows else rows
    )
    gil = _mode(known, "gil_enabled")
    if gil == "disabled":
        return f"{interpreter} (free-threaded, no GIL)"
    if build == "free-threading":
        return f"{interpreter} (free-threaded build, GIL on)"
    if gil == "enabled":
        return f"{interpreter} (GIL)"
    return interpreter


def _mode(frame: pd.DataFrame, column: str) -> Any:
    if column not in frame or frame[column].dropna().empty:
        return None
    counts = frame[column].dropna().astype(str).value_counts()
    return sorted(counts.index, key=lambda v: (-counts[v], v))[0]


# --- selections: the rows each figure uses (and its cache key hashes) ------------------


def _numeric(frame: pd.DataFrame) -> pd.DataFrame:
    """Values as floats: the tidy table keeps texts beside numbers in ``value``."""
    out = frame.copy()
    for column in ("value", "time_s"):
        if column in out:
            out[column] = pd.to_numeric(out[column], errors="coerce").astype(float)
    return out


def _pick(frame: pd.DataFrame, **where: Any) -> pd.DataFrame:
    """Rows where each column equals a value (or is in a tuple of values); empty if a
    column is missing, so that a frame without that family simply has no figure."""
    if frame.empty or any(column not in frame for column in where):
        return frame.iloc[0:0]
    mask = pd.Series(True, index=frame.index)
    for column, wanted in where.items():
        values = wanted if isinstance(wanted, tuple) else (wanted,)
        mask &= frame[column].isin(values)
    return _numeric(frame[mask])


def select_scaling(frame: pd.DataFrame, group: str = SCALING_GROUP) -> pd.DataFrame:
    rows = _pick(frame, group=group, metric="time")
    # one case per (model, start method, workers): the default dispatch only
    return rows[rows["chunksize"] == 1] if "chunksize" in rows else rows


def select_startup(frame: pd.DataFrame) -> pd.DataFrame:
    rows = _pick(frame, family=("startup", "article"), metric="time")
    return rows[rows["model"] != "sequential"] if "model" in rows else rows


def select_memory(frame: pd.DataFrame) -> pd.DataFrame:
    return _pick(frame, family="memory", metric=("pss_bytes", "uss_bytes"))


def select_ipc(frame: pd.DataFrame) -> pd.DataFrame:
    return _pick(frame, measure="ipc", metric="time")


def select_races(frame: pd.DataFrame) -> pd.DataFrame:
    return _pick(frame, metric="lost_updates_per_million")


def select_decision_map(frame: pd.DataFrame) -> pd.DataFrame:
    return _pick(frame, family="granularity", metric="time")


def select_gil(frame: pd.DataFrame) -> pd.DataFrame:
    return _pick(
        frame,
        group=SCALING_GROUP,
        metric="time",
        model=("sequential", "threads", "process_pool"),
        workers=(1, 2),
    )


def scaling_groups(frame: pd.DataFrame) -> list[str]:
    """The batch groups that get a scaling figure: CPU and I/O workloads."""
    rows = _pick(frame, family=SCALING_FAMILIES, metric="time")
    return sorted(rows["group"].dropna().unique()) if not rows.empty else []


def scaling_name(group: str) -> str:
    """``cpu_python:count_primes[100ms]`` -> ``scaling-cpu-python-count-primes-100ms``."""
    return "scaling-" + re.sub(r"[^a-z0-9]+", "-", group.lower()).strip("-")


def scaling_title(group: str) -> str:
    return f"Speedup vs workers: {group}"


# --- drawing helpers -----------------------------------------------------------------


def _figure(ncols: int, nrows: int = 1, *, width: float = 4.6, height: float = 3.4) -> Figure:
    fig = Figure(figsize=(width * ncols, height * nrows + 0.6), layout="constrained")
    FigureCanvasAgg(fig)  # the Agg canvas, explicitly: no pyplot, no global backend
    return fig


def _axes(fig: Figure, ncols: int, nrows: int = 1, **kwargs: Any) -> np.ndarray:
    return np.asarray(fig.subplots(nrows, ncols, squeeze=False, **kwargs))


def _legend_below(fig: Figure, axes: Sequence[Axes], ncols: int = 4) -> None:
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


def _worker_axis(ax: Axes, workers: list[int], label: str = "workers") -> None:
    ax.set_xscale("log", base=2)
    ax.set_xticks(workers, [str(w) for w in workers])
    ax.xaxis.set_minor_locator(NullLocator())
    ax.set_xlim(min(workers) / 1.2, max(workers) * 1.2)  # room for the nudged points
    ax.set_xlabel(f"{label} (log scale)")


def _errorbar(ax: Axes, x: Any, mid: Any, low: Any, high: Any, **style: Any) -> None:
    mid, low, high = (np.asarray(v, dtype=float) for v in (mid, low, high))
    yerr = np.vstack([np.clip(mid - low, 0, None), np.clip(high - mid, 0, None)])
    ax.errorbar(np.asarray(x, dtype=float), mid, yerr=yerr, **style)


def _dodge(k: int, n: int) -> float:
    """A factor that nudges series k of n sideways on a log axis, so that points at the
    same worker count do not hide each other (by at most about 7 %)."""
    return float(2 ** ((k - (n - 1) / 2) * min(0.03, 0.2 / max(n, 1))))


def _cores(rows: pd.DataFrame) -> int:
    """Logical cores of the machine (the largest worker count where not recorded)."""
    cores = pd.to_numeric(rows["cpu_count"], errors="coerce").max() if "cpu_count" in rows else None
    return int(cores) if cores is not None and pd.notna(cores) else int(rows["workers"].max())


def _plain_log_ticks(axis: Any, fmt: Callable[[float], str] = "{:g}".format) -> None:
    axis.set_major_formatter(FuncFormatter(lambda v, _pos: fmt(v)))


# --- 1. scaling curves ---------------------------------------------------------------


@styled
def make_scaling_group(frame: pd.DataFrame, group: str) -> Made:
    """Speedup (paired within rounds) vs workers, one line per model and start method,
    one panel per interpreter, against the ideal: min(workers, cores) for CPU work,
    the worker count for I/O (waiting needs no core)."""
    rows = select_scaling(frame, group)
    speed = paired_speedups(rows) if not rows.empty else rows
    speed = speed[speed["model"] != "sequential"] if not speed.empty else speed
    if speed.empty:
        return None
    waits = "family" in rows and (rows["family"] == "io").all()
    ideal_label = "ideal: workers" if waits else "ideal: min(workers, cores)"
    interpreters = sorted(speed["interpreter"].unique())
    fig = _figure(len(interpreters))
    axes = _axes(fig, len(interpreters), sharey=True)[0]
    summary = []
    for ax, interpreter in zip(axes, interpreters, strict=True):
        part = speed[speed["interpreter"] == interpreter]
        cores = _cores(rows[rows["interpreter"] == interpreter])
        workers = sorted({1, *part["workers"].astype(int)} | (set() if waits else {cores}))
        xs = np.geomspace(1, max(workers), 200)
        ax.plot(
            xs,
            xs if waits else np.minimum(xs, cores),
            color=TEXT,
            linestyle="--",
            linewidth=1.2,
            label=ideal_label,
        )
        lines = list(part.groupby(["model", "start_method"], dropna=False))
        for k, ((model, method), group_rows) in enumerate(lines):
            line = group_rows.sort_values("workers")
            _errorbar(
                ax,
                line["workers"] * _dodge(k, len(lines)),
                line["speedup"],
                line["low"],
                line["high"],
                label=series_label(model, method),
                **series_style(model, method),
            )
        _worker_axis(ax, workers)
        ax.set_ylim(bottom=0)
        ax.set_title(f"{interpreter_label(rows, interpreter)}, {cores} cores")
        summary.append(_scaling_summary(part, interpreter))
    axes[0].set_ylabel("speedup over the sequential loop (\N{MULTIPLICATION SIGN})")
    fig.suptitle(scaling_title(group))
    _legend_below(fig, list(axes.flat))
    numbers = "; ".join(summary)
    alt = (
        f"Speedup over the sequential loop against the number of workers for {group}, "
        f"medians of within-round ratios with their range, beside the ideal "
        f"({ideal_label.removeprefix('ideal: ')}). {numbers[:1].upper()}{numbers[1:]}."
    )
    return fig, alt


def _scaling_summary(part: pd.DataFrame, interpreter: str) -> str:
    def case(row: pd.Series) -> str:
        label = series_label(row["model"], row["start_method"])
        return f"{label} at {fmt_speedup(row['speedup'])} with {row['workers']} workers"

    best = part.loc[part["speedup"].idxmax()]
    worst = part.loc[part["speedup"].idxmin()]
    if len(part) == 1:
        return f"on {interpreter} {case(best)}"
    return f"on {interpreter} the best is {case(best)} and the worst {case(worst)}"


def make_scaling(frame: pd.DataFrame) -> Made:
    return make_scaling_group(frame, SCALING_GROUP)


def plot_scaling(frame: pd.DataFrame, path: Path) -> str | None:
    return _plot(make_scaling(frame), path)


def _plot(made: Made, path: Path) -> str | None:
    if made is None:
        return None
    fig, alt = made
    save(fig, path)
    return alt


# --- 2. start-up cost ----------------------------------------------------------------


def _startup_series(family: str, workers: int) -> str:
    plural = "s" if workers != 1 else ""
    if family == "article":
        return f"article: start, run, join {workers} worker{plural}"
    return f"start + join {workers} worker{plural}"


@styled
def make_startup(frame: pd.DataFrame) -> Made:
    """Start+join time of threads and of processes per start method, log scale."""
    rows = select_startup(frame)
    if rows.empty or rows["time_s"].dropna().empty:
        return None
    keys = ["interpreter", "family", "workers", "model", "start_method"]
    med = rows.groupby(keys, dropna=False)["time_s"].median().reset_index()
    med["series"] = [
        _startup_series(f, w) for f, w in zip(med["family"], med["workers"], strict=True)
    ]
    med["category"] = [
        series_label(m, s) for m, s in zip(med["model"], med["start_method"], strict=True)
    ]
    # threads first, then processes by start method: the order the text reads them
    categories = sorted(med["category"].unique(), key=lambda c: (not c.startswith("thread"), c))
    order = med.drop_duplicates("series").sort_values(
        ["workers", "family"], ascending=[True, False]
    )
    series = list(order["series"])
    interpreters = sorted(med["interpreter"].unique())
    fig = _figure(len(interpreters), height=0.5 * len(categories) * max(1, len(series)) + 1.6)
    axes = _axes(fig, len(interpreters), sharex=True)[0]
    height = 0.8 / len(series)
    summary = []
    for ax, interpreter in zip(axes, interpreters, strict=True):
        part = med[med["interpreter"] == interpreter]
        for i, name in enumerate(series):
            bars = part[part["series"] == name].set_index("category")["time_s"]
            ys = [categories.index(c) - 0.4 + height * (i + 0.5) for c in bars.index]
            ax.barh(
                ys,
                bars.to_numpy() * 1e3,
                height=height * 0.9,
                color=PALETTE[i % len(PALETTE)],
                label=name,
            )
            for y, seconds in zip(ys, bars, strict=True):
                ax.annotate(
                    f" {fmt_seconds(seconds)}",
                    (seconds * 1e3, y),
                    va="center",
                    fontsize=8,
                    color=TEXT,
                )
        ax.set_xscale("log")
        _plain_log_ticks(ax.xaxis)
        ax.set_yticks(range(len(categories)), categories)
        ax.invert_yaxis()
        ax.grid(axis="y", visible=False)
        ax.set_xlabel("time (ms, log scale)")
        ax.set_title(interpreter_label(rows, interpreter))
        summary.append(_startup_summary(part, interpreter))
    right = axes[0].get_xlim()[1]
    for ax in axes:
        ax.set_xlim(right=right * 8)  # room for the value labels
    fig.suptitle(TITLES["startup"])
    _legend_below(fig, list(axes.flat), ncols=2)
    alt = (
        "Time to start and join threads and processes (per start method), log scale, one "
        f"panel per interpreter. {' '.join(s for s in summary if s)}"
    )
    return fig, alt


def _startup_summary(part: pd.DataFrame, interpreter: str) -> str:
    """The smallest batch: one thread vs one process of each start method."""
    if (part["family"] == "startup").any():
        part = part[part["family"] == "startup"]
    smallest = part[part["workers"] == part["workers"].min()]
    threads = smallest[smallest["model"] == "threads"]["time_s"]
    procs = smallest[smallest["model"] == "processes"].sort_values("time_s")
    if threads.empty or procs.empty:
        return ""
    thread_s = float(threads.iloc[0])
    n = int(smallest["workers"].iloc[0])
    each = ", ".join(
        f"{fmt_seconds(t)} ({m})"
        for m, t in zip(procs["start_method"], procs["time_s"], strict=True)
    )
    low, high = procs["time_s"].min() / thread_s, procs["time_s"].max() / thread_s
    ratio = f"{low:.0f} to {high:.0f}" if f"{low:.0f}" != f"{high:.0f}" else f"{low:.0f}"
    return (
        f"On {interpreter}, starting and joining {n} thread{'s' * (n != 1)} takes "
        f"{fmt_seconds(thread_s)} and {n} process{'es' * (n != 1)} {each}: "
        f"{ratio} times as long."
    )


def plot_startup(frame: pd.DataFrame, path: Path) -> str | None:
    return _plot(make_startup(frame), path)


# --- 3. memory per worker ------------------------------------------------------------


def _memory_set(variant: Any, size_label: Any) -> str:
    if variant == "working_set":
        return f"each worker reads a {size_label} structure"
    return "idle workers"


@styled
def make_memory(frame: pd.DataFrame) -> Made:
    """Total PSS (USS where PSS is not measured) of the process tree vs live workers,
    per model and start method; a row per interpreter, a column per working set."""
    rows = select_memory(frame)
    if rows.empty:
        return None
    metric = "pss_bytes" if (rows["metric"] == "pss_bytes").any() else "uss_bytes"
    rows = rows[rows["metric"] == metric].dropna(subset=["value"])
    if rows.empty:
        return None
    kind = metric.split("_", maxsplit=1)[0].upper()
    rows = rows.assign(
        set=[_memory_set(v, s) for v, s in zip(rows["variant"], rows["size_label"], strict=True)]
    )
    keys = ["interpreter", "set", "model", "start_method", "workers"]
    med = rows.groupby(keys, dropna=False)["value"].median().reset_index()
    interpreters = sorted(med["interpreter"].unique())
    sets = sorted(med["set"].unique(), key=lambda s: (s != "idle workers", s))
    fig = _figure(len(sets), len(interpreters))
    axes = _axes(fig, len(sets), len(interpreters), sharex=True)
    workers = sorted(med["workers"].astype(int).unique())
    for r, interpreter in enumerate(interpreters):
        for c, name in enumerate(sets):
            ax = axes[r, c]
            part = med[(med["interpreter"] == interpreter) & (med["set"] == name)]
            for (model, method), group_rows in part.groupby(
                ["model", "start_method"], dropna=False
            ):
                line = group_rows.sort_values("workers")
                ax.plot(
                    line["workers"],
                    line["value"] / (1 << 20),
                    label=series_label(model, method),
                    **series_style(model, method),
                )
            _worker_axis(ax, workers, "live workers")
            if r < len(interpreters) - 1:
                ax.set_xlabel("")  # shared with the row below
            ax.set_ylim(bottom=0)
            ax.set_title(f"{interpreter_label(rows, interpreter)}\n{name}")
            if c == 0:
                ax.set_ylabel(f"total {kind} of the process tree (MiB)")
    fig.suptitle(TITLES["memory"])
    _legend_below(fig, list(axes.flat))
    slopes = memory_per_worker(rows)
    set_of = dict(zip(rows["variant"], rows["set"], strict=False))
    summary = []
    for (interpreter, variant), part in (
        slopes.groupby(["interpreter", "variant"], dropna=False) if not slopes.empty else []
    ):
        items = ", ".join(
            f"{series_label(m, s)} {fmt_bytes(b)}"
            for m, s, b in zip(
                part["model"], part["start_method"], part["bytes_per_worker"], strict=True
            )
        )
        summary.append(f"{interpreter}, {set_of.get(variant, variant)}: {items}")
    numbers = f" Extra {kind} per added worker: {'; '.join(summary)}." if summary else ""
    alt = (
        f"Total {kind} memory of the process tree against the number of live workers, per "
        f"model and start method, idle and with a working set.{numbers}"
    )
    return fig, alt


def plot_memory(frame: pd.DataFrame, path: Path) -> str | None:
    return _plot(make_memory(frame), path)


# --- 4. IPC --------------------------------------------------------------------------


@styled
def make_ipc(frame: pd.DataFrame) -> Made:
    """Round-trip latency and throughput vs payload (log-log), a line per channel, the
    memcpy ceiling dashed; a row per interpreter."""
    rows = select_ipc(frame)
    rows = rows.dropna(subset=["time_s"]) if not rows.empty else rows
    if rows.empty:
        return None
    table = ipc_throughput(rows)
    interpreters = sorted(table["interpreter"].unique())
    sizes = sorted(table["size"].astype(int).unique())
    fig = _figure(2, len(interpreters))
    axes = _axes(fig, 2, len(interpreters), sharex=True)
    summary = []
    for r, interpreter in enumerate(interpreters):
        part = table[table["interpreter"] == interpreter]
        latency, rate = axes[r]
        for (model, method), group_rows in part.groupby(["model", "start_method"], dropna=False):
            line = group_rows.sort_values("size")
            ceiling = model == "memcpy"
            style = {
                "color": CHANNEL_COLOURS.get(model, TEXT),
                "linestyle": "--" if ceiling else "-",
                "marker": "" if ceiling else "o",
                "linewidth": 1.2 if ceiling else 2,
                "label": "memcpy (ceiling)" if ceiling else series_label(model, method),
            }
            latency.plot(line["size"], line["round_trip_s"] * 1e6, **style)
            rate.plot(line["size"], line["mb_per_s"], **style)
        for ax in (latency, rate):
            ax.set_xscale("log")
            ax.set_yscale("log")
            ax.set_xticks(sizes, [fmt_size(s) for s in sizes])
            ax.xaxis.set_minor_locator(NullLocator())
            _plain_log_ticks(ax.yaxis)
            ax.set_xlabel("payload each way (bytes, log scale)")
        latency.set_ylabel("round trip (µs, log scale)")
        rate.set_ylabel("throughput (MB/s, log scale)")
        label = interpreter_label(rows, interpreter)
        latency.set_title(f"{label}\nround-trip latency")
        rate.set_title(f"{label}\nthroughput")
        largest = part[part["size"] == part["size"].max()].sort_values("mb_per_s", ascending=False)
        items = ", ".join(
            f"{m} {fmt_rate(v)}" for m, v in zip(largest["model"], largest["mb_per_s"], strict=True)
        )
        summary.append(f"{interpreter} at {fmt_size(largest['size'].iloc[0])}: {items}")
    fig.suptitle(TITLES["ipc"])
    _legend_below(fig, list(axes.flat), ncols=5)
    alt = (
        "Round-trip latency and throughput of a payload sent to a peer and back, by payload "
        f"size (log-log), one line per channel with memcpy as the ceiling. {'; '.join(summary)}."
    )
    return fig, alt


def plot_ipc(frame: pd.DataFrame, path: Path) -> str | None:
    return _plot(make_ipc(frame), path)


# --- 5. races ------------------------------------------------------------------------

RACE_COLOURS = {"racy": VERMILLION, "locked": GREEN}


@styled
def make_races(frame: pd.DataFrame) -> Made:
    """Lost updates per million increments vs threads, racy and locked, per interpreter."""
    rows = select_races(frame)
    rows = rows.dropna(subset=["value"]) if not rows.empty else rows
    if rows.empty:
        return None
    keys = ["interpreter", "variant", "workers"]
    stats = rows.groupby(keys, dropna=False)["value"].agg(["median", "min", "max"]).reset_index()
    interpreters = sorted(stats["interpreter"].unique())
    workers = sorted(stats["workers"].astype(int).unique())
    fig = _figure(len(interpreters))
    axes = _axes(fig, len(interpreters), sharey=True)[0]
    summary = []
    for ax, interpreter in zip(axes, interpreters, strict=True):
        part = stats[stats["interpreter"] == interpreter]
        for variant, group_rows in part.groupby("variant", dropna=False):
            line = group_rows.sort_values("workers")
            _errorbar(
                ax,
                line["workers"],
                line["median"],
                line["min"],
                line["max"],
                label=str(variant),
                color=RACE_COLOURS.get(str(variant), TEXT),
                marker="o" if variant == "racy" else "s",
            )
            each = ", ".join(
                f"{m:,.0f} at {w} threads"
                for w, m in zip(line["workers"], line["median"], strict=True)
            )
            summary.append(f"{interpreter} {variant}: {each}")
        _worker_axis(ax, workers, "threads")
        ax.set_ylim(bottom=0)
        ax.yaxis.set_major_formatter(FuncFormatter(lambda v, _pos: f"{v:,.0f}"))
        ax.set_title(interpreter_label(rows, interpreter))
    axes[0].set_ylabel("lost updates per million increments (count)")
    fig.suptitle(TITLES["races"])
    _legend_below(fig, list(axes.flat))
    alt = (
        "Updates lost by threads incrementing one shared counter, per million increments, "
        "without and with a lock, by number of threads (median and range over runs). "
        f"Medians: {'; '.join(summary)}."
    )
    return fig, alt


def plot_races(frame: pd.DataFrame, path: Path) -> str | None:
    return _plot(make_races(frame), path)


# --- 6. decision map -----------------------------------------------------------------


def _candidate(model: str, chunksize: Any) -> str:
    if model == "process_pool" and pd.notna(chunksize) and int(chunksize) != 1:
        return f"{model}\nchunksize {int(chunksize)}"
    return model


def decision_winners(frame: pd.DataFrame) -> pd.DataFrame:
    """Per interpreter, task length and payload, at the pools' largest worker count: the
    fastest candidate as ``metrics.winners`` ranks them (the verdict the rest of the
    report gives), with its median paired speedup over the loop and its ``margin``
    over the runner-up."""
    rows = select_decision_map(frame)
    pools = rows[rows["model"] != "sequential"] if not rows.empty else rows
    if pools.empty:
        return rows.iloc[0:0]
    best = winners(rows)
    best = best[best["workers"] == pools["workers"].max()]
    keys = ["interpreter", "group", "benchmark"]
    meta = rows.drop_duplicates(keys).loc[
        :, [*keys, "model", "size", "size_label", "payload_bytes", "chunksize"]
    ]
    speed = paired_speedups(rows).loc[:, [*keys, "speedup"]]
    out = (
        best.rename(columns={"winner": "benchmark"})
        .loc[:, ["interpreter", "group", "workers", "benchmark", "margin"]]
        .merge(meta, on=keys, how="left")
        .merge(speed, on=keys, how="left")
    )
    out["candidate"] = [
        _candidate(m, c) for m, c in zip(out["model"], out["chunksize"], strict=True)
    ]
    return out.sort_values(["interpreter", "size", "payload_bytes"]).reset_index(drop=True)


@styled
def make_decision_map(frame: pd.DataFrame) -> Made:
    """A grid of task length x payload, each cell coloured and labelled by its winner."""
    winners = decision_winners(frame)
    if winners.empty:
        return None
    rows = select_decision_map(frame)
    interpreters = sorted(winners["interpreter"].unique())
    lengths = winners.drop_duplicates("size").sort_values("size")
    payloads = sorted(winners["payload_bytes"].astype(int).unique())
    fig = _figure(
        len(interpreters),
        width=max(4.6, 1.25 * len(lengths) + 1.5),
        height=max(2.6, 0.9 * len(payloads) + 1.2),
    )
    axes = _axes(fig, len(interpreters), sharey=True)[0]
    summary = []
    for ax, interpreter in zip(axes, interpreters, strict=True):
        part = winners[winners["interpreter"] == interpreter]
        for cell in part.itertuples():
            x = list(lengths["size"]).index(cell.size)
            y = payloads.index(int(cell.payload_bytes))
            ax.add_patch(
                Rectangle(
                    (x - 0.48, y - 0.46), 0.96, 0.92, color=MODEL_COLOURS.get(str(cell.model), TEXT)
                )
            )
            ax.text(
                x,
                y,
                _cell_text(cell.candidate, cell.speedup, cell.margin),
                ha="center",
                va="center",
                color="white",
                fontsize=8,
            )
        ax.set_xlim(-0.5, len(lengths) - 0.5)
        ax.set_ylim(-0.5, len(payloads) - 0.5)
        ax.set_xticks(range(len(lengths)), list(lengths["size_label"]))
        ax.set_yticks(range(len(payloads)), [fmt_size(p) for p in payloads])
        ax.grid(visible=False)
        ax.tick_params(length=0)
        for side in ("left", "bottom"):
            ax.spines[side].set_visible(False)
        ax.set_xlabel("task length (nominal, per task)")
        ax.set_title(interpreter_label(rows, interpreter))
        summary.append(_decision_summary(part, interpreter))
    axes[0].set_ylabel("payload per task (bytes each way)")
    workers = sorted(rows.loc[rows["model"] != "sequential", "workers"].astype(int).unique())
    fig.suptitle(f"{TITLES['decision-map']} ({', '.join(map(str, workers))} workers)")
    alt = (
        "For each task length and payload size, the fastest of the sequential loop, the thread "
        "pool and the process pool (with and without chunksize), with its speedup over the "
        f"loop. {' '.join(summary)}"
    )
    return fig, alt


def _cell_text(candidate: str, speedup: float, margin: float) -> str:
    lead = f"\n{fmt_speedup(margin)} vs next" if pd.notna(margin) else ""
    return f"{candidate}\n{fmt_speedup(speedup)} vs loop{lead}"


def _decision_summary(part: pd.DataFrame, interpreter: str) -> str:
    wins = part["model"].astype(str).value_counts()
    ranked = sorted(wins.items(), key=lambda item: (-item[1], item[0]))
    counts = ", ".join(f"{m} {n}" for m, n in ranked)
    best = part.loc[part["speedup"].idxmax()]
    payload = fmt_size(best["payload_bytes"])
    return (
        f"On {interpreter}, wins out of {len(part)} cell{'s' * (len(part) != 1)}: {counts}; "
        "the largest speedup is "
        f"{best['candidate'].replace(chr(10), ' ')} at {fmt_speedup(best['speedup'])} "
        f"({best['size_label']} tasks, {'no' if payload == 'none' else payload} payload)."
    )


def plot_decision_map(frame: pd.DataFrame, path: Path) -> str | None:
    return _plot(make_decision_map(frame), path)


# --- 7. GIL vs free-threaded ---------------------------------------------------------


def gil_speedups(frame: pd.DataFrame) -> pd.DataFrame:
    """Threads and the process pool at 2 workers on the featured CPU workload, per
    interpreter (the process pool by fork where measured, else its first start method)."""
    rows = select_gil(frame)
    if rows.empty:
        return rows
    speed = paired_speedups(rows)
    speed = speed[(speed["workers"] == 2) & speed["model"].isin(["threads", "process_pool"])]
    rank = speed["start_method"].map(lambda m: (m != "fork", str(m)))
    speed = speed.assign(rank=rank).sort_values(["interpreter", "model", "rank"])
    return speed.drop_duplicates(["interpreter", "model"]).drop(columns="rank")


@styled
def make_gil(frame: pd.DataFrame) -> Made:
    """Bars: speedup of threads and of the process pool at 2 workers, per interpreter."""
    speed = gil_speedups(frame)
    if speed.empty:
        return None
    rows = select_gil(frame)
    interpreters = sorted(speed["interpreter"].unique())
    models = [m for m in ("threads", "process_pool") if m in set(speed["model"])]
    fig = _figure(1, width=max(5.0, 2.4 * len(interpreters) + 1.5), height=3.6)
    ax = _axes(fig, 1)[0, 0]
    width = 0.8 / len(models)
    summary = []
    for i, model in enumerate(models):
        part = speed[speed["model"] == model].set_index("interpreter").reindex(interpreters)
        xs = np.arange(len(interpreters)) - 0.4 + width * (i + 0.5)
        present = part["speedup"].notna().to_numpy()
        method = part["start_method"].dropna()
        label = series_label(model, method.iloc[0] if not method.empty else None)
        mid, low, high = (
            part[c].to_numpy(dtype=float)[present] for c in ("speedup", "low", "high")
        )
        ax.bar(
            xs[present],
            mid,
            width=width * 0.9,
            color=MODEL_COLOURS[model],
            label=label,
            yerr=np.vstack([mid - low, high - mid]),
            ecolor=TEXT,
        )
        for x, value, top in zip(xs[present], mid, high, strict=True):
            ax.annotate(
                fmt_speedup(value),
                (x, top),
                xytext=(0, 3),
                textcoords="offset points",
                ha="center",
                va="bottom",
                fontsize=8,
                color=TEXT,
            )
    cores = _cores(rows)
    ideal = min(2, cores)
    ax.axhline(ideal, color=TEXT, linestyle="--", linewidth=1.2, label=f"ideal ({ideal}x)")
    ax.axhline(1, color=TEXT, linestyle=":", linewidth=1.2, label="sequential (1x)")
    ax.set_xticks(
        range(len(interpreters)),
        [interpreter_label(rows, i).replace(" (", "\n(") for i in interpreters],
    )
    ax.grid(axis="x", visible=False)
    ax.set_ylim(0, max(ideal, float(speed["high"].max())) * 1.2)
    ax.set_ylabel("speedup over the sequential loop (\N{MULTIPLICATION SIGN})")
    for interpreter in interpreters:
        part = speed[speed["interpreter"] == interpreter]
        each = ", ".join(
            f"{series_label(m, s)} {fmt_speedup(v)}"
            for m, s, v in zip(part["model"], part["start_method"], part["speedup"], strict=True)
        )
        summary.append(f"{interpreter_label(rows, interpreter)}: {each}")
    fig.suptitle(TITLES["gil-vs-free-threaded"])
    ax.set_title(SCALING_GROUP)
    _legend_below(fig, [ax])
    alt = (
        f"Speedup of threads and of a process pool at 2 workers over the sequential loop on "
        f"{SCALING_GROUP}, per interpreter; the ideal is {ideal}x. {'; '.join(summary)}."
    )
    return fig, alt


def plot_gil(frame: pd.DataFrame, path: Path) -> str | None:
    return _plot(make_gil(frame), path)


# --- every figure, cached by its data ------------------------------------------------


@dataclass(frozen=True)
class FigureInfo:
    name: str
    path: Path
    title: str
    alt: str


@dataclass(frozen=True)
class FigureSpec:
    name: str
    title: str
    select: Callable[[pd.DataFrame], pd.DataFrame]
    make: Callable[[pd.DataFrame], Made]


def figure_specs(frame: pd.DataFrame) -> list[FigureSpec]:
    """Every figure ``render_all`` draws: the fixed ones, then a scaling curve per group."""
    specs = [
        FigureSpec("startup", TITLES["startup"], select_startup, make_startup),
        FigureSpec("memory", TITLES["memory"], select_memory, make_memory),
        FigureSpec("ipc", TITLES["ipc"], select_ipc, make_ipc),
        FigureSpec("races", TITLES["races"], select_races, make_races),
        FigureSpec("decision-map", TITLES["decision-map"], select_decision_map, make_decision_map),
        FigureSpec("gil-vs-free-threaded", TITLES["gil-vs-free-threaded"], select_gil, make_gil),
    ]
    for group in scaling_groups(frame):
        specs.append(
            FigureSpec(
                scaling_name(group),
                scaling_title(group),
                functools.partial(select_scaling, group=group),
                functools.partial(make_scaling_group, group=group),
            )
        )
    return specs


def data_key(rows: pd.DataFrame, name: str) -> str:
    """A hash of the rows a figure uses, independent of row and column order."""
    ordered = rows.reindex(sorted(rows.columns), axis=1)
    lines = sorted(ordered.to_csv(index=False, header=False, lineterminator="\n").splitlines())
    digest = hashlib.sha256()
    for part in (VERSION, matplotlib.__version__, name, ",".join(ordered.columns), *lines):
        digest.update(part.encode())
        digest.update(b"\n")
    return digest.hexdigest()


#: Largest SVG or key file read back from the cache (the biggest figure is ~1 MB).
MAX_CACHED_BYTES = 32 * 2**20
#: What a figure may be made of: the elements matplotlib writes (and SVG's plain shapes).
#: Anything else (script, foreignObject, image, a, iframe, ...) is not served from the
#: cache: the SVGs are inlined into the pages, where such an element would run or load.
SVG_ELEMENTS = frozenset({
    "svg", "g", "path", "rect", "circle", "ellipse", "line", "polyline", "polygon", "text",
    "tspan", "defs", "style", "clipPath", "use", "mask", "pattern", "marker", "symbol",
    "linearGradient", "radialGradient", "stop", "title", "desc", "metadata",
})  # fmt: skip
_SVG = "{http://www.w3.org/2000/svg}"
_METADATA_NAMESPACES = (
    "{http://www.w3.org/1999/02/22-rdf-syntax-ns#}",
    "{http://creativecommons.org/ns#}",
    "{http://purl.org/dc/elements/1.1/}",
)
# Markup that matplotlib's escaping of texts can never produce, searched in the raw bytes
# so that a browser's HTML parser and this XML parser cannot disagree about it.
_RAW_DANGER = re.compile(
    rb"<\s*(script|foreignobject|iframe|object|embed)|<!entity|<\?xml-styl", re.I
)
_CSS_DANGER = re.compile(
    r"@import|expression\s*\(|javascript:|-moz-binding|behavior\s*:|url\s*\(\s*(?![\'\"]?#)",
    re.I,
)


def _element_problem(element: ElementTree.Element) -> str | None:
    tag = str(element.tag)
    if not tag.startswith(_METADATA_NAMESPACES) and tag.removeprefix(_SVG) not in SVG_ELEMENTS:
        return f"holds the element {tag!r}"
    for attribute, value in element.attrib.items():
        local = attribute.rsplit("}", 1)[-1].lower()
        if local.startswith("on"):
            return f"holds the event handler {attribute!r}"
        if local == "href" and not value.startswith("#"):
            return f"links to {value[:80]!r}"
        if found := _CSS_DANGER.search(value):
            return f"its {attribute!r} holds {found.group()!r}"
    if tag == f"{_SVG}style" and (found := _CSS_DANGER.search(element.text or "")):
        return f"its style holds {found.group()!r}"
    return None


def svg_problem(svg: bytes) -> str | None:
    """Why ``svg`` may not be inlined into a page, or None: it must parse as SVG made
    only of :data:`SVG_ELEMENTS`, with no event handler (``on*``), no link but to an id
    of its own (``#...``) and no style that loads or runs anything."""
    if found := _RAW_DANGER.search(svg):
        return f"holds {found.group().decode(errors='replace')!r}"
    try:
        root = ElementTree.fromstring(svg)
    except (ElementTree.ParseError, ValueError) as exc:
        return f"not well-formed XML ({exc})"
    if root.tag != f"{_SVG}svg":
        return f"its root element is {root.tag!r}, not svg"
    return next(filter(None, map(_element_problem, root.iter())), None)


def _alt_problem(alt: object) -> str | None:
    if not isinstance(alt, str):
        return "alt text is not text"
    # A control character could turn one generated line of Markdown into several.
    if re.search(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]", alt):
        return "alt text holds a control character"
    return None


def _cached_figure(svg: Path, key_file: Path, key: str) -> dict[str, Any] | None:
    """The key file's data if ``svg`` is the figure drawn for ``key`` and safe to serve:
    the key matches, the SVG's bytes have the SHA-256 recorded when it was drawn, and
    :func:`svg_problem` finds nothing. Else None: the figure is drawn again."""
    raw_key = read_regular_file(key_file, MAX_CACHED_BYTES)
    raw_svg = read_regular_file(svg, MAX_CACHED_BYTES)
    if raw_key is None or raw_svg is None:
        return None
    try:
        data = json.loads(raw_key)
    except (ValueError, RecursionError):
        return None
    if not isinstance(data, dict) or data.get("key") != key or _alt_problem(data.get("alt")):
        return None
    if data.get("sha256") != hashlib.sha256(raw_svg).hexdigest() or svg_problem(raw_svg):
        return None
    return data


def draw_cached(
    name: str,
    title: str,
    rows: pd.DataFrame,
    make: Callable[[pd.DataFrame], Made],
    out_dir: Path,
    key: str | None = None,
) -> FigureInfo | None:
    """Draw ``make(rows)`` into ``out_dir/<name>.svg`` unless its data did not change.

    Beside the SVG, ``<name>.svg.key`` holds the hash of the rows drawn (or ``key``),
    the SHA-256 of the SVG's bytes, the title and the alt text: while the hash matches,
    the bytes are those drawn and the SVG passes :func:`svg_problem`, it is not
    redrawn. A cache is a folder anyone may have written to: anything else is drawn
    again. A figure left without data loses its stale SVG.
    """
    svg = out_dir / f"{name}.svg"
    key_file = svg.with_name(f"{svg.name}.key")
    key = key or (data_key(rows, name) if not rows.empty else None)
    cached = _cached_figure(svg, key_file, key) if key else None
    if cached is not None:
        return FigureInfo(name, svg, title, str(cached["alt"]))
    made = make(rows) if key else None
    if made is None:
        for stale in (svg, key_file):
            stale.unlink(missing_ok=True)
        return None
    fig, alt = made
    for planted in (svg, key_file):  # a link or a folder there: replaced, not written through
        if planted.is_symlink() or planted.is_file():
            planted.unlink()
        elif planted.exists():
            shutil.rmtree(planted)
    save(fig, svg)
    digest = hashlib.sha256(svg.read_bytes()).hexdigest()
    key_file.write_text(
        json.dumps({"key": key, "sha256": digest, "title": title, "alt": alt}, indent=2) + "\n",
        encoding="utf-8",
    )
    return FigureInfo(name, svg, title, alt)


def render_all(frame: pd.DataFrame, out_dir: Path) -> list[FigureInfo]:
    """Draw every figure there is data for into ``out_dir`` (see ``draw_cached``)."""
    drawn = (
        draw_cached(spec.name, spec.title, spec.select(frame), spec.make, out_dir)
        for spec in figure_specs(frame)
    )
    return [info for info in drawn if info is not None]
