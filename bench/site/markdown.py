"""Markdown building blocks for the generated parts of the site (pure functions)."""

from __future__ import annotations

import posixpath
import textwrap
from collections.abc import Sequence

from bench.report.markdown import inert

#: The admonition of each verdict a page shows ("inconclusive" is styled in extra.css).
VERDICT_KINDS = {
    "holds": "success",
    "does not hold": "failure",
    "depends": "warning",
    "inconclusive": "inconclusive",
    "no data": "note",
    "reference": "info",
}


def indent(text: str, spaces: int = 4) -> str:
    return textwrap.indent(text.rstrip("\n"), " " * spaces, lambda line: bool(line.strip()))


def tabs(items: Sequence[tuple[str, str]]) -> str:
    """Content tabs (pymdownx.tabbed); a single item needs no tab."""
    items = [(title, body) for title, body in items if body.strip()]
    if not items:
        return ""
    if len(items) == 1:
        return items[0][1].rstrip("\n") + "\n"
    parts = [f'=== "{quote(title)}"\n\n{indent(body)}\n' for title, body in items]
    return "\n".join(parts)


def admonition(kind: str, title: str, body: str, *, collapsible: bool = False) -> str:
    marker = "???" if collapsible else "!!!"
    return f'{marker} {kind} "{quote(title)}"\n\n{indent(body)}\n'


def quote(text: str) -> str:
    """``text`` inert, for a title in double quotes (a tab's, an admonition's, an image's)."""
    return inert(text).replace('"', "'")


def alt_text(text: str) -> str:
    """Alt text inside ``![...]``: brackets and newlines would end or break it."""
    return inert(" ".join(text.replace("[", "(").replace("]", ")").split()))


def relative(target: str, page: str) -> str:
    """A link from the page at docs path ``page`` to the docs path ``target``."""
    return posixpath.relpath(target, posixpath.dirname(page) or ".")


def image(alt: str, target: str, page: str, title: str = "") -> str:
    caption = f' "{quote(title)}"' if title else ""
    return f"![{alt_text(alt)}]({relative(target, page)}{caption})"


def bullet_list(lines: Sequence[str]) -> str:
    return "".join(f"- {line}\n" for line in lines)
