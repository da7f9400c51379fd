"""What cannot be read is a problem named with its path, never a silent skip.

A run folder without read permission made ``validate`` say "all valid" of half the
files, the site build without that run, and ``history --check`` crash. Here the folder is
unreadable for real where the tests run as a user; as root, whom permissions do not stop,
the operating system's listing of it is made to fail the same way.
"""

from __future__ import annotations

import errno
import os
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from bench import exit_codes
from bench.__main__ import main
from bench.history.cache import load_site_data
from bench.history.record import check_history
from bench.results.read import ResultsError, load_results, validate_tree

FIXTURE_RUN = next((Path(__file__).parent / "fixtures" / "results").glob("*/*"))
#: A second run of the same machine, as the history holds them.
OTHER_RUN = "2026-11-24T08-30-24Z-smoke"


@pytest.fixture
def results(tmp_path: Path) -> Path:
    root = tmp_path / "results"
    shutil.copytree(FIXTURE_RUN, root / FIXTURE_RUN.parent.name / FIXTURE_RUN.name)
    return root


@pytest.fixture
def unreadable(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[Path]]:
    """Folders appended to the list yielded cannot be listed (``EACCES``)."""
    denied: list[Path] = []
    if os.name == "posix" and os.geteuid() != 0:
        yield denied
        for folder in denied:
            folder.chmod(0o755)
        return
    real_scandir, real_listdir = os.scandir, os.listdir

    def check(path: Any) -> None:
        if Path(os.fsdecode(path)).absolute() in denied:
            raise PermissionError(errno.EACCES, os.strerror(errno.EACCES), os.fsdecode(path))

    def scandir(path: Any = ".") -> Any:
        check(path)
        return real_scandir(path)

    def listdir(path: Any = ".") -> list[Any]:
        check(path)
        return real_listdir(path)

    monkeypatch.setattr(os, "scandir", scandir)
    monkeypatch.setattr(os, "listdir", listdir)
    yield denied


def deny(unreadable: list[Path], folder: Path) -> Path:
    unreadable.append(folder.absolute())
    if os.name == "posix" and os.geteuid() != 0:
        folder.chmod(0)
    return folder


def test_an_unreadable_run_folder_is_a_problem_everywhere_the_results_are_read(
    results: Path,
    unreadable: list[Path],
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    folder = deny(unreadable, results / FIXTURE_RUN.parent.name / FIXTURE_RUN.name)
    problems = validate_tree(results)
    denied = (folder, "cannot be read: Permission denied")
    assert [(p.path, p.reason) for p in problems] == [denied]
    with pytest.raises(ResultsError, match="cannot be read"):
        load_results(results)
    with pytest.raises(ResultsError, match="cannot be read"):  # the site's and history's loader
        load_site_data(results, tmp_path / "cache")
    assert main(["validate", str(results)]) == exit_codes.FAILURES
    assert f"{folder}: cannot be read" in capsys.readouterr().err


def test_an_unreadable_folder_beside_readable_runs_is_not_left_out(
    results: Path, unreadable: list[Path]
) -> None:
    machine = results / FIXTURE_RUN.parent.name
    shutil.copytree(machine / FIXTURE_RUN.name, machine / OTHER_RUN)
    deny(unreadable, machine / OTHER_RUN)
    problems = validate_tree(results)
    assert machine / OTHER_RUN in {p.path for p in problems}


def test_history_check_names_an_unreadable_folder_without_a_traceback(
    results: Path, unreadable: list[Path], capsys: pytest.CaptureFixture[str]
) -> None:
    machine = deny(unreadable, results / FIXTURE_RUN.parent.name)
    problems = check_history(results)
    denied = (machine, "cannot be read: Permission denied")
    assert [(p.path, p.reason) for p in problems] == [denied]
    assert main(["history", "--check", "--history", str(results)]) == exit_codes.FAILURES
    assert f"{machine}: cannot be read" in capsys.readouterr().err


def test_record_refuses_a_run_it_cannot_read(
    results: Path, unreadable: list[Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    run = results / FIXTURE_RUN.parent.name / FIXTURE_RUN.name
    history = tmp_path / "history"
    if os.name == "posix" and os.geteuid() != 0:
        deny(unreadable, run)
    else:  # root reads the manifest whatever its mode: the listing is what fails
        unreadable.append(run.absolute())
    assert main(["record", str(run), "--history", str(history)]) == exit_codes.FAILURES
    err = capsys.readouterr().err
    assert "not recorded" in err and "cannot be read" in err
    assert not (history / FIXTURE_RUN.parent.name).exists()
