"""What could not be made from the data it got, and why: a figure, a claim or a table that
raised is left out with its reason, and the rest of the report goes on."""

from __future__ import annotations

from dataclasses import dataclass

#: The longest reason kept: one line of a summary or a page.
MAX_REASON = 300


@dataclass(frozen=True)
class Skipped:
    kind: str  # "figure", "claim" or "table"
    name: str
    reason: str

    @classmethod
    def of(cls, kind: str, name: str, error: BaseException) -> Skipped:
        """``error`` as a reason: its type and first line."""
        text = str(error).strip().splitlines()
        reason = f"{type(error).__name__}: {text[0]}" if text else type(error).__name__
        if len(reason) > MAX_REASON:
            reason = reason[: MAX_REASON - 3] + "..."
        return cls(kind, name, reason)

    @property
    def line(self) -> str:
        return f"{self.kind} {self.name}: {self.reason}"
