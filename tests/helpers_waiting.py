"""Waiting in tests: for a condition, never for a guessed time.

A test that starts processes waits for what it needs (a file, an exit, no process left)
and goes on the moment it holds. The bounds below only stop a test that would otherwise
hang: they are far above what any of these waits takes on a slow, loaded machine, so no
test depends on how fast or how idle the machine is.
"""

from __future__ import annotations

import contextlib
import subprocess
import time
from collections.abc import Callable, Iterator
from typing import TypeVar

#: How long a test waits for something that happens "soon" (a process to end, a folder to
#: go, a server to answer) before it calls it a hang. Conditions usually hold in well under
#: a second; a loaded 2-core VM has been seen to take tens of seconds.
SOON_S = 120.0
#: The bound of a whole child run of the suite (a smoke run, a site build): a hang guard.
CHILD_RUN_S = 900.0

T = TypeVar("T")


def wait_until(check: Callable[[], T], what: str, seconds: float = SOON_S) -> T:
    """Poll ``check`` until it returns something true; return that. Fail naming ``what``."""
    deadline = time.monotonic() + seconds
    while True:
        result = check()
        if result:
            return result
        if time.monotonic() >= deadline:
            raise AssertionError(f"after {seconds:g} s still waiting for {what}")
        time.sleep(0.05)


def settled(check: Callable[[], T], seconds: float = SOON_S) -> T:
    """``check()`` once it is falsy (or at the bound): for "nothing is left" conditions,
    so that the assertion shows what was left."""
    deadline = time.monotonic() + seconds
    while (result := check()) and time.monotonic() < deadline:
        time.sleep(0.05)
    return result


@contextlib.contextmanager
def reaped(proc: subprocess.Popen[str]) -> Iterator[subprocess.Popen[str]]:
    """``proc``, killed if it still runs when the block ends, then waited for and its pipes
    closed: a dropped ``Popen`` is a ResourceWarning in whichever test collects it."""
    try:
        yield proc
    finally:
        if proc.poll() is None:
            proc.kill()
        with contextlib.suppress(subprocess.TimeoutExpired):
            proc.wait(timeout=SOON_S)
        for pipe in (proc.stdin, proc.stdout, proc.stderr):
            if pipe is not None:
                pipe.close()
