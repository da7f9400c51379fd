"""The report's index page: what the results name (a figure's title and alt text, the
folder) is inert Markdown there, as in every table."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from bench.evidence.build import Report, index_page
from bench.report.figures.cache import FigureInfo

HOSTILE = "cpython-3.13 <script>alert(1)</script> ](javascript:alert(2)) `x`"


def test_titles_alt_text_and_the_folder_are_inert() -> None:
    figure = FigureInfo("f", Path("/out/figures/f.svg"), f"Scaling on {HOSTILE}", HOSTILE)
    report = Report(
        out=Path("/out"),
        rows=1,
        runs=1,
        figures=[figure],
        verdicts=pd.DataFrame(),
        tables={"claims": "| a |\n|---|\n| b |\n"},
        skipped=[],
    )
    text = index_page(report, Path("/data/`weird` <b>"))
    assert "<script>" not in text and "<b>" not in text
    # The alt text cannot close its brackets: every "]" of the data is escaped.
    assert text.count("](javascript:") == text.count("\\](javascript:") == 2
    assert "![" in text and "](figures/f.svg)" in text
    assert "\n### Scaling on cpython-3.13 &lt;script&gt;" in text
