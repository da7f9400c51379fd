"""Child processes that never outlive the run: started in their own group, killed as one."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess


def kill_tree(proc: subprocess.Popen[str], grace_s: float = 0.0) -> None:
    """End ``proc`` and everything it started (pool workers, forkservers, resource trackers).

    ``proc`` must have been started with ``start_new_session=True``: its process
    group then holds all its descendants, even those whose parent already exited.
    """
    if os.name == "posix":
        if grace_s and proc.poll() is None:
            with contextlib.suppress(ProcessLookupError):
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
    try:
        import psutil

        for child in psutil.Process(pid).children(recursive=True):
            with contextlib.suppress(psutil.Error):
                child.kill()
    except (ImportError, Exception):  # noqa: BLE001 - best effort on platforms without groups
        pass


def popen_group(cmd: list[str], **kwargs: object) -> subprocess.Popen[str]:
    """Start ``cmd`` as the leader of a new process group (a new session on POSIX)."""
    if os.name == "posix":
        kwargs["start_new_session"] = True
    else:
        kwargs["creationflags"] = subprocess.CREATE_NEW_PROCESS_GROUP  # type: ignore[attr-defined]
    return subprocess.Popen(cmd, text=True, **kwargs)  # type: ignore[call-overload,no-any-return]
