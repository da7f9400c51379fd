"""The figure cache: an SVG is redrawn only when the rows it draws change, and served
from the cache only while its bytes are those drawn and safe to inline in a page."""

from __future__ import annotations

import hashlib
import json
import re
import shutil
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from xml.etree import ElementTree

import matplotlib
import pandas as pd

import bench.models as registry
from bench.report.figures.style import FigureWithAlt, save
from bench.report.spreadsheet import to_csv
from bench.untrusted import read_regular_file

#: Part of every cache key: bump it when a figure's drawing changes.
VERSION = "6"  # 3: numbers written by bench.report.format; 4: models' labels from the registry
# 5: layout placed once before saving (style.settle_layout); 6: a marker per model, the
# numbers behind each chart as CSV


@dataclass(frozen=True)
class FigureInfo:
    name: str
    path: Path
    title: str
    alt: str

    @property
    def numbers(self) -> Path:
        """The numbers behind the chart, as CSV, beside its SVG."""
        return numbers_path(self.path)


def numbers_path(svg: Path) -> Path:
    return svg.with_suffix(".csv")


def data_key(rows: pd.DataFrame, name: str) -> str:
    """A hash of the rows a figure uses, independent of row and column order."""
    ordered = rows.reindex(sorted(rows.columns), axis=1)
    lines = sorted(ordered.to_csv(index=False, header=False, lineterminator="\n").splitlines())
    digest = hashlib.sha256()
    # the registry's labels and colours are drawn too: a change of either redraws
    look = ";".join(
        f"{m}={s.label}={s.colour}={s.marker}" for m, s in sorted(registry.MODELS.items())
    )
    for part in (VERSION, matplotlib.__version__, look, name, ",".join(ordered.columns), *lines):
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
    raw_numbers = read_regular_file(numbers_path(svg), MAX_CACHED_BYTES)
    if raw_numbers is None or data.get("numbers_sha256") != hashlib.sha256(raw_numbers).hexdigest():
        return None
    return data


def from_cache(name: str, title: str, out_dir: Path, key: str) -> FigureInfo | None:
    """The figure ``name`` as drawn for ``key`` in ``out_dir``, if it may be served (see
    :func:`draw_cached`); None if it must be drawn."""
    svg = out_dir / f"{name}.svg"
    cached = _cached_figure(svg, svg.with_name(f"{svg.name}.key"), key)
    return None if cached is None else FigureInfo(name, svg, title, str(cached["alt"]))


def draw_cached(
    name: str,
    title: str,
    rows: pd.DataFrame,
    make: Callable[[pd.DataFrame], FigureWithAlt],
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
    numbers = numbers_path(svg)
    key = key or (data_key(rows, name) if not rows.empty else None)
    cached = from_cache(name, title, out_dir, key) if key else None
    if cached is not None:
        return cached
    made = make(rows) if key else None
    if made is None:
        for stale in (svg, key_file, numbers):
            stale.unlink(missing_ok=True)
        return None
    fig, alt = made[0], made[1]
    drawn = made[2] if len(made) == 3 else rows  # type: ignore[misc]
    for planted in (svg, key_file, numbers):  # a link or a folder there: replaced, not written
        if planted.is_symlink() or planted.is_file():
            planted.unlink()
        elif planted.exists():
            shutil.rmtree(planted)
    save(fig, svg)
    numbers.write_text(to_csv(drawn), encoding="utf-8")
    digests = {
        "sha256": hashlib.sha256(svg.read_bytes()).hexdigest(),
        "numbers_sha256": hashlib.sha256(numbers.read_bytes()).hexdigest(),
    }
    key_file.write_text(
        json.dumps({"key": key, **digests, "title": title, "alt": alt}, indent=2) + "\n",
        encoding="utf-8",
    )
    return FigureInfo(name, svg, title, alt)
