"""Every figure the report draws, registered by a decorator on its ``make`` function.

A figure module registers ``make(frame) -> (Figure, alt) | None`` with :func:`figure`
(one SVG) or ``make(frame, group)`` with :func:`figure_per_group` (one SVG per group
of the data); :func:`render_all` draws them all, cached by their rows.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from bench.report.figures.cache import FigureInfo, draw_cached
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


def render_all(frame: pd.DataFrame, out_dir: Path) -> list[FigureInfo]:
    """Draw every figure there is data for into ``out_dir`` (see ``draw_cached``)."""
    drawn = (
        draw_cached(spec.name, spec.title, spec.select(frame), spec.make, out_dir)
        for spec in figure_specs(frame)
    )
    return [info for info in drawn if info is not None]
