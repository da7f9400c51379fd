"""Progress and an estimate of the time left, on stderr."""

from __future__ import annotations

import sys
import time
from typing import TextIO


def format_duration(seconds: float) -> str:
    seconds = max(0, round(seconds))
    minutes, secs = divmod(seconds, 60)
    hours, minutes = divmod(minutes, 60)
    if hours:
        return f"{hours}h{minutes:02d}m"
    return f"{minutes}m{secs:02d}s" if minutes else f"{secs}s"


class Progress:
    """Counts finished steps and guesses the rest from how long each step took before.

    A step already measured in an earlier round is expected to take as long again;
    one never seen is expected to take the mean of all steps so far.
    """

    def __init__(self, total: int, stream: TextIO | None = None) -> None:
        self.total = total
        self.done = 0
        self.started = time.monotonic()
        self.stream = stream or sys.stderr
        self._last: dict[str, float] = {}
        self._remaining: list[str] = []

    def plan(self, keys: list[str]) -> None:
        """The keys of the steps still to come, in order (repeats allowed across rounds)."""
        self._remaining = list(keys)

    def estimate_left(self) -> float | None:
        if not self._last:
            return None
        mean = sum(self._last.values()) / len(self._last)
        return sum(self._last.get(k, mean) for k in self._remaining)

    def step(self, key: str, label: str, seconds: float, status: str) -> None:
        self.done += 1
        self._last[key] = seconds
        if key in self._remaining:
            self._remaining.remove(key)
        left = self.estimate_left()
        eta = f", ~{format_duration(left)} left" if left is not None else ""
        elapsed = format_duration(time.monotonic() - self.started)
        self.stream.write(
            f"[{self.done}/{self.total} {elapsed}{eta}] {status:<6} {label} ({seconds:.1f}s)\n"
        )
        self.stream.flush()

    def say(self, message: str) -> None:
        self.stream.write(message + "\n")
        self.stream.flush()
