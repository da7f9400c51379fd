"""The one estimator of a ratio, shared by verdicts, figures and tables.

A ratio (a speedup, a slowdown, a start-up cost) is measured once per round, both of
its times taken seconds apart. Ratios multiply, so their summary is the geometric
mean of the per-round ratios, with a Student-t 95 % interval on their logarithms:
exp(mean(log r) +- t(n-1) * sd(log r) / sqrt(n)). With fewer than two rounds there
is no spread to measure, and the interval is unknown (NaN), never zero wide.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

#: An interval needs at least this many rounds; with fewer a verdict says "too little data".
MIN_ROUNDS = 2


@dataclass(frozen=True)
class Estimate:
    """A quantity's point value, its 95 % interval (``low``, ``high``) and how many
    values it rests on. ``low``/``high`` are NaN with fewer than ``MIN_ROUNDS`` values."""

    value: float
    low: float
    high: float
    n: int

    @property
    def known(self) -> bool:
        """Whether the interval exists (enough values, all of them usable)."""
        return self.n >= MIN_ROUNDS and math.isfinite(self.low) and math.isfinite(self.high)

    def inverse(self) -> Estimate:
        """The estimate of 1 / ratio: a slowdown from a speedup (exact for this estimator)."""
        return Estimate(_inverse(self.value), _inverse(self.high), _inverse(self.low), self.n)

    def at_least(self, threshold: float) -> bool:
        """The whole interval is at or above ``threshold``."""
        return self.known and self.low >= threshold

    def below(self, threshold: float) -> bool:
        """The whole interval is below ``threshold``."""
        return self.known and self.high < threshold


@functools.cache
def t_quantile(df: int) -> float:
    """The 97.5 % quantile of Student's t with ``df`` degrees of freedom."""
    if df < 1:
        raise ValueError("a t quantile needs at least one degree of freedom")
    # scipy.special's inverse of Student's t is what stats.t.ppf calls, and it imports in
    # a tenth of the half second scipy.stats takes (a test checks both agree).
    from scipy import special

    return float(special.stdtrit(df, 0.975))


def _inverse(value: float) -> float:
    if math.isnan(value):
        return math.nan
    return math.inf if value == 0 else 1 / value


def ratio_estimate(ratios: Sequence[float]) -> Estimate:
    """The geometric mean of ``ratios`` with a Student-t 95 % interval on their logs.

    Ratios that are not positive and finite (a zero or missing time) are left out;
    ``n`` counts the ratios used. None left: value NaN; one: that ratio, interval NaN.
    """
    data = np.asarray([r for r in ratios if math.isfinite(r) and r > 0], dtype=float)
    n = len(data)
    if n == 0:
        return Estimate(math.nan, math.nan, math.nan, 0)
    logs = np.log(data)
    centre = float(logs.mean())
    if n < MIN_ROUNDS:
        return Estimate(math.exp(centre), math.nan, math.nan, n)
    half = t_quantile(n - 1) * float(logs.std(ddof=1)) / math.sqrt(n)
    return Estimate(math.exp(centre), math.exp(centre - half), math.exp(centre + half), n)


def mean_estimate(values: Sequence[float]) -> Estimate:
    """The arithmetic mean with a Student-t 95 % interval: for amounts that add, not
    multiply (bytes), where a value may be negative or zero."""
    data = np.asarray([v for v in values if math.isfinite(v)], dtype=float)
    n = len(data)
    if n == 0:
        return Estimate(math.nan, math.nan, math.nan, 0)
    centre = float(data.mean())
    if n < MIN_ROUNDS:
        return Estimate(centre, math.nan, math.nan, n)
    half = t_quantile(n - 1) * float(data.std(ddof=1)) / math.sqrt(n)
    return Estimate(centre, centre - half, centre + half, n)


@dataclass(frozen=True)
class Slope(Estimate):
    """A least-squares slope's estimate, with the line's intercept."""

    intercept: float = math.nan


def slope_estimate(x: Sequence[float], y: Sequence[float]) -> Slope:
    """The least-squares slope of ``y`` on ``x`` with its Student-t 95 % interval
    (n - 2 degrees of freedom): the memory one more worker adds. Fewer than three
    points, or one x only: the interval is NaN."""
    xs, ys = np.asarray(x, dtype=float), np.asarray(y, dtype=float)
    n = len(xs)
    if n < 2 or np.unique(xs).size < 2:
        return Slope(math.nan, math.nan, math.nan, n)
    from scipy import stats  # here: half a second to import, for a fit few builds need

    fit = stats.linregress(xs, ys)
    slope, intercept = float(fit.slope), float(fit.intercept)
    if n < 3:
        return Slope(slope, math.nan, math.nan, n, intercept)
    half = t_quantile(n - 2) * float(fit.stderr)
    return Slope(slope, slope - half, slope + half, n, intercept)
