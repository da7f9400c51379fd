"""How the site loads a results folder: processes only where they pay for themselves."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from bench.site import data


def results_folder(root: Path, files: int) -> Path:
    for n in range(files):
        run = root / "machine" / f"run-{n // 4}"
        run.mkdir(parents=True, exist_ok=True)
        (run / f"file-{n}.json").write_text("{}\n", encoding="utf-8")
    return root


def test_a_small_folder_is_parsed_in_one_process(tmp_path: Path) -> None:
    # the committed baseline: six files, far fewer than a spawned parser needs
    assert data.parsers(results_folder(tmp_path, 6)) == 1
    assert data.parsers(tmp_path / "missing") == 1


def test_a_large_folder_gets_a_parser_per_batch_of_files_up_to_the_cpus(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(os, "cpu_count", lambda: 4)
    folder = results_folder(tmp_path, 3 * data.FILES_PER_PARSER)
    assert data.parsers(folder) == 3
    results_folder(folder, 10 * data.FILES_PER_PARSER)
    assert data.parsers(folder) == 4
