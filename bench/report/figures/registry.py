"""Every figure the report draws, registered by a decorator on its ``make`` function.

A family folder's ``figures.py`` registers ``make(frame) -> (Figure, alt) | None`` with
:func:`figure` (one SVG) or ``make(frame, group)`` with :func:`figure_per_group` (one SVG
per group of the data); the catalogue imports them all, and :func:`render_all` draws
them, cached by their rows.
"""

from __future__ import annotations

import multiprocessing
import os
import threading
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import ProcessPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from bench.report.figures.cache import FigureInfo, data_key, draw_cached, from_cache
from bench.report.figures.style import FigureWithAlt, styled
from bench.report.skipped import Skipped

Select = Callable[[pd.DataFrame], pd.DataFrame]
Make = Callable[[pd.DataFrame], FigureWithAlt]
SelectGroup = Callable[[pd.DataFrame, str], pd.DataFrame]
MakeGroup = Callable[[pd.DataFrame, str], FigureWithAlt]


@dataclass(frozen=True)
class FigureSpec:
    name: str
    title: str
    select: Select
    make: Make


@dataclass(frozen=True)
class Registered:
    """A registered figure: ``specs`` gives what it draws from a frame; ``order`` places
    it among the others (the order of the report and of the site's pages)."""

    name: str
    order: int
    specs: Callable[[pd.DataFrame], list[FigureSpec]]


#: Every registered figure, filled as the figure modules are imported.
REGISTRY: dict[str, Registered] = {}
#: Titles of the figures drawn once, by name.
TITLES: dict[str, str] = {}


def _register(entry: Registered) -> None:
    if entry.name in REGISTRY:
        raise ValueError(f"a figure named {entry.name!r} is already registered")
    REGISTRY[entry.name] = entry


def figure(name: str, title: str, select: Select, *, order: int) -> Callable[[Make], Make]:
    """Register ``make`` as the figure ``name``, drawn from ``select(frame)``; the
    function returned draws under the figures' style."""

    def register(make: Make) -> Make:
        drawn = styled(make)
        spec = FigureSpec(name, title, select, drawn)
        _register(Registered(name, order, lambda _frame: [spec]))
        TITLES[name] = title
        return drawn

    return register


def figure_per_group(
    *,
    name: str,
    groups: Callable[[pd.DataFrame], list[str]],
    file_name: Callable[[str], str],
    title: Callable[[str], str],
    select: SelectGroup,
    order: int,
) -> Callable[[MakeGroup], MakeGroup]:
    """Register ``make(frame, group)`` as one figure per group in ``groups(frame)``,
    named ``file_name(group)`` and drawn from ``select(frame, group)``."""

    def register(make: MakeGroup) -> MakeGroup:
        drawn = styled(make)

        def spec(group: str) -> FigureSpec:
            return FigureSpec(
                file_name(group),
                title(group),
                lambda frame: select(frame, group),
                lambda frame: drawn(frame, group),
            )

        _register(Registered(name, order, lambda frame: [spec(g) for g in groups(frame)]))
        return drawn

    return register


def registered() -> tuple[Registered, ...]:
    """Every registered figure, in order."""
    return tuple(sorted(REGISTRY.values(), key=lambda entry: (entry.order, entry.name)))


@dataclass(frozen=True)
class Drawn:
    """The figures drawn, in the registered order, and those that could not be (a
    figure whose data it cannot be made from is left out with its reason)."""

    figures: list[FigureInfo]
    skipped: list[Skipped]


def figure_specs(frame: pd.DataFrame, skipped: list[Skipped] | None = None) -> list[FigureSpec]:
    """Every figure ``render_all`` draws from ``frame``, in the registered order; a
    registered figure whose groups cannot be read from ``frame`` goes to ``skipped``."""
    specs = []
    for entry in registered():
        try:
            specs.extend(entry.specs(frame))
        except Exception as exc:
            if skipped is None:
                raise
            skipped.append(Skipped.of("figure", entry.name, exc))
    return specs


#: The figures a pool's worker draws, by index: set before the pool forks its workers,
#: which inherit it, so that no figure's (unpicklable) ``make`` closure is pickled.
_TO_DRAW: list[tuple[FigureSpec, pd.DataFrame, str]] = []


def _draw(index: int, out_dir: Path) -> FigureInfo | None:
    spec, rows, key = _TO_DRAW[index]
    return draw_cached(spec.name, spec.title, rows, spec.make, out_dir, key=key)


def drawing_workers() -> int:
    """How many processes draw figures: the CPUs this process may use, where it can fork
    (a spawned worker would spend longer importing matplotlib than drawing). Forking a
    process with threads (``mkdocs serve``) may deadlock the child: then one, this one."""
    if "fork" not in multiprocessing.get_all_start_methods() or threading.active_count() > 1:
        return 1
    usable = os.sched_getaffinity(0) if hasattr(os, "sched_getaffinity") else None
    return len(usable) if usable else os.cpu_count() or 1


def render_all(frame: pd.DataFrame, out_dir: Path, workers: int | None = None) -> list[FigureInfo]:
    """Draw every figure there is data for into ``out_dir`` (see :func:`drawing`)."""
    with drawing(frame, out_dir, workers) as drawn:
        return drawn().figures


def _outcome(
    spec: FigureSpec, out_dir: Path, draw: Callable[[], FigureInfo | None], rows: pd.DataFrame
) -> FigureInfo | Skipped | None:
    """``draw()``, or why the figure could not be drawn (its error, as a reason); a
    skipped figure leaves no SVG of an earlier drawing behind."""
    try:
        return draw()
    except Exception as exc:
        for stale in (out_dir / f"{spec.name}.svg", out_dir / f"{spec.name}.svg.key"):
            stale.unlink(missing_ok=True)
        return Skipped.of("figure", spec.name, exc, rows)


def _drawn_here(
    spec: FigureSpec, rows: pd.DataFrame, out_dir: Path, key: str | None = None
) -> FigureInfo | Skipped | None:
    return _outcome(
        spec,
        out_dir,
        lambda: draw_cached(spec.name, spec.title, rows, spec.make, out_dir, key),
        rows,
    )


@contextmanager
def drawing(
    frame: pd.DataFrame, out_dir: Path, workers: int | None = None
) -> Iterator[Callable[[], Drawn]]:
    """Start drawing every figure there is data for into ``out_dir`` (``draw_cached``);
    the function given waits for them and returns them, in the registered order, with
    the figures that could not be made from their data and why (``Drawn``).

    Figures whose cached SVG still fits their rows are served at once; the rest are
    independent and drawn by ``workers`` processes (default: :func:`drawing_workers`),
    which write the same bytes as one process would, while the caller works on.
    """
    skipped: list[Skipped] = []
    made: list[FigureInfo | Skipped | None] = []
    to_draw: dict[int, tuple[FigureSpec, pd.DataFrame, str]] = {}
    for spec in figure_specs(frame, skipped):
        try:
            rows = spec.select(frame)
            key = data_key(rows, spec.name) if not rows.empty else None
            info = from_cache(spec.name, spec.title, out_dir, key) if key else None
        except Exception as exc:
            made.append(Skipped.of("figure", spec.name, exc, frame))
            continue
        if key and info is None:
            to_draw[len(made)] = (spec, rows, key)
        elif key is None:  # no data: draw_cached removes a stale SVG
            made.append(_drawn_here(spec, rows, out_dir))
            continue
        made.append(info)

    def collect(drawn: Iterable[FigureInfo | Skipped | None]) -> Drawn:
        for position, outcome in zip(to_draw, drawn, strict=True):
            made[position] = outcome
        return Drawn(
            [m for m in made if isinstance(m, FigureInfo)],
            skipped + [m for m in made if isinstance(m, Skipped)],
        )

    workers = min(drawing_workers() if workers is None else workers, len(to_draw))
    if workers <= 1:
        yield lambda: collect(_drawn_here(s, r, out_dir, k) for s, r, k in to_draw.values())
        return
    _TO_DRAW[:] = to_draw.values()  # before the first submit, which forks every worker
    try:
        with ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context("fork")) as pool:
            futures = [pool.submit(_draw, i, out_dir) for i in range(len(_TO_DRAW))]
            drawn = [(spec, rows) for spec, rows, _ in _TO_DRAW]
            try:
                yield lambda: collect(
                    _outcome(spec, out_dir, future.result, rows)
                    for (spec, rows), future in zip(drawn, futures, strict=True)
                )
            except BaseException:
                pool.shutdown(cancel_futures=True)
                raise
    finally:
        _TO_DRAW.clear()
