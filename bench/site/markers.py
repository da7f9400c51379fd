"""Markers in hand-written pages, replaced by generated Markdown at build time.

A marker is an HTML comment on a line of its own, e.g. ``<!-- evidence: ipc_slower -->``,
so an unprocessed page still renders (without the evidence). Known markers:

- ``evidence: CLAIM_ID``: the claim's verdicts, the numbers behind them, its figures
- ``figure: NAME``: a figure (``NAME`` may end in ``*`` to take every match)
- ``table: NAME``: a table of the report (claims, environment, speedups, timings,
  memory, ipc, outcomes)
- ``family: FAMILY``: every timing of one workload family
- ``verdicts``: the verdict of every claim at a glance
- ``across-machines``: how the CPU answer changes from one machine's cores to another's
- ``measured-on``: where and when the results were measured
- ``rules``: every claim's rule, its thresholds filled in from the code
- ``example-output``: the real output of the corrected article example, as the newest
  run recorded it

An unknown marker or argument stops the build with the page's name.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from pathlib import Path

from bench.environment import PROJECT_ROOT
from bench.families import catalogue
from bench.site import catalogue as site_catalogue
from bench.site import example, pages
from bench.site.answer import across_machines, answer_table
from bench.site.data import SourceData
from bench.site.markdown import relative

#: The hand-written pages, where the evidence markers stand.
DOCS = PROJECT_ROOT / "docs"
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


def evidence_pages(docs: Path = DOCS) -> dict[str, str]:
    """Each claim -> the first page (in the nav's order) whose ``evidence`` marker shows
    it, with the anchor its block carries: where the home page and the verdicts link."""
    found: dict[str, str] = {}
    for entry in site_catalogue.pages():
        path = docs / entry.path
        if entry.generated or not path.is_file():
            continue
        for name, arg in MARKER.findall(path.read_text(encoding="utf-8")):
            if name == "evidence" and arg and arg not in found:
                found[arg] = f"{entry.path}#{pages.evidence_anchor(arg)}"
    return found


def _links_from(page: str) -> dict[str, str]:
    """``evidence_pages`` as links relative to ``page``."""
    links = {}
    for claim, target in evidence_pages().items():
        path, _, anchor = target.partition("#")
        links[claim] = f"{relative(path, page)}#{anchor}"
    return links


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
    "verdicts": (
        False,
        lambda _arg, page, sources: pages.verdicts_at_a_glance(sources, _links_from(page)),
    ),
    "answer": (
        False,
        lambda _arg, page, sources: pages.per_source(
            sources, lambda data: answer_table(data, _links_from(page))
        ),
    ),
    "across-machines": (False, lambda _arg, _page, sources: across_machines(sources)),
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
