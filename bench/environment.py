"""Facts about the machine and the source tree, recorded with every run."""

from __future__ import annotations

import os
import platform
import re
import subprocess
from pathlib import Path

from bench.results.layout import slug

PROJECT_ROOT = Path(__file__).resolve().parent.parent
#: A user's runs (gitignored), and the committed baseline the site shows beside them.
LOCAL_RESULTS = PROJECT_ROOT / "results" / "local"
BASELINE_RESULTS = PROJECT_ROOT / "results" / "baseline"


def cpu_model() -> str:
    """The CPU's marketing name, as the OS reports it."""
    cpuinfo = Path("/proc/cpuinfo")
    if cpuinfo.exists():
        for line in cpuinfo.read_text(errors="replace").splitlines():
            if line.lower().startswith("model name"):
                return line.split(":", 1)[1].strip()
    if platform.system() == "Darwin":
        try:
            out = subprocess.run(
                ["sysctl", "-n", "machdep.cpu.brand_string"],
                capture_output=True,
                text=True,
                check=True,
                timeout=10,
            )
            return out.stdout.strip()
        except (OSError, subprocess.SubprocessError):
            pass
    return platform.processor() or platform.machine() or "unknown"


def logical_cpus() -> int:
    return os.cpu_count() or 1


def physical_cpus() -> int | None:
    """The physical cores (psutil; None where the OS does not say): past them, workers
    share a core's hardware threads, and a speedup cannot follow the logical count."""
    import psutil

    return psutil.cpu_count(logical=False)


def machine_id() -> str:
    """A stable name for this kind of machine: OS, architecture, cores and CPU model.

    Not the hostname: CI runners and VMs get a new one every time, yet their results
    belong in one history when the hardware is the same.
    """
    return slug(f"{platform.system()}-{platform.machine()}-{logical_cpus()}cpu-{cpu_model()}", 80)


#: The commit of a copy of the source that is no git checkout (``git archive``'s, carried to
#: a machine without the repository), as whoever made the copy knows it.
GIT_COMMIT_ENV = "BENCH_GIT_COMMIT"


def git_commit(root: Path = PROJECT_ROOT) -> str:
    """The commit of the suite's source, with ``-dirty`` when it has uncommitted changes;
    outside a checkout, ``BENCH_GIT_COMMIT`` (a commit's hex name) or "unknown"."""
    given = os.environ.get(GIT_COMMIT_ENV, "")
    if given and not (root / ".git").exists():
        return given if re.fullmatch(r"[0-9a-f]{7,40}", given) else "unknown"
    try:
        out = subprocess.run(
            ["git", "-C", str(root), "describe", "--always", "--dirty", "--abbrev=40"],
            capture_output=True,
            text=True,
            timeout=10,
            check=True,
        )
    except (OSError, subprocess.SubprocessError):
        return "unknown"
    return out.stdout.strip() or "unknown"
