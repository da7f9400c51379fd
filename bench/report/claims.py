"""The machinery of claims: verdicts, ``Claim``, the registry and ``evaluate``.

A rule is a pure function from the tidy frame of one machine and interpreter to a
``Verdict``; ``claim`` registers it with its wording and the figures that show it. Each
family folder's ``claims.py`` holds its rules; the catalogue gathers them. How verdicts
are reached is in docs/methodology.md, "How a verdict is reached".
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from bench.capacity import FAMILY as CAPACITY_FAMILY
from bench.report.estimate import Estimate, ratio_estimate
from bench.report.format import format_interval, format_threshold, is_missing
from bench.report.select import config_label, first
from bench.report.skipped import Skipped

HOLDS = "holds"
DOES_NOT_HOLD = "does not hold"
#: The verdict really differs by case (payload, task length, workload, the machine's cores):
#: each case is decided, and not all the same way.
DEPENDS = "depends"
#: Not enough evidence either way: an interval that straddles a threshold or lies between
#: the two, too few rounds, or no contrast to judge.
INCONCLUSIVE = "inconclusive"
NO_DATA = "no data"
VERDICTS = (HOLDS, DOES_NOT_HOLD, DEPENDS, INCONCLUSIVE, NO_DATA)
#: The verdicts that decide a case, one way or the other.
DECIDED = (HOLDS, DOES_NOT_HOLD)

#: Below 1.2x, two workers gained next to nothing: what threads holding one lock in
#: turn get (1.0x) plus the noise of a shared VM. For threads that is the GIL at work;
#: for processes, a failure to side-step it. Shared by the CPU and the I/O claims.
NO_GAIN = 1.2


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


#: How a rule over several cases words what is neither "holds" nor "does not hold".
MIXED_OR_UNCLEAR = (
    "depends when the cases decided go different ways; inconclusive when a case's interval "
    "straddles a threshold or lies between the two, or rests on fewer than two rounds"
)
#: The same for a rule over one estimate.
UNCLEAR = (
    "inconclusive when the interval straddles a threshold or lies between the two, or rests "
    "on fewer than two rounds kept; depends on the machine when it has a single core"
)


def depends(line: str, reason: str, figures: dict[str, Any] | None = None) -> Verdict:
    """A verdict of "depends" (it differs by case or machine), always with the sentence
    that says on what, starting "on ...": "on the payload: holds at 1 MiB; ..."."""
    figures = dict(figures or {})
    figures["depends_on"] = reason
    return Verdict(DEPENDS, f"{line}; depends {reason}", figures)


def inconclusive(line: str, reason: str, figures: dict[str, Any] | None = None) -> Verdict:
    """A verdict of "inconclusive" (not enough evidence either way), always with the
    sentence that says why: the interval, the rounds, the contrast missing."""
    figures = dict(figures or {})
    figures["inconclusive_because"] = reason
    return Verdict(INCONCLUSIVE, f"{line}; inconclusive: {reason}", figures)


# --- deciding on an interval -------------------------------------------------------------


@dataclass(frozen=True)
class Bound:
    """One test of a rule: a threshold and the side of it on which the test passes
    (``above``: at or above it; else below it). It passes for sure only when the whole
    interval of the estimate is on that side."""

    threshold: float
    above: bool

    def certain(self, estimate: Estimate) -> bool:
        if self.above:
            return estimate.at_least(self.threshold)
        return estimate.below(self.threshold)

    def straddled(self, estimate: Estimate) -> bool:
        return estimate.known and estimate.low < self.threshold <= estimate.high


@dataclass(frozen=True)
class Judgement:
    """The verdict of one estimate against a rule's two bounds, and why when it depends."""

    verdict: str
    reason: str = ""


def judge_estimate(
    estimate: Estimate,
    *,
    holds: Bound,
    fails: Bound,
    dropped: int = 0,
    show: Callable[[float], str] = format_threshold,
    interval: Callable[[Estimate], str] | None = None,
) -> Judgement:
    """Holds when the whole interval clears ``holds``; does not hold when it is wholly on
    ``fails``' side; else inconclusive: too little data (fewer than two rounds kept, with
    ``dropped`` rounds left out for low capacity), or an interval that straddles a
    threshold or lies between the two. ``show`` writes a threshold, ``interval`` an
    interval (a ratio's by default)."""
    if not estimate.known:
        kept = f"only {estimate.n} round{'' if estimate.n == 1 else 's'} kept"
        if dropped:
            return Judgement(
                INCONCLUSIVE,
                f"{kept} ({dropped} below the capacity threshold): too little capacity",
            )
        return Judgement(INCONCLUSIVE, f"{kept}: too little data")
    if holds.certain(estimate):
        return Judgement(HOLDS)
    if fails.certain(estimate):
        return Judgement(DOES_NOT_HOLD)
    span = (interval or (lambda e: format_interval(e.low, e.high)))(estimate)
    for bound in (holds, fails):
        if bound.straddled(estimate):
            return Judgement(
                INCONCLUSIVE,
                f"the interval {span} straddles the {show(bound.threshold)} threshold",
            )
    low, high = sorted((holds.threshold, fails.threshold))
    return Judgement(
        INCONCLUSIVE,
        f"the interval {span} lies between {show(low)} and {show(high)}, clear of neither",
    )


def verdict_of_judgements(
    judgements: dict[str, Judgement],
    line: str,
    figures: dict[str, Any],
    *,
    across: str = "the case",
) -> Verdict:
    """One verdict from the judgements of several cases (payloads, workloads, worker
    counts; ``across`` names what tells them apart): holds when all hold, does not hold
    when all do not; depends when the decided cases went both ways, saying which went
    which way; else inconclusive, saying which case could not be decided and why."""
    verdicts = {j.verdict for j in judgements.values()}
    if verdicts == {HOLDS}:
        return Verdict(HOLDS, line, figures)
    if verdicts == {DOES_NOT_HOLD}:
        return Verdict(DOES_NOT_HOLD, line, figures)
    unsure = [f"{case}: {j.reason}" for case, j in judgements.items() if j.verdict not in DECIDED]
    if len(judgements) == 1:
        (only,) = judgements.values()
        if only.verdict == DEPENDS:
            return depends(line, only.reason, figures)
        return inconclusive(line, only.reason, figures)
    parts = []
    for verdict, words in ((HOLDS, "holds at"), (DOES_NOT_HOLD, "does not hold at")):
        cases = [case for case, j in judgements.items() if j.verdict == verdict]
        if cases:
            parts.append(f"{words} {', '.join(cases)}")
    if DEPENDS in verdicts or set(DECIDED) <= verdicts:
        return depends(line, f"on {across}: " + "; ".join([*parts, *unsure]), figures)
    return inconclusive(line, "; ".join([*parts, *unsure]), figures)


def kept_text(rounds: int, dropped: int) -> str:
    """ "The words ", 2 of 5 rounds kept (3 below ...)" when some rounds were dropped."""
    if not dropped:
        return ""
    return f", {rounds} of {rounds + dropped} rounds kept ({dropped} below the capacity threshold)"


def default_start_method(frame: pd.DataFrame) -> str:
    """The start method a program gets without asking, fixed before looking at any
    timing: spawn on macOS and Windows; on Linux fork before Python 3.14, forkserver
    from 3.14 on. A frame without a ``platform`` column (made by hand) is taken to be
    Linux."""
    platform = str(first(frame, "platform") or "").lower()
    if platform.startswith(("darwin", "macos", "win")):
        return "spawn"
    version = re.match(r"(\d+)\.(\d+)", str(first(frame, "python_version") or ""))
    if version and (int(version[1]), int(version[2])) >= (3, 14):
        return "forkserver"
    return "fork"


#: Where the default start method was not measured, the first of these that was.
START_METHOD_FALLBACK = ("fork", "forkserver", "spawn")


def chosen_start_method(frame: pd.DataFrame, measured: Iterable[Any]) -> str | None:
    """``default_start_method`` if measured, else the first of ``START_METHOD_FALLBACK``
    measured: a choice made without the timings, so it cannot pick a lucky value."""
    methods = {m for m in measured if isinstance(m, str)}
    for method in (default_start_method(frame), *START_METHOD_FALLBACK):
        if method in methods:
            return method
    return None


def no_data(what: str) -> Verdict:
    return Verdict(NO_DATA, f"not measured: {what}")


#: The figures key marking an interpreter that is another's reference, not judged itself.
REFERENCE = "reference"


def reference(why: str) -> Verdict:
    """No verdict for an interpreter that is the yardstick of another (the default build a
    free-threaded one is measured against): its data are there, so a page calls it the
    reference, never "no data" (``shown_verdict``)."""
    return Verdict(NO_DATA, why, {REFERENCE: True})


def shown_verdict(verdict: str, figures: str) -> str:
    """The verdict as a page names it: "reference" for ``reference``'s, else the verdict.
    ``figures`` is the JSON of ``figures_json``."""
    if verdict == NO_DATA and figures:
        try:
            found = json.loads(figures)
        except ValueError:
            return verdict
        if isinstance(found, dict) and found.get(REFERENCE):
            return REFERENCE
    return verdict


@dataclass(frozen=True)
class Claim:
    """One claim of the guide: our paraphrase, what measures it, and its rule."""

    id: str
    statement: str
    measured_by: str
    rule: Rule
    criteria: str = ""  # the rule in words, its thresholds filled in from the constants
    #: The rule sees every interpreter of the machine, the one judged marked in ``JUDGED``
    #: (a free-threaded build is judged against the default build measured beside it).
    across_interpreters: bool = False
    #: The figures that show its evidence, in the order shown: names, or name prefixes
    #: ending in ``*`` (one figure per group).
    figures: tuple[str, ...] = ()
    #: A claim the article makes (``shared/reference``); the others are the site's own.
    from_article: bool = False


#: Column of the rows of the interpreter judged, given to a rule ``across_interpreters``.
JUDGED = "judged"


# --- the registry ------------------------------------------------------------------------

_REGISTRY: dict[str, tuple[int, Claim]] = {}


def claim(
    claim_id: str,
    *,
    order: int,
    statement: str,
    measured_by: str,
    criteria: str,
    across_interpreters: bool = False,
    figures: tuple[str, ...] = (),
    from_article: bool = False,
) -> Callable[[Rule], Rule]:
    """Register the decorated rule as the claim ``claim_id``. ``order`` places it in
    every list of claims (the guide's order; in tens, so that a new one fits between);
    ``across_interpreters``, ``figures`` and ``from_article``: see ``Claim``."""

    def register(rule: Rule) -> Rule:
        if claim_id in _REGISTRY:
            raise ValueError(f"claim {claim_id!r} is registered twice")
        if any(rank == order for rank, _ in _REGISTRY.values()):
            raise ValueError(f"claim {claim_id!r}: another claim has order {order}")
        _REGISTRY[claim_id] = (
            order,
            Claim(
                claim_id,
                statement,
                measured_by,
                rule,
                criteria,
                across_interpreters,
                figures,
                from_article,
            ),
        )
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


def kept_estimate(rows: pd.DataFrame, column: str = "ratio") -> tuple[Estimate, int]:
    """The estimate of ``column`` over the rows' rounds not flagged ``low_capacity``
    (``metrics.paired_ratios``), and how many rounds were dropped."""
    if "low_capacity" in rows.columns:
        low = rows["low_capacity"].fillna(False).astype(bool)
    else:
        low = pd.Series(False, index=rows.index)
    values = [float(v) for v in rows.loc[~low, column]]
    return ratio_estimate(values), int(low.sum())


def estimates_by_config(rows: pd.DataFrame, column: str = "ratio") -> dict[str, Estimate]:
    """``kept_estimate`` per model/start method, in name order."""
    out = {}
    for (model, method), part in rows.groupby(["model", "start_method"], dropna=False):
        out[config_label(model, method)] = kept_estimate(part, column)[0]
    return dict(sorted(out.items()))


def estimate_figures(estimate: Estimate) -> dict[str, float]:
    """An estimate as figures (JSON-ready): value, low, high and n."""
    return {"value": estimate.value, "low": estimate.low, "high": estimate.high, "n": estimate.n}


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


def judged_among(frame: pd.DataFrame, machine: Any, interpreter: Any) -> pd.DataFrame:
    """The rows of every interpreter of ``machine``, those of ``interpreter`` marked in
    ``JUDGED``."""
    same = frame["machine"].isna() if is_missing(machine) else frame["machine"] == machine
    rows = frame[same]
    return rows.assign(**{JUDGED: rows["interpreter"] == interpreter})


def evaluate(
    frame: pd.DataFrame, claims: Iterable[Claim], skipped: list[Skipped] | None = None
) -> pd.DataFrame:
    """One row per claim x machine x interpreter: the verdict, its evidence and figures.
    Every run of a machine and interpreter in ``frame`` counts: each is paired only with
    itself, and figures are medians over runs. A rule that cannot judge the data it got
    (it raises) gives "no data" with its reason, noted in ``skipped``."""
    if frame.empty or "interpreter" not in frame.columns:
        return pd.DataFrame(columns=COLUMNS)
    chosen = tuple(claims)
    frame = frame if "machine" in frame.columns else frame.assign(machine=None)
    rows = []
    for (machine, interpreter), own in frame.groupby(["machine", "interpreter"], dropna=False):
        part = with_the_runs_probes(frame, own, machine, interpreter)
        among: pd.DataFrame | None = None  # made once per interpreter, for the claims that ask
        for each in chosen:
            if each.across_interpreters and among is None:
                among = judged_among(frame, machine, interpreter)
            verdict = _judged(each, among if each.across_interpreters else part, skipped)
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


def with_the_runs_probes(
    frame: pd.DataFrame, own: pd.DataFrame, machine: Any, interpreter: Any
) -> pd.DataFrame:
    """An interpreter's rows, then the capacity probes of the other interpreters of its runs:
    a round is judged against every other round of the run (``bench.report.capacity``), as
    the figures and tables judge it, so a verdict keeps the rounds its figure keeps. They
    come last, so that what a rule reads first (its version, its GIL) is its own."""
    if "family" not in frame.columns or "run_id" not in frame.columns:
        return own
    others = frame[
        (frame["family"] == CAPACITY_FAMILY)
        & (frame["interpreter"] != interpreter)
        & (frame["machine"].isna() if pd.isna(machine) else frame["machine"] == machine)
        & frame["run_id"].isin(own["run_id"].unique())
    ]
    return own if others.empty else pd.concat([own, others], ignore_index=True)


def _judged(each: Claim, frame: pd.DataFrame, skipped: list[Skipped] | None) -> Verdict:
    try:
        return each.rule(frame)
    except Exception as exc:
        if skipped is None:
            raise
        why = Skipped.of("claim", each.id, exc, frame)
        if why not in skipped:
            skipped.append(why)
        return Verdict(NO_DATA, f"not judged: the rule cannot read these results ({why.reason})")
