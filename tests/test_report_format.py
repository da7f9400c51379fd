"""The one style of numbers: every unit, and the same value written the same way."""

# Expected texts are written as a reader sees them, multiplication signs included.
# ruff: noqa: RUF001

from __future__ import annotations

import math

import pytest

from bench.report.format import (
    MISSING,
    UNIT_FORMATS,
    format_any,
    format_bytes,
    format_flag,
    format_number,
    format_payload,
    format_percent,
    format_rate,
    format_ratio,
    format_seconds,
    is_missing,
    significant,
)

MIB = 1 << 20


@pytest.mark.parametrize(
    ("seconds", "text"),
    [
        (1.234, "1.23 s"),
        (0.00123, "1.23 ms"),
        (45.6e-6, "45.6 µs"),
        (8.5e-7, "850 ns"),
        (0.0, "0 s"),
        (0.9996, "1.00 s"),
        (9.996e-7, "1.00 µs"),
        (123.4, "123 s"),
    ],
)
def test_format_seconds(seconds: float, text: str) -> None:
    assert format_seconds(seconds) == text


@pytest.mark.parametrize(
    ("size", "text"),
    [
        (64, "64 B"),
        (16 * 1024, "16.0 KiB"),
        (12.3 * MIB, "12.3 MiB"),
        (MIB, "1.00 MiB"),
        (-8192, "-8.00 KiB"),
        (1023.9 * 1024, "1.00 MiB"),
        (3 << 30, "3.00 GiB"),
    ],
)
def test_format_bytes(size: float, text: str) -> None:
    assert format_bytes(size) == text


def test_format_ratio_and_number() -> None:
    # a measured ratio: two significant figures
    assert format_ratio(1.949) == "1.9×"
    assert format_ratio(15.46) == "15×"
    assert format_ratio(0.000115) == "0.00012×"
    assert format_ratio(9.996) == "10×"
    assert format_ratio(587.3) == "590×"
    assert format_number(526426) == "526,426"
    assert format_number(7889.999999999999) == "7,890"
    assert format_number(-11) == "-11"
    assert format_number(1.7942) == "1.79"
    assert format_ratio(math.inf) == "∞×"
    assert format_seconds(math.nan) == MISSING
    assert format_ratio(math.nan) == MISSING


def test_significant_figures_keep_their_trailing_zeros() -> None:
    assert significant(1.5) == "1.50"
    assert significant(0.0123456) == "0.0123"
    assert significant(46044.4) == "46,044"
    assert significant(0) == "0"
    assert significant(-math.inf) == "-∞"
    assert significant(1.23456, digits=2) == "1.2"


@pytest.mark.parametrize(
    ("mb_per_s", "text"),
    [(850.0, "850 MB/s"), (999.96, "1.00 GB/s"), (1234.0, "1.23 GB/s"), (0.5, "500 kB/s")],
)
def test_format_rate(mb_per_s: float, text: str) -> None:
    assert format_rate(mb_per_s) == text


def test_format_percent_payload_and_flags() -> None:
    assert format_percent(0.75) == "75%"
    assert format_percent(0.1234) == "12.3%"
    assert format_percent(math.nan) == MISSING
    assert format_payload(0) == "none"
    assert format_payload(64 * 1024) == "64.0 KiB"
    assert format_flag(1) == "yes" and format_flag(False) == "no"
    assert format_any(True) == "yes"
    assert format_any(12345) == "12,345"
    assert format_any(0.5) == "0.500"
    assert format_any("fork") == "fork"


def test_the_same_value_is_written_the_same_way_by_every_route() -> None:
    # a memory figure, a payload and a unit-tagged outcome: one text for 16 KiB
    assert format_bytes(16 * 1024) == format_payload(16 * 1024) == UNIT_FORMATS["byte"](16384)
    assert UNIT_FORMATS["second"](0.00123) == format_seconds(0.00123) == "1.23 ms"
    assert UNIT_FORMATS["count"](7.0) == format_number(7) == "7"


def test_missing_values() -> None:
    assert is_missing(None) and is_missing(math.nan)
    assert not is_missing("") and not is_missing(False) and not is_missing([1, 2])
