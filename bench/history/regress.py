"""Did the newest run change? A significance test against the same series' history.

A series is one machine, one interpreter and one benchmark definition; the test (a
prediction interval on log medians, machine drift modelled, corrected for many
benchmarks) is explained in docs/methodology.md ("What changed in the newest run").
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from bench.results.schema import DEFINITION_HASH_KEY

#: Fewer earlier runs than this: no verdict.
MIN_RUNS = 3
#: Below this many reference runs the drift regression (2 parameters) is not fitted.
MIN_RUNS_DRIFT = 4
TOO_FEW = "too few runs"
NOT_POSITIVE = "not positive"
NO_CHANGE = "no change"
CHANGE_KEYS = ["machine", "interpreter", "benchmark", "metric", "unit"]
COLUMNS = [
    *CHANGE_KEYS, "run_id", "date", "runs", "before", "after", "change", "expected", "drift",
    "p_value", "p_adjusted", "direction", "significant", "verdict",
]  # fmt: skip


# --- Student's t and multiple tests -------------------------------------------------


def t_two_sided_p(t: float, df: float) -> float:
    """P(|T| >= |t|) for Student's t with ``df`` > 0 degrees of freedom (infinite: normal)."""
    if df <= 0:
        raise ValueError("Student's t needs a positive number of degrees of freedom")
    from scipy import stats  # imported when a change is tested: a site build often tests none

    return float(2 * stats.t.sf(abs(t), df))


def holm(p: Sequence[float]) -> np.ndarray:
    """Holm's step-down adjusted p-values (NaN stays NaN, not counted): the i-th
    smallest of m p-values times m - i + 1, kept non-decreasing, at most 1."""
    values = np.asarray(p, dtype=float)
    out = np.full(values.shape, np.nan)
    tested = np.flatnonzero(~np.isnan(values))
    order = tested[np.argsort(values[tested], kind="stable")]
    m = len(order)
    if m:
        out[order] = np.minimum(np.maximum.accumulate((m - np.arange(m)) * values[order]), 1.0)
    return out


def benjamini_hochberg(p: Sequence[float]) -> np.ndarray:
    """Benjamini-Hochberg adjusted p-values (q-values; NaN stays NaN, not counted)."""
    values = np.asarray(p, dtype=float)
    out = np.full(values.shape, np.nan)
    tested = ~np.isnan(values)
    if tested.any():
        from scipy import stats  # see t_two_sided_p

        out[tested] = stats.false_discovery_control(values[tested], method="bh")
    return out


ADJUST = {"holm": holm, "bh": benjamini_hochberg}


# --- one benchmark ------------------------------------------------------------------


@dataclass
class _Fit:
    """The reference fit of one benchmark: predicted log median of the new run, the
    residual variance ``s2`` with ``df`` degrees of freedom, and ``leverage``: the
    prediction's variance is ``s2 * leverage``."""

    pred: float
    s2: float
    df: int
    leverage: float


def _prediction(y: np.ndarray, f: np.ndarray | None, f_new: float) -> _Fit | None:
    m = len(y)
    if f is not None and m >= MIN_RUNS_DRIFT:
        sxx = float(((f - f.mean()) ** 2).sum())
        if sxx > 1e-12:
            slope = float(((f - f.mean()) * (y - y.mean())).sum()) / sxx
            fitted = y.mean() + slope * (f - f.mean())
            s2 = float(((y - fitted) ** 2).sum()) / (m - 2)
            pred = y.mean() + slope * (f_new - f.mean())
            return _Fit(float(pred), s2, m - 2, 1 + 1 / m + (f_new - f.mean()) ** 2 / sxx)
    if m < 2:
        return None
    return _Fit(float(y.mean()), float(y.var(ddof=1)), m - 1, 1 + 1 / m)


# --- pooling the variances (empirical Bayes) -----------------------------------------


#: Where the inverse of trigamma is looked for (log scale): trigamma is 1e16 to 1e-8 there.
_LOG_TRIGAMMA_BOUNDS = (math.log(1e-8), math.log(1e8))


def _inverse_trigamma(v: float) -> float:
    """The x > 0 with trigamma(x) = v, clamped to the bounds above (trigamma falls)."""
    from scipy import optimize, special  # see t_two_sided_p

    def gap(log_x: float) -> float:
        return math.log(float(special.polygamma(1, math.exp(log_x)))) - math.log(v)

    low, high = _LOG_TRIGAMMA_BOUNDS
    if gap(high) >= 0:
        return math.exp(high)
    if gap(low) <= 0:
        return math.exp(low)
    return math.exp(optimize.brentq(gap, low, high, xtol=1e-12))


def prior_variance(s2: Sequence[float], df: Sequence[int]) -> tuple[float, float]:
    """The scaled inverse chi-square prior of many benchmarks' variances, ``(s0^2, d0)``,
    fitted by moments of log s^2 (Smyth's empirical Bayes for moderated t tests).

    ``d0`` is how many degrees of freedom the pooled variance is worth: infinite when
    the benchmarks' variances differ no more than sampling alone explains, small
    when they truly differ. ``(nan, 0)`` with fewer than five positive variances.
    """
    pairs = [(v, d) for v, d in zip(s2, df, strict=True) if v > 0 and d > 0]
    if len(pairs) < 5:
        return math.nan, 0.0
    from scipy import special  # see t_two_sided_p

    variances, half_df = np.array(pairs, dtype=float).T
    half_df /= 2
    e = np.log(variances) - special.digamma(half_df) + np.log(half_df)
    mean = float(np.mean(e))
    excess = float(np.var(e, ddof=1)) - float(np.mean(special.polygamma(1, half_df)))
    if excess <= 0:
        return math.exp(mean), math.inf
    d0 = 2 * _inverse_trigamma(excess)
    return math.exp(mean + float(special.digamma(d0 / 2)) - math.log(d0 / 2)), d0


def moderated_p(resid: float, fit: _Fit, s0: float, d0: float) -> float:
    """Two-sided p of the new run's residual, its variance shrunk towards the prior
    (then with ``d0 + df`` degrees of freedom, a fraction in general)."""
    if d0 == 0 or math.isnan(s0):
        s2, df = fit.s2, float(fit.df)
    elif math.isinf(d0):
        s2, df = s0, math.inf
    else:
        s2, df = (d0 * s0 + fit.df * fit.s2) / (d0 + fit.df), d0 + fit.df
    se = math.sqrt(s2 * fit.leverage)
    if se <= 1e-12:  # no spread at all (a count): any change is one
        return 1.0 if abs(resid) <= 1e-12 else 0.0
    return t_two_sided_p(resid / se, df)


def _direction(unit: str, up: bool) -> str:
    if unit == "second":
        return "slower" if up else "faster"
    return "bigger" if up else "smaller"


# --- one series ---------------------------------------------------------------------


def _drift(logs: pd.DataFrame, reference: list[str]) -> pd.Series:
    """Each run's speed factor: the median over timings of log(median / reference median).

    Timings that wait (sleeps, I/O) do not follow the CPU: a median over a mix of
    both is pulled towards zero by an amount that depends on the drift's sign. So a
    second pass keeps only the timings that follow the first estimate over the
    reference runs (regression slope above one half), when at least ten do.
    """
    relative = logs.sub(logs[reference].median(axis=1), axis=0)
    first = relative.median(axis=0)
    f = first[reference] - first[reference].mean()
    sxx = float((f**2).sum())
    if len(reference) < MIN_RUNS_DRIFT or sxx <= 1e-12:
        return first
    ref = relative[reference]
    slopes = ref.sub(ref.mean(axis=1), axis=0).mul(f, axis=1).sum(axis=1, min_count=1) / sxx
    following = relative[slopes > 0.5]
    return following.median(axis=0) if len(following) >= 10 else first


def _series_changes(series: pd.DataFrame, window: int) -> list[dict[str, object]]:
    """Each benchmark's newest median against its last ``window`` runs: what the reference
    runs predict, the direction and the moderated p value (the verdict comes later)."""
    runs = sorted(series["run_id"].unique())
    newest, reference = runs[-1], runs[:-1][-window:]
    medians = _medians_by_run(series)
    logs = np.log(medians.where(medians > 0))
    timings = logs[logs.index.get_level_values("unit") == "second"]
    factors = _drift(timings, reference) if reference and not timings.empty else None
    first = series[series["run_id"] == newest].iloc[0]
    rows = []
    fits: list[tuple[dict[str, object], _Fit, float]] = []
    for key, raw in medians[newest].dropna().items():
        ref = medians.loc[key, reference].dropna() if reference else pd.Series(dtype=float)
        row = _change_row(first, key, newest, float(raw), ref)
        rows.append(row)
        fitted = _fit_change(row, float(raw), ref, factors, newest)
        if fitted is not None:
            fits.append(fitted)
    for unit in {str(r["unit"]) for r, _, _ in fits}:
        mine = [(r, fit, resid) for r, fit, resid in fits if r["unit"] == unit]
        s0, d0 = prior_variance([fit.s2 for _, fit, _ in mine], [fit.df for _, fit, _ in mine])
        for r, fit, resid in mine:
            r["p_value"] = moderated_p(resid, fit, s0, d0)
    return rows


def _medians_by_run(series: pd.DataFrame) -> pd.DataFrame:
    """One row per benchmark, metric, unit and definition; one column of medians per run."""
    # A changed definition is another series: its runs before the change are no reference.
    known = series[DEFINITION_HASH_KEY].fillna("") if DEFINITION_HASH_KEY in series else ""
    series = series.assign(**{DEFINITION_HASH_KEY: known})
    keys = ["benchmark", "metric", "unit", DEFINITION_HASH_KEY]
    return series.pivot_table(index=keys, columns="run_id", values="median", aggfunc="first")


def _change_row(
    first: pd.Series, key: Any, newest: str, raw: float, ref: pd.Series
) -> dict[str, object]:
    """The row of one benchmark's newest median beside its reference runs' median; no
    verdict but too few runs until ``_fit_change`` fills it."""
    benchmark, metric, unit, _definition = key
    before = float(np.median(ref)) if len(ref) else math.nan
    return {
        "machine": first["machine"],
        "interpreter": first["interpreter"],
        "benchmark": benchmark,
        "metric": metric,
        "unit": unit,
        "run_id": newest,
        "date": first["date"],
        "runs": len(ref),
        "before": before,
        "after": raw,
        "expected": math.nan,
        "drift": math.nan,
        "p_value": math.nan,
        "direction": None,
        "verdict": TOO_FEW,
        "change": raw / before if before > 0 else math.nan,
    }


def _fit_change(
    row: dict[str, object], raw: float, ref: pd.Series, factors: pd.Series | None, newest: str
) -> tuple[dict[str, object], _Fit, float] | None:
    """Fill ``row``'s expectation from its reference runs, on a log scale and, for timings,
    beside the machine's drift; the fit and the newest run's residual, or None where there
    is nothing to fit."""
    if len(ref) < MIN_RUNS:
        return None
    if raw <= 0 or (ref <= 0).any():
        row["verdict"] = NOT_POSITIVE
        return None
    y = np.log(ref.to_numpy(dtype=float))
    f = f_new = None
    if row["unit"] == "second" and factors is not None:
        f = factors[ref.index].to_numpy(dtype=float)
        f_new = float(factors[newest])
    fit = _prediction(y, f, f_new if f_new is not None else 0.0)
    if fit is None:
        return None
    y_new = math.log(raw)
    if f is not None and f_new is not None:
        row["drift"] = math.exp(f_new - float(np.median(f)))
    row |= {
        "expected": math.exp(fit.pred),
        "direction": _direction(str(row["unit"]), y_new > fit.pred),
        "verdict": NO_CHANGE,
    }
    return row, fit, y_new - fit.pred


def detect_changes(
    summaries: pd.DataFrame, *, window: int = 10, alpha: float = 0.01, adjust: str = "holm"
) -> pd.DataFrame:
    """Compare the newest run of every machine and interpreter with its previous
    ``window`` runs (see the module's docstring), one row per benchmark metric of
    that run (:data:`COLUMNS`).

    ``before``: median of the reference runs' medians; ``after``: the newest
    median; ``change`` = after / before. ``expected``: the reference predicted at
    the newest run's machine speed (timings) or their mean (log scale); ``drift``:
    the newest run's speed factor against the reference runs' (timings; > 1:
    slower). ``p_value``: two-sided, of the new median against that prediction;
    ``p_adjusted``: corrected over the tests of the series' newest run (``adjust``:
    "holm" or "bh"); ``significant``: p_adjusted <= alpha. ``direction`` (slower / faster
    for seconds, bigger / smaller otherwise) follows the newest value against
    ``expected``. ``verdict``: the direction when significant, else "no change",
    "too few runs" (under :data:`MIN_RUNS` earlier runs) or "not positive" (a zero
    or negative median has no log).
    """
    if adjust not in ADJUST:
        raise ValueError(f"adjust must be one of {sorted(ADJUST)}, not {adjust!r}")
    if window < MIN_RUNS:
        raise ValueError(f"window must be at least {MIN_RUNS}")
    if summaries.empty:
        return pd.DataFrame(columns=COLUMNS)
    parts = []
    for _, series in summaries.groupby(["machine", "interpreter"], dropna=False, sort=True):
        part = pd.DataFrame(_series_changes(series, window))
        part["p_adjusted"] = ADJUST[adjust](part["p_value"].to_numpy(dtype=float))
        parts.append(part)
    out = pd.concat(parts, ignore_index=True)
    out["significant"] = out["p_adjusted"].le(alpha)
    out.loc[out["significant"], "verdict"] = out.loc[out["significant"], "direction"]
    return out.loc[:, COLUMNS].sort_values(CHANGE_KEYS, kind="stable").reset_index(drop=True)
