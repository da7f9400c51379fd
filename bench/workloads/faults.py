"""Tasks that fail on purpose: they exercise the runner's and the models' fault handling."""

from __future__ import annotations

import os
import time


class DeliberateError(RuntimeError):
    """Raised by ``raise_error`` so that a test can tell it from a real failure."""


def raise_error(size: int, index: int = 0) -> int:
    raise DeliberateError(f"task {index} raised on purpose (size={size})")


def hang(size: int, index: int = 0) -> int:
    """Sleep far longer than any timeout: ``size`` is ignored."""
    del size, index
    time.sleep(3600)
    return 0


def exit_hard(size: int, index: int = 0) -> int:
    """Kill the process that runs the task at once, as a crash would: no cleanup, no exception."""
    del index
    os._exit(size or 3)
