"""The nightly's publish step, run for real against a local history branch: it adds the
recorded files and nothing else, with mode 644, and refuses, never drops, anything else.

The step's script is taken from ``.github/workflows/nightly.yml`` as it stands and run by
bash in a checkout whose ``origin`` is a bare repository on disk.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parent.parent
NIGHTLY = ROOT / ".github" / "workflows" / "nightly.yml"
BRANCH = "results-history"
RUN = "history/linux-x86-64/2026-11-25T08-18-49Z-standard"
EXISTING = f"{RUN}/run.json"
NEW_RUN = "history/linux-x86-64/2026-11-26T02-17-00Z-standard"

pytestmark = pytest.mark.skipif(
    shutil.which("git") is None or shutil.which("bash") is None, reason="needs git and bash"
)


def publish_script() -> str:
    workflow = yaml.safe_load(NIGHTLY.read_text(encoding="utf-8"))
    steps = workflow["jobs"]["publish"]["steps"]
    (script,) = [s["run"] for s in steps if "push origin" in str(s.get("run", ""))]
    return str(script)


def git(*args: str, cwd: Path) -> str:
    done = subprocess.run(["git", *args], cwd=cwd, capture_output=True, text=True, check=True)
    return done.stdout


@pytest.fixture
def origin(tmp_path: Path) -> Path:
    """A bare repository with a default branch and a history branch holding one run."""
    bare = tmp_path / "origin.git"
    git("init", "--quiet", "--bare", str(bare), cwd=tmp_path)
    seed = tmp_path / "seed"
    git("init", "--quiet", "-b", "main", str(seed), cwd=tmp_path)
    for args in (("config", "user.name", "t"), ("config", "user.email", "t@example.invalid")):
        git(*args, cwd=seed)
    (seed / "README.md").write_text("code\n", encoding="utf-8")
    git("add", "README.md", cwd=seed)
    git("commit", "--quiet", "-m", "code", cwd=seed)
    git("push", "--quiet", str(bare), "main", cwd=seed)
    git("switch", "--quiet", "--orphan", BRANCH, cwd=seed)
    (seed / EXISTING).parent.mkdir(parents=True)
    (seed / EXISTING).write_text('{"old": true}\n', encoding="utf-8")
    (seed / ".gitignore").write_text("*.json\n", encoding="utf-8")  # must not drop a file
    git("add", "--force", EXISTING, ".gitignore", cwd=seed)
    git("commit", "--quiet", "-m", "history", cwd=seed)
    git("push", "--quiet", str(bare), BRANCH, cwd=seed)
    return bare


def publish(tmp_path: Path, origin: Path, files: dict[str, str], mode: int = 0o644) -> int:
    """Run the step with ``files`` (path -> text) as the recorded history; its exit code."""
    recorded = tmp_path / "recorded"
    for path, text in files.items():
        (recorded / path).parent.mkdir(parents=True, exist_ok=True)
        (recorded / path).write_text(text, encoding="utf-8")
        (recorded / path).chmod(mode)
    work = tmp_path / "work"
    git("clone", "--quiet", "-b", "main", str(origin), str(work), cwd=tmp_path)
    env = {
        "PATH": os.environ["PATH"], "HOME": str(tmp_path), "GITHUB_TOKEN": "not-a-token",
        "HISTORY_BRANCH": BRANCH, "RECORDED": str(recorded), "GITHUB_RUN_ID": "1",
        "GITHUB_RUN_ATTEMPT": "1", "GIT_CONFIG_NOSYSTEM": "1",
    }  # fmt: skip
    done = subprocess.run(
        ["bash", "-e", "-o", "pipefail", "-c", publish_script()],
        cwd=work, env=env, capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip
    return done.returncode


def branch_files(origin: Path) -> dict[str, str]:
    """The history branch on ``origin``: path -> git mode."""
    listing = git("ls-tree", "-r", BRANCH, cwd=origin)
    return {line.split("\t")[1]: line.split()[0] for line in listing.splitlines()}


def test_new_runs_are_pushed_whole_with_mode_644(tmp_path: Path, origin: Path) -> None:
    files = {f"{NEW_RUN}/run.json": "{}", f"{NEW_RUN}/cpython-3.14.json": "{}"}
    assert publish(tmp_path, origin, files, mode=0o755) == 0
    published = branch_files(origin)
    assert set(files) | {EXISTING, ".gitignore"} == set(published)
    assert {published[path] for path in files} == {"100644"}  # no executable bit kept


@pytest.mark.parametrize(
    "path",
    [
        f"{NEW_RUN}/logs/run.log",
        f"{NEW_RUN}/notes.txt",
        f"{NEW_RUN}/sub/deep.json",
        "history/linux-x86-64/run.json",
        "elsewhere/x/y/z.json",
        "history/linux-x86-64/.hidden/run.json",
        "history/linux x86/2026-11-26T02-17-00Z-standard/run.json",
        ".github/workflows/nightly.yml",
    ],
)
def test_a_path_the_history_does_not_have_is_refused(
    tmp_path: Path, origin: Path, path: str
) -> None:
    before = branch_files(origin)
    files = {f"{NEW_RUN}/run.json": "{}", path: "{}"}
    assert publish(tmp_path, origin, files) == 1
    assert branch_files(origin) == before


def test_a_change_to_a_recorded_file_is_refused_not_dropped(tmp_path: Path, origin: Path) -> None:
    before = branch_files(origin)
    files = {f"{NEW_RUN}/run.json": "{}", EXISTING: '{"rewritten": true}'}
    assert publish(tmp_path, origin, files) == 1
    assert branch_files(origin) == before


def test_a_link_among_the_recorded_files_is_refused(tmp_path: Path, origin: Path) -> None:
    before = branch_files(origin)
    recorded = tmp_path / "recorded" / NEW_RUN
    recorded.mkdir(parents=True)
    (recorded / "run.json").symlink_to("/etc/passwd")
    assert publish(tmp_path, origin, {}) == 1
    assert branch_files(origin) == before
