"""The one estimator of a ratio (geometric mean, t interval on the logs) and of a slope."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import stats

from bench.report.estimate import (
    MIN_ROUNDS,
    Estimate,
    mean_estimate,
    ratio_estimate,
    slope_estimate,
)
from bench.report.format import TIMES, format_estimate, format_interval, format_threshold


def test_a_ratio_is_the_geometric_mean_with_a_t_interval_on_the_logs() -> None:
    ratios = [1.8, 1.9, 2.0, 1.85, 1.95]
    found = ratio_estimate(ratios)
    logs = np.log(ratios)
    half = stats.t.ppf(0.975, 4) * logs.std(ddof=1) / math.sqrt(5)
    assert found.value == pytest.approx(math.exp(logs.mean()))
    assert (found.low, found.high) == pytest.approx(
        (math.exp(logs.mean() - half), math.exp(logs.mean() + half))
    )
    assert found.n == 5
    assert found.known


def test_fewer_than_two_ratios_have_no_interval() -> None:
    one = ratio_estimate([2.0])
    assert (one.value, one.n) == (2.0, 1)
    assert math.isnan(one.low) and math.isnan(one.high)
    assert not one.known and MIN_ROUNDS == 2
    assert not one.at_least(1.0) and not one.below(3.0)  # no interval: neither test passes
    none = ratio_estimate([])
    assert none.n == 0 and math.isnan(none.value)
    # a zero or missing time gives no ratio: left out, not counted
    assert ratio_estimate([2.0, math.inf, 0.0, math.nan, 2.0]).n == 2


def test_an_interval_clears_a_threshold_only_whole() -> None:
    found = Estimate(1.8, 1.6, 2.0, 5)
    assert found.at_least(1.5) and not found.at_least(1.7)
    assert found.below(2.1) and not found.below(1.9)
    inverse = found.inverse()
    assert (inverse.value, inverse.low, inverse.high) == pytest.approx((1 / 1.8, 1 / 2.0, 1 / 1.6))
    # the geometric mean inverts exactly: a slowdown is the speedup's inverse
    ratios = [1.2, 1.5, 1.4]
    slow = ratio_estimate([1 / r for r in ratios])
    assert slow.value == pytest.approx(ratio_estimate(ratios).inverse().value)
    assert slow.low == pytest.approx(ratio_estimate(ratios).inverse().low)


def test_a_slope_has_a_t_interval_with_n_minus_2_degrees() -> None:
    xs = [1, 2, 4, 8, 1, 2, 4, 8]
    ys = [10 + 3 * x + (0.5 if i % 2 else -0.5) for i, x in enumerate(xs)]
    found = slope_estimate(xs, ys)
    fit = stats.linregress(xs, ys)
    half = stats.t.ppf(0.975, len(xs) - 2) * fit.stderr
    assert found.value == pytest.approx(3.0, abs=0.2)
    assert (found.low, found.high) == pytest.approx((fit.slope - half, fit.slope + half))
    assert found.intercept == pytest.approx(fit.intercept)
    two = slope_estimate([1, 2], [1, 3])
    assert two.value == pytest.approx(2.0) and not two.known
    assert math.isnan(slope_estimate([1, 1], [1, 2]).value)  # one x: no line


def test_a_mean_of_amounts_may_be_negative() -> None:
    found = mean_estimate([-1.0, 1.0, 0.0])
    assert found.value == pytest.approx(0.0)
    assert found.low < 0 < found.high


def test_ratios_are_written_to_two_figures_with_their_interval_and_n() -> None:
    assert (
        format_estimate(Estimate(1.93, 1.71, 2.04, 5)) == f"1.9{TIMES} (1.7\u20132.0{TIMES}, n=5)"
    )
    assert format_estimate(Estimate(587.0, 370.0, 870.0, 3)) == (
        f"590{TIMES} (370\u2013870{TIMES}, n=3)"
    )
    assert format_estimate(ratio_estimate([2.0])) == f"2.0{TIMES} (n=1)"
    assert format_interval(math.nan, 2.0) == "\u2013"
    assert format_threshold(1.25) == f"1.25{TIMES}" and format_threshold(2) == f"2{TIMES}"
