"""The watchdog deletes the run's scratch folders once the runner is gone, and nothing else."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from helpers_waiting import SOON_S

from bench.interpreters import case_environment

pytestmark = pytest.mark.skipif(os.name != "posix", reason="the watchdog is POSIX only")


def test_only_the_runs_scratch_folders_are_deleted(tmp_path: Path) -> None:
    temp_root = tmp_path / "tmp"
    scratch = [temp_root / "bench-files-abc", temp_root / "bench-out-def"]
    kept = [
        temp_root / "other-folder",  # not a name the runner makes
        tmp_path / "bench-out-elsewhere",  # not in the temporary folder
        temp_root / "bench-out-link",  # a link, whose target must survive
    ]
    for folder in [*scratch, *kept[:2]]:
        folder.mkdir(parents=True)
        (folder / "data").write_text("x", encoding="utf-8")
    kept[2].symlink_to(kept[0], target_is_directory=True)
    lines = "".join(f"@{p}\n" for p in [*scratch, *kept, Path("bench-out-relative")])
    done = subprocess.run(
        [sys.executable, "-m", "bench.guardian"],
        input=lines,
        text=True,
        env=case_environment({"TMPDIR": str(temp_root)}),
        timeout=SOON_S,
        check=False,
    )
    assert done.returncode == 0
    assert [p.exists() for p in scratch] == [False, False]
    assert all(p.exists() for p in kept)
    assert (kept[0] / "data").exists()
