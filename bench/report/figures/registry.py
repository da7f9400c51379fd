"""Every figure the report draws, registered by a decorator on its ``make`` function.

A figure module registers ``make(frame) -> (Figure, alt) | None`` with :func:`figure`
(one SVG) or ``make(frame, group)`` with :func:`figure_per_group` (one SVG per group
of the data); :func:`render_all` draws them all, cached by their rows.
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
from bench.report.figures.style import Made, styled

Select = Callable[[pd.DataFrame], pd.DataFrame]
Make = Callable[[pd.DataFrame], Made]
SelectGroup = Callable[[pd.DataFrame, str], pd.DataFrame]
MakeGroup = Callable[[pd.DataFrame, str], Made]


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


def figure_specs(frame: pd.DataFrame) -> list[FigureSpec]:
    """Every figure ``render_all`` draws from ``frame``, in the registered order."""
    entries = sorted(REGISTRY.values(), key=lambda entry: (entry.order, entry.name))
    return [spec for entry in entries for spec in entry.specs(frame)]


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
        return drawn()


@contextmanager
def drawing(
    frame: pd.DataFrame, out_dir: Path, workers: int | None = None
) -> Iterator[Callable[[], list[FigureInfo]]]:
    """Start drawing every figure there is data for into ``out_dir`` (``draw_cached``);
    the function given waits for them and returns them, in the registered order.

    Figures whose cached SVG still fits their rows are served at once; the rest are
    independent and drawn by ``workers`` processes (default: :func:`drawing_workers`),
    which write the same bytes as one process would, while the caller works on.
    """
    infos: list[FigureInfo | None] = []
    to_draw: dict[int, tuple[FigureSpec, pd.DataFrame, str]] = {}
    for spec in figure_specs(frame):
        rows = spec.select(frame)
        key = data_key(rows, spec.name) if not rows.empty else None
        info = from_cache(spec.name, spec.title, out_dir, key) if key else None
        if key and info is None:
            to_draw[len(infos)] = (spec, rows, key)
        elif key is None:  # no data: draw_cached removes a stale SVG
            info = draw_cached(spec.name, spec.title, rows, spec.make, out_dir)
        infos.append(info)

    def collect(drawn: Iterable[FigureInfo | None]) -> list[FigureInfo]:
        for position, info in zip(to_draw, drawn, strict=True):
            infos[position] = info
        return [info for info in infos if info is not None]

    workers = min(drawing_workers() if workers is None else workers, len(to_draw))
    if workers <= 1:
        yield lambda: collect(
            draw_cached(s.name, s.title, r, s.make, out_dir, key=k) for s, r, k in to_draw.values()
        )
        return
    _TO_DRAW[:] = to_draw.values()  # before the first submit, which forks every worker
    try:
        with ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context("fork")) as pool:
            futures = [pool.submit(_draw, i, out_dir) for i in range(len(_TO_DRAW))]
            try:
                yield lambda: collect(future.result() for future in futures)
            except BaseException:
                pool.shutdown(cancel_futures=True)
                raise
    finally:
        _TO_DRAW.clear()
