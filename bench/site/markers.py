"""Markers in hand-written pages, replaced by generated Markdown at build time.

A marker is an HTML comment on a line of its own, e.g. ``<!-- evidence: ipc_slower -->``,
so an unprocessed page still renders (without the evidence). Known markers:

- ``evidence: CLAIM_ID``: the claim's verdicts, the numbers behind them, its figures
- ``figure: NAME``: a figure (``NAME`` may end in ``*`` to take every match)
- ``table: NAME``: a table of the report (claims, environment, speedups, timings,
  memory, ipc, outcomes)
- ``family: FAMILY``: every timing of one workload family
- ``verdicts``: the verdict of every claim at a glance
- ``measured-on``: where and when the results were measured
- ``rules``: every claim's rule, its thresholds filled in from the code
- ``example-output``: the real output of the corrected article example, as the newest
  run recorded it

An unknown marker or argument stops the build with the page's name.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence

from bench.families import catalogue
from bench.site import example, pages
from bench.site.answer import answer_table
from bench.site.data import SourceData

MARKER = re.compile(r"^<!--\s*([a-z-]+)(?::\s*(\S+))?\s*-->\s*$", re.MULTILINE)


class MarkerError(ValueError):
    pass


def expand(text: str, page: str, sources: Sequence[SourceData]) -> str:
    """``text`` of the docs page ``page`` with every marker replaced."""

    def replace(match: re.Match[str]) -> str:
        name, arg = match.group(1), match.group(2)
        try:
            return render(name, arg, page, sources).rstrip("\n") + "\n"
        except MarkerError as exc:
            raise MarkerError(f"{page}: marker {match.group(0).strip()!r}: {exc}") from None

    return MARKER.sub(replace, text)


Renderer = Callable[[str | None, str, Sequence[SourceData]], str]


def _evidence(arg: str | None, page: str, sources: Sequence[SourceData]) -> str:
    known = [c.id for c in catalogue.claims()]
    if arg is None or arg not in known:
        raise MarkerError(f"no claim {arg!r}; known: {', '.join(known)}")
    return pages.evidence(sources, arg, page)


#: marker name -> (takes an argument, renderer)
RENDERERS: dict[str, tuple[bool, Renderer]] = {
    "evidence": (True, _evidence),
    "figure": (True, lambda arg, page, sources: pages.figure(sources, str(arg), page)),
    "table": (True, lambda arg, _page, sources: pages.table(sources, str(arg))),
    "family": (True, lambda arg, _page, sources: pages.family_timings(sources, str(arg))),
    "verdicts": (False, lambda _arg, _page, sources: pages.verdicts_at_a_glance(sources)),
    "answer": (False, lambda _arg, _page, sources: pages.per_source(sources, answer_table)),
    "rules": (False, lambda _arg, _page, _sources: pages.rules_table()),
    "measured-on": (False, lambda _arg, _page, sources: pages.measured_on(sources)),
    "example-output": (False, lambda _arg, _page, sources: example.output_block(sources)),
}


def render(name: str, arg: str | None, page: str, sources: Sequence[SourceData]) -> str:
    known = RENDERERS.get(name)
    if known is None:
        raise MarkerError(f"unknown marker; known: {', '.join(RENDERERS)}")
    takes_arg, renderer = known
    if takes_arg != (arg is not None):
        raise MarkerError("needs an argument" if takes_arg else "takes no argument")
    return renderer(arg, page, sources)
