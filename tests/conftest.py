"""Shared fixtures: the suite's TCP server, a scratch folder for file tasks, child processes."""

from __future__ import annotations

import os
import time
from collections.abc import Iterator
from pathlib import Path

import psutil
import pytest
from helpers_waiting import SOON_S

from bench import services
from bench.families.io import workload as io
from bench.history import cache

#: multiprocessing's helper processes, which may serve the whole session on purpose.
LONG_LIVED_HELPERS = (
    "multiprocessing.forkserver",
    "multiprocessing.resource_tracker",
    "loky.backend.resource_tracker",  # loky's own, started with its first executor
)


@pytest.fixture(scope="session")
def tcp_server() -> Iterator[str]:
    """The suite's loopback TCP server, for the whole session; its address is in the env."""
    with services.tcp_server() as address, pytest.MonkeyPatch.context() as mp:
        mp.setenv(io.TCP_ADDRESS_ENV, address)
        yield address


@pytest.fixture
def file_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """An empty folder the file workload writes into."""
    folder = tmp_path / "files"
    folder.mkdir()
    monkeypatch.setenv(io.FILE_DIR_ENV, str(folder))
    return folder


def _is_long_lived_helper(proc: psutil.Process) -> bool:
    """The forkserver or resource tracker itself, not what the forkserver forked.

    A forkserver's children carry its command line too, so only direct children of
    the test process can be helpers.
    """
    try:
        if proc.ppid() != os.getpid():
            return False
        cmdline = " ".join(proc.cmdline())
    except (psutil.NoSuchProcess, psutil.ZombieProcess):
        return False
    except psutil.AccessDenied:
        return True
    return any(name in cmdline for name in LONG_LIVED_HELPERS)


class Children:
    """The test process's descendants that appeared after a snapshot.

    multiprocessing's forkserver and resource tracker may outlive any one test (they
    serve the whole session), so they do not count; what the forkserver forked does.
    Zombies count too: a child not yet reaped has not been cleaned up.
    """

    def __init__(self) -> None:
        self.before = self.current()

    @staticmethod
    def current() -> set[int]:
        return {
            child.pid
            for child in psutil.Process().children(recursive=True)
            if not _is_long_lived_helper(child)
        }

    def left(self, timeout_s: float = SOON_S) -> set[int]:
        """The new children not yet reaped, once there are none (or at the hang guard)."""
        deadline = time.monotonic() + timeout_s
        while (left := self.current() - self.before) and time.monotonic() < deadline:
            time.sleep(0.05)
        return left


@pytest.fixture
def children() -> Children:
    """A snapshot of the child processes taken before the test body runs."""
    return Children()


@pytest.fixture
def counted(monkeypatch: pytest.MonkeyPatch) -> list[Path]:
    """The files the history cache parses (not served from the cache), in order."""
    calls: list[Path] = []
    real = cache.parse_file

    def spy(root: Path, path: Path) -> cache.Entry:
        calls.append(path)
        return real(root, path)

    monkeypatch.setattr(cache, "parse_file", spy)
    return calls
