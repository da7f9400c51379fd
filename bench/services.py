"""What a run provides to its benchmarks: the loopback TCP server and a scratch folder."""

from __future__ import annotations

import contextlib
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

from bench.families.io.workload import FILE_DIR_ENV, TCP_ADDRESS_ENV
from bench.interpreters import case_environment
from bench.processes import Supervisor

READY_TIMEOUT_S = 30


@contextlib.contextmanager
def tcp_server(
    supervisor: Supervisor | None = None, env: dict[str, str] | None = None
) -> Iterator[str]:
    """Start ``bench.families.io.tcp_server`` in its own process; yield ``"host:port"``.

    It runs under the runner's interpreter, not the one measured, so that every
    interpreter is measured against the same server.
    """
    if supervisor is None:
        with Supervisor() as own, tcp_server(own, env) as address:
            yield address
        return
    # Its errors come through its own pipe, not the runner's stderr: a server the watchdog
    # has yet to kill must not hold the output of a runner that was killed.
    proc = supervisor.start(
        [sys.executable, "-m", "bench.families.io.tcp_server", "--port", "0"],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        env=case_environment(env or {}),
    )
    try:
        assert proc.stdout is not None
        first = proc.stdout.readline()
        line = first.split()
        if len(line) != 3 or line[0] != "READY":
            said = (first + (proc.stdout.read() if proc.poll() is not None else "")).strip()
            raise RuntimeError(f"the TCP server did not start: {said[-500:] or 'no output'}")
        yield f"{line[1]}:{line[2]}"
    finally:
        supervisor.stop(proc, grace_s=2)
        for pipe in (proc.stdin, proc.stdout):
            if pipe is not None:
                pipe.close()


@contextlib.contextmanager
def scratch_dir() -> Iterator[Path]:
    folder = Path(tempfile.mkdtemp(prefix="bench-files-"))
    try:
        yield folder
    finally:
        shutil.rmtree(folder, ignore_errors=True)


@contextlib.contextmanager
def services(supervisor: Supervisor, env: dict[str, str]) -> Iterator[dict[str, str]]:
    """Start the run's services (with ``env`` added to theirs); yield the variables
    that point the workloads at them."""
    with tcp_server(supervisor, env) as address, scratch_dir() as folder:
        yield {TCP_ADDRESS_ENV: address, FILE_DIR_ENV: str(folder)}
