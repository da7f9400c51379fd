"""The article example's real output, as ``bench run`` recorded it in the newest run.

The runner runs ``python -m bench.families.article.workload`` once per interpreter and keeps
what it printed in the run's manifest, one string per line; the site shows it from
there, so a build runs nothing. The lines come from a results folder, that is from
anyone: they are shown in a fenced block no line can close, with nothing an extension
would act on.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from bench.report.markdown import inert
from bench.results.layout import MANIFEST_NAME
from bench.results.read import read_manifest
from bench.site import pages
from bench.site.data import SourceData
from bench.site.markdown import admonition

#: pymdownx.snippets acts on ``--8<--`` wherever a line holds it, code blocks included;
#: every form of it has ``8<`` in it, which a zero-width space breaks.
SNIPPET_SIGN = "8<"
ZERO_WIDTH_SPACE = "\u200b"
_CONTROLS = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]")
_BACKTICKS = re.compile(r"`+")


@dataclass(frozen=True)
class Recorded:
    run_id: str
    interpreter: str  # its label in the run
    lines: tuple[str, ...]


def recorded(data: SourceData) -> Recorded | None:
    """The output kept by the newest run of ``data`` that has one (its first interpreter
    with an output); None for a folder whose runs predate it."""
    manifests = [p for p in pages.newest_run_files(data) if p.name == MANIFEST_NAME]
    for path in sorted(manifests, key=lambda p: p.parent.name, reverse=True):
        for entry in read_manifest(path).interpreters:
            if entry.article_output:
                return Recorded(path.parent.name, entry.label, tuple(entry.article_output))
    return None


def inert_line(line: str) -> str:
    """A line of program output as text of a code block: no control character, no snippet."""
    line = _CONTROLS.sub("\ufffd", line)
    return line.replace(SNIPPET_SIGN, SNIPPET_SIGN[0] + ZERO_WIDTH_SPACE + SNIPPET_SIGN[1:])


def code_block(lines: Sequence[str]) -> str:
    """``lines`` in a fenced block whose fence is longer than any run of backticks in them."""
    body = [inert_line(line) for line in lines]
    longest = max((len(run) for line in body for run in _BACKTICKS.findall(line)), default=0)
    fence = "`" * max(3, longest + 1)
    return "\n".join([f"{fence}text", *body, fence]) + "\n"


def output_block(sources: Sequence[SourceData]) -> str:
    """The ``example-output`` marker: per results folder, the recorded output or a note."""

    def body(data: SourceData) -> str:
        found = recorded(data)
        if found is None:
            return admonition(
                "info",
                "No recorded output",
                "The runs in this folder predate recording the example's output. "
                "`python -m bench run` records it, once per interpreter.",
            )
        label = pages.label(data, found.interpreter)
        where = f"_Recorded by run {inert(found.run_id)}, under {inert(label)}._\n"
        return f"{where}\n{code_block(found.lines)}"

    return pages.per_source(sources, body)
