"""Every number and unit shown anywhere: tables, verdicts' evidence, figures, trends.

One style: three significant figures with trailing zeros kept ("1.50 s", "16.0 KiB"),
whole numbers of three figures or more with thousands separators ("46,044"), a space
before a unit, the multiplication sign after a ratio and a percent sign after a
percentage ("75%"). A measured ratio has two significant figures, and its interval and
count of rounds where it has them ("1.9x (1.7-2.0x, n=5)", with
the sign and an en dash); a threshold is written as set ("1.25x"). A missing value is an en dash.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from numbers import Integral, Real
from typing import Any

import numpy as np
import pandas as pd

Formatter = Callable[[Any], str]

# Typographic signs, spelled as escapes so that the source stays plain ASCII to read.
DASH = "\u2013"  # en dash: ranges, and a missing value
TIMES = "\u00d7"  # multiplication sign: ratios and counts
INFINITY = "\u221e"

#: What a missing value (None, NaN, NA) looks like.
MISSING = DASH


def is_missing(value: Any) -> bool:
    """None, NaN, NA or NaT (and never an error for a list or a string)."""
    if value is None:
        return True
    if isinstance(value, (str, bytes, bool, np.bool_)):
        return False
    try:
        return bool(pd.isna(value))
    except (TypeError, ValueError):  # an array-like: not a missing scalar
        return False


def significant(value: float, digits: int = 3) -> str:
    """``value`` to ``digits`` significant figures, trailing zeros kept ("1.50"), and
    whole numbers of ``digits`` figures or more with thousands separators ("46,044")."""
    if value == 0:
        return "0"
    if not math.isfinite(value):  # a zero time makes an infinite ratio; NaN is no value
        return MISSING if math.isnan(value) else ("-" if value < 0 else "") + INFINITY
    rounded = _round_significant(value, digits)  # so that 9.996 counts as 10.0
    magnitude = math.floor(math.log10(abs(rounded)))
    if magnitude >= digits - 1:
        return f"{value:,.0f}"
    return f"{rounded:.{digits - 1 - magnitude}f}"


def _round_significant(value: float, digits: int = 3) -> float:
    return float(f"{value:.{digits - 1}e}")


def _scaled(value: float, units: tuple[tuple[float, str], ...]) -> str:
    """``value`` in the largest of ``units`` (scale, name; largest first) that keeps it
    at 1 or more, else the smallest; rounded first, so 0.9996 s is "1.00 s"."""
    if not math.isfinite(value):
        return significant(value)
    shown = _round_significant(value)
    for scale, unit in units:
        if abs(shown) >= scale:
            return f"{significant(value / scale)} {unit}"
    scale, unit = units[-1]
    return f"{significant(value / scale)} {unit}"


def format_number(value: Any) -> str:
    """Whole numbers exactly ("526,426"), others to three significant figures."""
    number = float(value)
    if not math.isfinite(number):
        return significant(number)
    if number.is_integer():
        return f"{int(number):,}"
    return significant(number)


def format_seconds(value: Any) -> str:
    """Seconds in the unit that keeps 1 to 999 of it: "1.23 s", "45.6 µs", "850 ns"."""
    seconds = float(value)
    if seconds == 0:
        return "0 s"
    return _scaled(seconds, ((1.0, "s"), (1e-3, "ms"), (1e-6, "µs"), (1e-9, "ns")))


def format_bytes(value: Any) -> str:
    """Bytes in binary units: "512 B", "16.0 KiB", "12.3 MiB"; a negative slope keeps its sign."""
    size = float(value)
    if not math.isfinite(size):
        return significant(size)
    shown = _round_significant(size)
    for power, unit in ((4, "TiB"), (3, "GiB"), (2, "MiB"), (1, "KiB")):
        if abs(shown) >= 1024**power:
            return f"{significant(size / 1024**power)} {unit}"
    return f"{format_number(round(size))} B"


def format_payload(value: Any) -> str:
    """A payload's size: "none" for no payload, else its bytes ("64.0 KiB")."""
    return "none" if float(value) == 0 else format_bytes(value)


def format_rate(mb_per_s: Any) -> str:
    """A throughput given in MB/s (decimal units): "850 MB/s", "1.23 GB/s"."""
    return _scaled(float(mb_per_s), ((1000.0, "GB/s"), (1.0, "MB/s"), (1e-3, "kB/s")))


#: Significant figures of a measured ratio: its interval is rarely narrower than 5 %, so
#: a third figure would be noise.
RATIO_DIGITS = 2


def ratio_number(value: Any) -> str:
    """A measured ratio's number to two significant figures: "1.9", "15", "590", "0.00012"."""
    ratio = float(value)
    if not math.isfinite(ratio) or ratio == 0:
        return significant(ratio)
    return significant(_round_significant(ratio, RATIO_DIGITS), RATIO_DIGITS)


def format_ratio(value: Any) -> str:
    """A measured ratio such as a speedup: "1.9" and the multiplication sign."""
    ratio = float(value)
    return MISSING if math.isnan(ratio) else f"{ratio_number(ratio)}{TIMES}"


def format_threshold(value: Any) -> str:
    """A rule's threshold, written as it was set ("1.25", "2", then the multiplication
    sign): a constant, not a measurement, so it keeps its digits."""
    return f"{float(value):,.6g}{TIMES}"


def format_estimate(estimate: Any) -> str:
    """A ratio's estimate (``bench.report.estimate.Estimate``) with its 95 % interval and
    how many rounds it rests on: "1.9x (1.7-2.0x, n=5)"; "1.9x (n=1)" without an interval."""
    value, low, high, n = (estimate.value, estimate.low, estimate.high, int(estimate.n))
    if is_missing(value) or math.isnan(float(value)):
        return MISSING
    if is_missing(low) or is_missing(high) or not math.isfinite(float(low) + float(high)):
        return f"{format_ratio(value)} (n={n})"
    return f"{format_ratio(value)} ({ratio_number(low)}{DASH}{format_ratio(high)}, n={n})"


def format_interval(low: Any, high: Any) -> str:
    """A ratio's interval alone: "1.7-2.0x"; an en dash when it is unknown."""
    if is_missing(low) or is_missing(high) or not math.isfinite(float(low) + float(high)):
        return MISSING
    return f"{ratio_number(low)}{DASH}{format_ratio(high)}"


def format_percent(fraction: Any) -> str:
    """A fraction as a percentage: 0.75 is "75%", 0.1234 is "12.3%"."""
    number = float(fraction)
    return MISSING if math.isnan(number) else f"{format_number(100 * number)}%"


def format_flag(value: Any) -> str:
    return "yes" if bool(value) else "no"


def format_any(value: Any) -> str:
    """The default for a value without a unit: flags as yes/no, numbers as numbers."""
    if isinstance(value, (bool, np.bool_)):
        return format_flag(value)
    if isinstance(value, Integral):
        return f"{int(value):,}"
    if isinstance(value, Real):
        return format_number(value)
    return str(value)


#: How a value of each unit (the tidy frame's ``unit`` column) is written.
UNIT_FORMATS: dict[str, Formatter] = {
    "second": format_seconds,
    "byte": format_bytes,
    "count": format_number,
    "flag": format_flag,
    "text": str,
}
