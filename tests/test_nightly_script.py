"""scripts/nightly.sh, the local twin of the nightly workflow, on a tiny selection.

Each run of the script adds one run folder to the history and never touches the ones
before; a run that cannot be recorded stops the script with a message and leaves the
history as it was.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from helpers_waiting import CHILD_RUN_S

from bench import exit_codes

ROOT = Path(__file__).resolve().parent.parent
SCRIPT = ROOT / "scripts" / "nightly.sh"

#: Three small cases of the smoke profile, one of them a trend's (the Pipe): seconds a run.
TINY = r"^echo\[64B\] (queue\.Queue|memcpy|mp\.Pipe/fork) "

pytestmark = pytest.mark.skipif(
    shutil.which("bash") is None or os.name != "posix", reason="the script is for POSIX bash"
)


def nightly(history: Path, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
    """Run the script with the smoke profile on the tiny selection, into ``history``."""
    full_env = {
        **os.environ,
        "PROFILE": "smoke",
        "ONLY": TINY,
        "HISTORY": str(history),
        "SKIP_SITE": "1",
        "PYTHON": sys.executable,
        "TMPDIR": str(history.parent),  # the script's scratch run folder stays in the test's
        **env,
    }
    return subprocess.run(
        ["bash", str(SCRIPT), *args],
        cwd=ROOT,
        env=full_env,
        capture_output=True,
        text=True,
        timeout=CHILD_RUN_S,
        check=False,
    )


def run_folders(history: Path) -> list[Path]:
    """The recorded runs: ``<history>/<machine>/<run>/`` holding a manifest."""
    return sorted(p.parent for p in history.glob("*/*/run.json"))


def snapshot(folder: Path) -> dict[str, bytes]:
    return {
        str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()
    }


@pytest.mark.slow
def test_two_runs_give_a_history_of_two_runs(tmp_path: Path) -> None:
    history = tmp_path / "history"
    first = nightly(history)
    assert first.returncode == 0, first.stdout + first.stderr
    assert "3/4 record" in first.stderr
    assert "4/4 site: skipped" in first.stderr
    [run] = run_folders(history)
    before = snapshot(history)

    # the second night builds the site too: its trend has a point per night
    site, cache = tmp_path / "site", tmp_path / "site-cache"
    second = nightly(history, SKIP_SITE="0", SITE_DIR=str(site), BENCH_SITE_CACHE=str(cache))
    assert second.returncode == 0, second.stdout + second.stderr
    page = (site / "history" / "index.html").read_text(encoding="utf-8")
    assert "Trend: round trip of 64 B" in page and "(2 run(s))" in page
    runs = run_folders(history)
    assert len(runs) == 2
    assert run in runs
    after = snapshot(history)
    # Append-only: every file of the first run is still there, byte for byte.
    assert {k: after.get(k) for k in before} == before


def test_a_missing_harness_stops_with_a_message(tmp_path: Path) -> None:
    out = nightly(tmp_path / "history", PYTHON=str(tmp_path / "no-python"))
    assert out.returncode == 1
    assert "no harness interpreter" in out.stderr
    assert not (tmp_path / "history").exists()


def test_a_run_that_cannot_start_leaves_the_history_alone(tmp_path: Path) -> None:
    history = tmp_path / "history"
    history.mkdir()
    (history / "kept.txt").write_text("an earlier night\n", encoding="utf-8")
    out = nightly(history, ONLY="no case has this name")
    assert out.returncode == exit_codes.USAGE
    assert "the run was refused its arguments (exit 2)" in out.stderr
    assert snapshot(history) == {"kept.txt": b"an earlier night\n"}
    assert not list(tmp_path.glob("nightly-runs.*"))  # no empty scratch folder left


#: A harness whose ``bench run`` writes a run folder, then fails as a full disk makes it
#: fail (exit code NOT_WRITTEN); every other command is the real one.
UNWRITABLE_RUN = """#!/usr/bin/env bash
if [[ "$1 $2 $3" == "-m bench run" ]]; then
    while (($#)); do [[ "$1" == --results ]] && results="$2"; shift; done
    mkdir -p "$results/m/2026-01-01T00-00-00Z-smoke"
    echo '{{"status": "running"}}' > "$results/m/2026-01-01T00-00-00Z-smoke/run.json"
    echo "error: could not write $results/m/x.json: No space left on device" >&2
    exit {code}
fi
exec {python} "$@"
"""


@pytest.mark.parametrize("code", [exit_codes.NOT_WRITTEN, exit_codes.INTERRUPTED])
def test_a_run_that_is_not_whole_is_never_recorded(tmp_path: Path, code: int) -> None:
    harness = tmp_path / "harness"
    harness.write_text(UNWRITABLE_RUN.format(code=code, python=sys.executable), encoding="utf-8")
    harness.chmod(0o755)
    history = tmp_path / "history"
    out = nightly(history, PYTHON=str(harness))
    assert out.returncode == code, out.stderr
    assert "nothing recorded" in out.stderr
    assert "2/4 validate" not in out.stderr and "3/4 record" not in out.stderr
    assert not history.exists()
