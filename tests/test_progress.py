"""Progress lines and the estimate of the time left."""

from __future__ import annotations

import io

import pytest

from bench.progress import Progress, format_duration


@pytest.mark.parametrize(
    ("seconds", "text"),
    [
        (0, "0s"),
        (0.4, "0s"),
        (59, "59s"),
        (60, "1m00s"),
        (75, "1m15s"),
        (3599, "59m59s"),
        (3600, "1h00m"),
        (3700, "1h01m"),
        (-5, "0s"),
    ],
)
def test_format_duration(seconds: float, text: str) -> None:
    assert format_duration(seconds) == text


def test_progress_lines_count_steps_and_estimate_the_rest() -> None:
    stream = io.StringIO()
    progress = Progress(3, stream=stream)
    progress.plan(["a", "b", "c"])
    assert progress.estimate_left() is None
    progress.step("a", "case a", 2.0, "ok")
    progress.step("b", "case b", 4.0, "failed")
    progress.step("c", "case c", 1.0, "ok")
    lines = stream.getvalue().splitlines()
    assert len(lines) == 3
    assert lines[0].startswith("[1/3")
    assert lines[1].startswith("[2/3")
    assert lines[2].startswith("[3/3")
    # After the first step the two unseen steps are expected to take as long as it did.
    assert "~4s left" in lines[0]
    assert "~3s left" in lines[1]  # c unseen: the mean of a and b
    assert "~0s left" in lines[2]
    assert "ok" in lines[0]
    assert "case a" in lines[0]
    assert "(2.0s)" in lines[0]
    assert "failed" in lines[1]


def test_progress_expects_a_seen_step_to_take_as_long_again() -> None:
    progress = Progress(4, stream=io.StringIO())
    progress.plan(["a", "b", "a", "b"])
    progress.step("a", "a", 10.0, "ok")
    assert progress.estimate_left() == 30.0  # b unseen: the mean; a again: 10
    progress.step("b", "b", 2.0, "ok")
    assert progress.estimate_left() == 12.0


def test_progress_say_writes_a_line() -> None:
    stream = io.StringIO()
    Progress(1, stream=stream).say("hello")
    assert stream.getvalue() == "hello\n"
