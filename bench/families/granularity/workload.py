"""Task granularity's work: busy pure Python of a chosen length, carrying a payload."""

from __future__ import annotations


def spin(iterations: int, index: int = 0, payload: bytes = b"") -> bytes:
    """Busy pure-Python work of a chosen length (~24 ns per iteration on 3.11 here).

    Takes and returns ``payload`` so that the cost of moving data to and from the
    worker can be crossed with the cost of the work (task granularity).
    """
    del index
    total = 0
    for i in range(iterations):
        total += i
    return payload
