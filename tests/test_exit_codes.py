"""The exit codes: one per outcome, the README's table matches them, and ``validate``
fails on a folder that holds nothing to vouch for."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from bench import exit_codes, runner
from bench.__main__ import main

ROOT = Path(__file__).resolve().parent.parent
CODES = {name: getattr(exit_codes, name) for name in exit_codes.__all__}


def test_every_outcome_has_its_own_code() -> None:
    assert len(set(CODES.values())) == len(CODES)
    # one name each: the runner has no second one
    assert not [name for name in dir(runner) if name.startswith("EXIT_")]


def test_the_readme_table_lists_every_code() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    documented = {int(m) for m in re.findall(r"^\s*\| (\d+) \| ", readme, flags=re.MULTILINE)}
    assert documented == set(CODES.values())


def test_validate_on_a_missing_folder_is_a_usage_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    missing = tmp_path / "nowhere"
    assert main(["validate", str(missing)]) == exit_codes.USAGE
    assert f"{missing}: no such folder" in capsys.readouterr().err


def test_validate_on_an_empty_folder_fails_and_says_so(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "notes.txt").write_text("not a results file\n", encoding="utf-8")
    assert main(["validate", str(tmp_path)]) == exit_codes.FAILURES
    out = capsys.readouterr()
    assert "no results files" in out.err
    assert "all valid" not in out.out
