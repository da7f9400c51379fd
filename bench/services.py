"""What a run provides to its benchmarks: the loopback TCP server and a scratch folder."""

from __future__ import annotations

import contextlib
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

from bench.interpreters import case_environment
from bench.processes import kill_tree, popen_group
from bench.workloads.io import FILE_DIR_ENV, TCP_ADDRESS_ENV

READY_TIMEOUT_S = 30


@contextlib.contextmanager
def tcp_server() -> Iterator[str]:
    """Start ``bench.workloads.tcp_server`` in its own process; yield ``"host:port"``.

    It runs under the runner's interpreter, not the one measured, so that every
    interpreter is measured against the same server.
    """
    proc = popen_group(
        [sys.executable, "-m", "bench.workloads.tcp_server", "--port", "0"],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, env=case_environment({}),
    )
    try:
        assert proc.stdout is not None
        line = proc.stdout.readline().split()
        if len(line) != 3 or line[0] != "READY":
            raise RuntimeError(f"the TCP server did not start (said {line!r})")
        yield f"{line[1]}:{line[2]}"
    finally:
        kill_tree(proc, grace_s=2)


@contextlib.contextmanager
def scratch_dir() -> Iterator[Path]:
    folder = Path(tempfile.mkdtemp(prefix="bench-files-"))
    try:
        yield folder
    finally:
        shutil.rmtree(folder, ignore_errors=True)


@contextlib.contextmanager
def services() -> Iterator[dict[str, str]]:
    """The environment variables that point the workloads at the run's services."""
    with tcp_server() as address, scratch_dir() as folder:
        yield {TCP_ADDRESS_ENV: address, FILE_DIR_ENV: str(folder)}
