"""Result files: written atomically, run folders never reused, names file-name-safe."""

from __future__ import annotations

import json
import os
import re
import stat
from datetime import UTC, datetime
from pathlib import Path

import pytest

from bench.results import layout, write

WHEN = datetime(2025, 1, 2, 3, 4, 5, tzinfo=UTC)


class Boom(Exception):
    pass


def test_atomic_writer_writes_the_file_and_leaves_no_temporary(tmp_path: Path) -> None:
    target = tmp_path / "sub" / "out.json"
    with write.atomic_writer(target) as f:
        f.write("hello\n")
    assert target.read_text(encoding="utf-8") == "hello\n"
    assert list(target.parent.iterdir()) == [target]


@pytest.mark.skipif(os.name != "posix", reason="POSIX file modes")
def test_atomic_writer_makes_a_readable_file(tmp_path: Path) -> None:
    target = tmp_path / "out.txt"
    with write.atomic_writer(target) as f:
        f.write("x")
    assert stat.S_IMODE(target.stat().st_mode) == 0o644


def test_atomic_writer_replaces_an_existing_file(tmp_path: Path) -> None:
    target = tmp_path / "out.txt"
    target.write_text("old", encoding="utf-8")
    with write.atomic_writer(target) as f:
        f.write("new")
    assert target.read_text(encoding="utf-8") == "new"
    assert list(tmp_path.iterdir()) == [target]


def test_atomic_writer_keeps_the_old_file_when_the_body_raises(tmp_path: Path) -> None:
    target = tmp_path / "out.txt"
    target.write_text("old", encoding="utf-8")
    with pytest.raises(Boom), write.atomic_writer(target) as f:
        f.write("half of the new")
        raise Boom
    assert target.read_text(encoding="utf-8") == "old"
    assert list(tmp_path.iterdir()) == [target]
    assert not list(tmp_path.glob("*.tmp"))
    assert not list(tmp_path.glob(".*.tmp"))


def test_atomic_writer_writes_nothing_when_the_body_raises(tmp_path: Path) -> None:
    target = tmp_path / "out.txt"
    with pytest.raises(KeyboardInterrupt), write.atomic_writer(target) as f:
        f.write("partial")
        raise KeyboardInterrupt
    assert list(tmp_path.iterdir()) == []


def test_write_json_round_trips(tmp_path: Path) -> None:
    data = {"b": [1, 2.5, None, True], "a": {"nested": "é"}, "c": "text"}
    path = tmp_path / "run.json"
    write.write_json(path, data)
    text = path.read_text(encoding="utf-8")
    assert json.loads(text) == data
    assert text.endswith("\n")
    assert list(tmp_path.iterdir()) == [path]


def test_create_run_dir_never_reuses_a_folder(tmp_path: Path) -> None:
    first = layout.create_run_dir(tmp_path, "Linux_x86-64+AMD", "quick", WHEN)
    second = layout.create_run_dir(tmp_path, "Linux_x86-64+AMD", "quick", WHEN)
    third = layout.create_run_dir(tmp_path, "Linux_x86-64+AMD", "quick", WHEN)
    assert len({first, second, third}) == 3
    for folder in (first, second, third):
        assert folder.is_dir()
        assert list(folder.iterdir()) == []
        assert folder.parent == tmp_path / "Linux_x86-64+AMD"  # the name the files record
    assert first.name == layout.run_id(WHEN, "quick") == "2025-01-02T03-04-05Z-quick"
    assert second.name == f"{first.name}-1"


def test_create_run_dir_refuses_a_machine_the_reader_would_refuse(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="not a plain name"):
        layout.create_run_dir(tmp_path, "Linux x86_64 | AMD", "quick", WHEN)
    assert list(tmp_path.iterdir()) == []


def test_create_run_dir_skips_a_folder_made_by_someone_else(tmp_path: Path) -> None:
    taken = tmp_path / "m" / layout.run_id(WHEN, "smoke")
    taken.mkdir(parents=True)
    (taken / "keep.txt").write_text("theirs", encoding="utf-8")
    made = layout.create_run_dir(tmp_path, "m", "smoke", WHEN)
    assert made != taken
    assert (taken / "keep.txt").read_text(encoding="utf-8") == "theirs"


@pytest.mark.parametrize(
    "text",
    [
        "AMD EPYC | <script>",
        "../../etc/passwd",
        "Intel(R) Xeon(R) CPU @ 2.20GHz",
        "",
        "---",
        'a/b\\c:d*e?f"g<h>i|j',
        "x" * 500,
        "Ünïcödé 3.13t",
    ],
)
def test_slug_is_file_name_safe(text: str) -> None:
    result = layout.slug(text)
    assert re.fullmatch(r"[a-z0-9.-]+", result)
    assert result not in (".", "..")
    assert not result.startswith(("-", "."))
    assert not result.endswith(("-", "."))
    assert len(result) <= 60


def test_slug_examples() -> None:
    assert layout.slug("AMD EPYC | <script>") == "amd-epyc-script"
    assert layout.slug("cpython-3.13.5t -X gil=1") == "cpython-3.13.5t-x-gil-1"
    assert layout.slug("") == "unknown"
    assert layout.slug("abc def", limit=4) == "abc"
