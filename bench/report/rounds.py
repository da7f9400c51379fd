"""Ratios of two configurations of one case, paired within each round.

Where the two sides of a ratio are variants or subjects of one group (a locked counter and
an unlocked one, a loaded run and an idle one), each round gives one ratio of their median
values, and the rounds give the estimate (``bench.report.estimate.ratio_estimate``): the
same pairing as ``metrics.paired_ratios``, for any column that tells the two sides apart.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import pandas as pd

from bench.report.estimate import Estimate, ratio_estimate
from bench.report.select import RUN_KEYS, present


def round_medians(rows: pd.DataFrame, keys: Sequence[str]) -> pd.DataFrame:
    """The median numeric ``value`` of ``rows`` per run, ``keys`` and round."""
    numbers = rows.assign(value=pd.to_numeric(rows["value"], errors="coerce"))
    numbers = numbers.dropna(subset=["value"])
    by = present(numbers, [*RUN_KEYS, *keys, "round"])
    if numbers.empty:
        return pd.DataFrame(columns=[*by, "value"])
    return numbers.groupby(by, dropna=False)["value"].median().reset_index()


def paired_ratio(
    rows: pd.DataFrame, column: str, over: Any, under: Any, keys: Sequence[str] = ()
) -> Estimate:
    """The estimate of ``over``'s value / ``under``'s value (two values of ``column``),
    one ratio per run and round that measured both; ``keys`` must agree too."""
    medians = round_medians(rows, [*keys, column])
    pair = [k for k in medians.columns if k not in (column, "value")]
    ratios: list[float] = []
    for _, part in medians.groupby(pair, dropna=False):
        sides = dict(zip(part[column], part["value"], strict=True))
        if over in sides and under in sides and sides[under] > 0:
            ratios.append(float(sides[over]) / float(sides[under]))
    return ratio_estimate(ratios)
