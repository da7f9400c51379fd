"""Child processes that never outlive the run.

Every child the runner starts leads its own process group (a new session), so it
and everything it starts (pool workers, forkservers, resource
trackers) can be killed as one, even descendants whose parent already exited.
A ``Supervisor`` also tells a watchdog process (``bench.guardian``) about each
group, and the watchdog kills the groups still alive if the runner itself dies,
even by SIGKILL.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
from pathlib import Path
from types import TracebackType
from typing import Any


def kill_group(proc: subprocess.Popen[str], grace_s: float = 0.0) -> None:
    """End ``proc`` and its whole process group; SIGTERM first when ``grace_s`` > 0."""
    if os.name == "posix":
        if grace_s and proc.poll() is None:
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(proc.pid, signal.SIGTERM)
            with contextlib.suppress(subprocess.TimeoutExpired):
                proc.wait(timeout=grace_s)
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(proc.pid, signal.SIGKILL)
    else:
        _kill_descendants(proc.pid)
        with contextlib.suppress(OSError):
            proc.kill()
    with contextlib.suppress(subprocess.TimeoutExpired):
        proc.wait(timeout=10)


def _kill_descendants(pid: int) -> None:
    """Windows has no process groups to kill at once: walk the tree instead."""
    import psutil

    with contextlib.suppress(psutil.Error):
        for child in psutil.Process(pid).children(recursive=True):
            with contextlib.suppress(psutil.Error):
                child.kill()


class Supervisor:
    """Starts children as group leaders and kills their groups; a watchdog backs it up.

    ``with Supervisor() as sup: proc = sup.start(cmd, ...); ...; sup.stop(proc)``.
    """

    def __init__(self) -> None:
        self._guardian: subprocess.Popen[str] | None = None

    def __enter__(self) -> Supervisor:
        if os.name == "posix":
            from bench.interpreters import case_environment

            # It outlives the runner by design, so it must hold none of the runner's output:
            # a caller reading that to its end (a pipe, `| tee`) would wait for the watchdog.
            self._guardian = subprocess.Popen(
                [sys.executable, "-m", "bench.guardian"],
                stdin=subprocess.PIPE,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
                text=True,
                start_new_session=True,
                env=case_environment({}),
            )
        return self

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        if self._guardian is not None:
            with contextlib.suppress(OSError):
                if self._guardian.stdin is not None:
                    self._guardian.stdin.close()  # EOF: it kills what is left, then exits
            with contextlib.suppress(subprocess.TimeoutExpired):
                self._guardian.wait(timeout=30)

    def _tell(self, line: str) -> None:
        if self._guardian is not None and self._guardian.stdin is not None:
            with contextlib.suppress(OSError):
                self._guardian.stdin.write(line + "\n")
                self._guardian.stdin.flush()

    def remove_at_exit(self, folder: Path) -> None:
        """Have the watchdog delete the scratch ``folder`` if the runner dies first.

        The runner removes its scratch folders itself; this covers a SIGKILL. POSIX only,
        like the watchdog.
        """
        self._tell(f"@{folder}")

    def start(self, cmd: list[str], **kwargs: Any) -> subprocess.Popen[str]:
        if os.name == "posix":
            kwargs["start_new_session"] = True
        else:
            kwargs["creationflags"] = subprocess.CREATE_NEW_PROCESS_GROUP  # type: ignore[attr-defined]
        proc: subprocess.Popen[str] = subprocess.Popen(cmd, text=True, **kwargs)
        self._tell(f"+{proc.pid}")
        return proc

    def stop(self, proc: subprocess.Popen[str], grace_s: float = 0.0) -> None:
        kill_group(proc, grace_s)
        self._tell(f"-{proc.pid}")
