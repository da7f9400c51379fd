"""The raw downloads carry no home folder of the machine that measured them (issue 23,
item 16), while the files in results/ stay as measured."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from bench.results.read import load_run
from bench.site import build, pages, redact, sources
from bench.site.data import load_source
from bench.site.redact import without_home

FIXTURE = Path(__file__).parent / "fixtures" / "results"


@pytest.mark.parametrize(
    ("text", "shared"),
    [
        ('"/root/.cache/venvs/x/bin/python"', '"~/.cache/venvs/x/bin/python"'),
        ('"/home/alice/.pyenv/bin/python3"', '"~/.pyenv/bin/python3"'),
        ('"/Users/bob/py/bin/python"', '"~/py/bin/python"'),
        ('"C:\\\\Users\\\\carol\\\\py\\\\python.exe"', '"~\\\\py\\\\python.exe"'),
        (
            "'--prefix=/root/.pyenv/versions/3.13.0' 'LDFLAGS=-L/root/.pyenv/lib "
            "-Wl,-rpath,/root/.pyenv/lib' 'CPPFLAGS=-I/root/.pyenv/include'",
            "'--prefix=~/.pyenv/versions/3.13.0' 'LDFLAGS=-L~/.pyenv/lib "
            "-Wl,-rpath,~/.pyenv/lib' 'CPPFLAGS=-I~/.pyenv/include'",
        ),
        # not a home folder: the middle of a path, another root, a system prefix
        ('"/srv/root/x", "/rootfs/y", "/opt/py313t/bin/python3.13t"', None),
    ],
)
def test_home_folders_become_a_tilde(text: str, shared: str | None) -> None:
    assert without_home(text) == (text if shared is None else shared)


def test_the_downloads_are_copies_without_home_folders(tmp_path: Path) -> None:
    results = tmp_path / "results"
    shutil.copytree(FIXTURE, results)
    (run,) = sorted(p for p in results.glob("*/*") if p.is_dir())
    measured = sorted(run.glob("*.json"))
    home = "/home/measurer/.cache/threads-or-processes/venvs/x/bin/python"
    for path in measured:  # a run made under a home folder, as the baseline's was
        text = path.read_text(encoding="utf-8")
        path.write_text(text.replace("/work/main/.venv/bin/python", home), encoding="utf-8")
    before = {path: path.read_bytes() for path in measured}
    assert any(home.encode() in raw for raw in before.values())
    data = load_source(sources.Source("baseline", "Baseline", results), tmp_path / "cache")
    files = build.data_files([data], tmp_path / "cache")
    offered = {t: Path(s) for t, s in files.items() if t in pages.download_targets(data)}
    assert offered and len(offered) == len(pages.download_targets(data))
    for target, path in offered.items():
        text = path.read_text(encoding="utf-8")
        assert "/home/measurer" not in text, target
        json.loads(text)  # still the same JSON
        build.check_copy(target, path, [results, tmp_path / "cache"])
    assert any("~/.cache/threads-or-processes" in p.read_text("utf-8") for p in offered.values())
    assert {path: path.read_bytes() for path in measured} == before  # results/ untouched
    # the copies read as the measured files do: the same values, the same rows
    copy_run = tmp_path / "copy" / run.relative_to(results)
    shutil.copytree(run, copy_run)
    for target, path in offered.items():
        shutil.copy(path, copy_run / Path(target).name)
    assert len(load_run(copy_run)) == len(load_run(run))
    assert "written `~`" in pages.downloads_page([data])  # the page says what differs


def test_a_warm_build_reads_an_unchanged_file_once_and_a_changed_one_again(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    source = tmp_path / "r.json"
    source.write_text('{"python_executable": "/home/alice/py/bin/python"}', encoding="utf-8")
    copy = tmp_path / "raw" / "r.json"
    assert redact.shareable(source, copy) == copy
    assert "alice" not in copy.read_text(encoding="utf-8")
    reads: list[Path] = []
    real = Path.read_text
    monkeypatch.setattr(Path, "read_text", lambda p, *a, **k: reads.append(p) or real(p, *a, **k))
    assert redact.shareable(source, copy) == copy
    assert source not in reads  # the stamp answered
    source.write_text('{"python_executable": "/opt/py/bin/python", "x": 1}', encoding="utf-8")
    assert redact.shareable(source, copy) == source  # changed: read again, nothing to hide
    assert source in reads
