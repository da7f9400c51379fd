"""Every folder the suite makes lies where the runner and its watchdog delete it.

A Dask case killed at its timeout left a ``bench-dask-*`` folder in the temporary folder
each time: the watchdog knew only the runner's own scratch folders. A case's folders now
go inside the run's scratch (``bench.models.base.scratch_folder``), which the runner
removes when the run ends and the watchdog if the runner is killed.
"""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest
from helpers_waiting import CHILD_RUN_S

from bench import interpreters
from bench.environment import PROJECT_ROOT
from bench.guardian import SCRATCH_PREFIXES
from bench.models import unavailable_models
from bench.models.base import SCRATCH_DIR_ENV, scratch_folder

DASK_MODELS = ("dask_local", "dask_cluster")

#: A run of one Dask case that hangs once its cluster is up, killed at its timeout.
DRIVER = """
import sys
from pathlib import Path
from bench import interpreters, runner
from bench.cases import Case, Profile
from bench.progress import Progress
profile = Profile("test", "t", rounds=1, values=1, warmups=0, timeout_s=600, picks=())
hang = Case("test", "hang", "t", 0, 2, sys.argv[2], 2)
settings = runner.Settings(profile=profile, cases=[hang], results=Path(sys.argv[1]),
                           interpreters=[interpreters.current()], machine="m", seed=1,
                           timeout_s=float(sys.argv[3]))
outcome = runner.run(settings, Progress(0))
print(outcome.manifest.interpreters[0].failures)
"""


def test_a_scratch_folder_lies_in_the_runs_scratch_when_there_is_one(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(SCRATCH_DIR_ENV, str(tmp_path))
    made = scratch_folder("bench-dask-")
    assert made.parent == tmp_path and made.name.startswith("bench-dask-")
    monkeypatch.setenv(SCRATCH_DIR_ENV, str(tmp_path / "gone"))  # a stale setting: no harm
    elsewhere = scratch_folder("bench-dask-")
    assert elsewhere.parent != tmp_path / "gone"
    elsewhere.rmdir()


def test_only_the_runner_makes_folders_in_the_temporary_folder_itself() -> None:
    """Every other temporary folder of the suite goes through scratch_folder, or into the
    run's scratch: a call of tempfile's folder makers anywhere else fails this test."""
    allowed = {
        ("bench/runner.py", "bench-out-"),  # the run's scratch: the watchdog is told of it
        ("bench/services.py", "bench-files-"),  # the I/O workload's folder: likewise
        ("bench/interpreters.py", "bench-pip-"),  # before a run: pip's checks of a venv
    }
    found = set()
    for path in sorted((PROJECT_ROOT / "bench").rglob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if not isinstance(node, ast.Call) or not isinstance(node.func, ast.Attribute):
                continue
            if node.func.attr not in {"mkdtemp", "TemporaryDirectory"}:
                continue
            keywords = {k.arg: k.value for k in node.keywords}
            if "dir" in keywords:  # made inside a folder it names
                continue
            prefix = keywords.get("prefix")
            text = prefix.value if isinstance(prefix, ast.Constant) else None
            found.add((path.relative_to(PROJECT_ROOT).as_posix(), text))
    found.discard(("bench/models/base.py", None))  # scratch_folder itself
    assert found <= allowed, found - allowed
    assert {p for _, p in allowed if p != "bench-pip-"} == set(SCRATCH_PREFIXES)


@pytest.mark.slow
@pytest.mark.parametrize("model", DASK_MODELS)
def test_a_dask_case_killed_at_its_timeout_leaves_no_folder(
    model: str, tmp_path: Path, tmp_path_factory: pytest.TempPathFactory
) -> None:
    if reason := unavailable_models().get(model):
        pytest.skip(reason)
    temp_root = tmp_path_factory.mktemp("temp-root")  # the run's temporary folder
    ran = subprocess.run(
        [sys.executable, "-c", DRIVER, str(tmp_path), model, "12"],
        capture_output=True, text=True, timeout=CHILD_RUN_S, check=False,
        env=interpreters.case_environment({"TMPDIR": str(temp_root)}),
    )  # fmt: skip
    assert "timed out" in ran.stdout, ran.stdout + ran.stderr  # killed, cluster and all
    assert sorted(p.name for p in temp_root.iterdir()) == [], ran.stdout
