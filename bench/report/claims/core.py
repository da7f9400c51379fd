"""The machinery of claims: verdicts, ``Claim``, the registry and ``evaluate``.

A rule is a pure function from the tidy frame of one machine and interpreter to a
``Verdict``; ``claim`` registers it with its wording. How verdicts are reached is in
docs/methodology.md, "How a verdict is reached".
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from bench.report.select import config_label

HOLDS = "holds"
DOES_NOT_HOLD = "does not hold"
DEPENDS = "depends"
NO_DATA = "no data"
VERDICTS = (HOLDS, DOES_NOT_HOLD, DEPENDS, NO_DATA)

#: Below 1.2x, two workers gained next to nothing: what threads holding one lock in
#: turn get (1.0x) plus the noise of a shared VM. For threads that is the GIL at work;
#: for processes, a failure to side-step it. Shared by the CPU and the I/O claims.
NO_GAIN = 1.2
THREAD_MODELS = ("threads", "thread_pool")


@dataclass(frozen=True)
class Verdict:
    """A rule's answer: the verdict, a one-line evidence, and the figures behind it."""

    verdict: str
    evidence: str
    figures: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.verdict not in VERDICTS:
            raise ValueError(f"unknown verdict {self.verdict!r}: one of {VERDICTS}")


Rule = Callable[[pd.DataFrame], Verdict]


def decide(*, holds: bool, fails: bool, line: str, figures: dict[str, Any]) -> Verdict:
    """The verdict of a rule's two tests: its claim holds, else fails, else it depends."""
    if holds:
        return Verdict(HOLDS, line, figures)
    return Verdict(DOES_NOT_HOLD if fails else DEPENDS, line, figures)


def no_data(what: str) -> Verdict:
    return Verdict(NO_DATA, f"not measured: {what}")


@dataclass(frozen=True)
class Claim:
    """One claim of the guide: our paraphrase, what measures it, and its rule."""

    id: str
    statement: str
    measured_by: str
    rule: Rule
    criteria: str = ""  # the rule in words, its thresholds filled in from the constants


# --- the registry ------------------------------------------------------------------------

_REGISTRY: dict[str, tuple[int, Claim]] = {}


def claim(
    claim_id: str, *, order: int, statement: str, measured_by: str, criteria: str
) -> Callable[[Rule], Rule]:
    """Register the decorated rule as the claim ``claim_id``. ``order`` places it in
    every list of claims (the guide's order; in tens, so that a new one fits between)."""

    def register(rule: Rule) -> Rule:
        if claim_id in _REGISTRY:
            raise ValueError(f"claim {claim_id!r} is registered twice")
        if any(rank == order for rank, _ in _REGISTRY.values()):
            raise ValueError(f"claim {claim_id!r}: another claim has order {order}")
        _REGISTRY[claim_id] = (order, Claim(claim_id, statement, measured_by, rule, criteria))
        return rule

    return register


def registered() -> tuple[Claim, ...]:
    """Every registered claim, in order."""
    return tuple(c for _, c in sorted(_REGISTRY.values(), key=lambda entry: entry[0]))


# --- helpers of the rules ------------------------------------------------------------------


def by_config(table: pd.DataFrame, column: str) -> dict[str, float]:
    """Median of ``column`` per model/start method (over runs and repeated rows)."""
    out: dict[str, list[float]] = {}
    for _, row in table.iterrows():
        label = config_label(row["model"], row.get("start_method"))
        out.setdefault(label, []).append(float(row[column]))
    return {config: float(np.median(values)) for config, values in sorted(out.items())}


# --- evaluation ----------------------------------------------------------------------------

COLUMNS = [
    "claim_id", "statement", "measured_by", "machine", "interpreter", "verdict", "evidence",
    "figures",
]  # fmt: skip


def _plain(value: Any) -> Any:
    """JSON-ready: numpy scalars to Python, NaN to None, floats to 4 significant digits."""
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float):
        return None if math.isnan(value) else float(f"{value:.4g}")
    return value


def figures_json(figures: dict[str, Any]) -> str:
    return json.dumps(_plain(figures), sort_keys=True, ensure_ascii=False)


def evaluate(frame: pd.DataFrame, claims: Iterable[Claim] | None = None) -> pd.DataFrame:
    """One row per claim (every registered one by default) x machine x interpreter: the
    verdict, its evidence and figures. Every run of a machine and interpreter in
    ``frame`` counts: each is paired only with itself, and figures are medians over runs.
    """
    if frame.empty or "interpreter" not in frame.columns:
        return pd.DataFrame(columns=COLUMNS)
    chosen = registered() if claims is None else tuple(claims)
    frame = frame if "machine" in frame.columns else frame.assign(machine=None)
    rows = []
    for (machine, interpreter), part in frame.groupby(["machine", "interpreter"], dropna=False):
        for each in chosen:
            verdict = each.rule(part)
            rows.append(
                {
                    "claim_id": each.id,
                    "statement": each.statement,
                    "measured_by": each.measured_by,
                    "machine": machine,
                    "interpreter": interpreter,
                    "verdict": verdict.verdict,
                    "evidence": verdict.evidence,
                    "figures": figures_json(verdict.figures),
                }
            )
    return pd.DataFrame(rows, columns=COLUMNS)
