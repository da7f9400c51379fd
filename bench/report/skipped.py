"""What could not be made from the data it got, and why: a figure, a claim or a table that
raised is left out with its reason, and the rest of the report goes on."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import pandas as pd

#: The longest reason kept: one line of a summary or a page.
MAX_REASON = 300
#: The runs named as the source of a piece that failed (a year of history is not listed).
MAX_SOURCES = 3


@dataclass(frozen=True)
class Skipped:
    kind: str  # "figure", "claim" or "table"
    name: str
    reason: str

    @classmethod
    def of(
        cls, kind: str, name: str, error: BaseException, rows: pd.DataFrame | None = None
    ) -> Skipped:
        """``error`` as a reason: its type and first line, and the results files of the
        ``rows`` it was made from, so that a reader can find the data that broke it."""
        text = str(error).strip().splitlines()
        reason = f"{type(error).__name__}: {text[0]}" if text else type(error).__name__
        where = sources(rows)
        room = MAX_REASON - len(where)
        if len(reason) > room:
            reason = reason[: room - 3] + "..."
        return cls(kind, name, reason + where)

    @property
    def line(self) -> str:
        return f"{self.kind} {self.name}: {self.reason}"


def sources(rows: pd.DataFrame | None) -> str:
    """`` (from <machine>/<run>/<interpreter>, ...)``: the results files ``rows`` were read
    from, as the results folder names them; "" when unknown."""
    keys = ["machine", "run_id", "interpreter"]
    if rows is None or rows.empty or not set(keys) <= set(rows.columns):
        return ""
    runs = sorted("/".join(map(str, run)) for run in rows[keys].drop_duplicates().itertuples(
        index=False))  # fmt: skip
    more = f" and {len(runs) - MAX_SOURCES} more" if len(runs) > MAX_SOURCES else ""
    return f" (from {', '.join(runs[:MAX_SOURCES])}{more})"
