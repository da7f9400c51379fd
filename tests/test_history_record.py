"""Recording into the history: append-only, all or nothing, safe when two run at once."""

from __future__ import annotations

import json
import multiprocessing
import os
import re
import shutil
import stat
import threading
import time
from datetime import datetime, timedelta
from pathlib import Path

import pytest

from bench.__main__ import main
from bench.history.record import STALE_STAGING_S, record, record_run
from bench.results.layout import run_start
from bench.results.read import ResultsError, load_results, validate_tree

FIXTURE_RUN = Path(__file__).parent / "fixtures/results/fixture-machine/2026-11-25T08-30-24Z-smoke"


#: A time as the files write it: ISO 8601, "T" or a space, fractions and offset optional.
TIME = re.compile(r"(\d{4}-\d\d-\d\d)([T ])(\d\d:\d\d:\d\d)((?:\.\d+)?(?:[+-]\d\d:\d\d)?)")


def _shifted(text: str, delta: timedelta) -> str:
    def shift(match: re.Match[str]) -> str:
        when = datetime.fromisoformat(f"{match[1]}T{match[3]}") + delta
        return f"{when:%Y-%m-%d}{match[2]}{when:%H:%M:%S}{match[4]}"

    return TIME.sub(shift, text)


def _run(tmp_path: Path, name: str = FIXTURE_RUN.name) -> Path:
    """A copy of the fixture run under ``tmp_path/results/fixture-machine/<name>``, with logs:
    run id ``name`` in its manifest and metadata too, and every time moved with it, as the
    runner would have made it."""
    run = tmp_path / "results" / "fixture-machine" / name
    run.mkdir(parents=True)
    delta = run_start(name) - run_start(FIXTURE_RUN.name)  # type: ignore[operator]
    for src in FIXTURE_RUN.iterdir():
        text = _shifted(src.read_text(encoding="utf-8").replace(FIXTURE_RUN.name, name), delta)
        (run / src.name).write_text(text, encoding="utf-8")
    (run / "logs").mkdir()
    (run / "logs" / "run.log").write_text("log\n", encoding="utf-8")
    return run


def _snapshot(root: Path) -> dict[str, bytes]:
    return {
        str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()
    }


def test_record_copies_the_run_without_logs(tmp_path: Path) -> None:
    run = _run(tmp_path)
    history = tmp_path / "history"
    done = record(run, history)
    assert done.created
    assert done.path == history / "fixture-machine" / run.name
    assert sorted(p.name for p in done.path.iterdir()) == sorted(done.files)
    assert "logs/" in done.skipped and not (done.path / "logs").exists()
    assert validate_tree(history) == []
    assert len(load_results(history)) == len(load_results(run.parent.parent))
    # no staging folder left behind
    assert [p.name for p in (history / "fixture-machine").iterdir()] == [run.name]


def test_recording_the_same_run_again_is_a_no_op(tmp_path: Path) -> None:
    run = _run(tmp_path)
    history = tmp_path / "history"
    record_run(run, history)
    before = _snapshot(history)
    again = record(run, history)
    assert not again.created
    assert _snapshot(history) == before


def test_an_existing_file_is_never_overwritten(tmp_path: Path) -> None:
    run = _run(tmp_path)
    history = tmp_path / "history"
    record_run(run, history)
    before = _snapshot(history)
    manifest = run / "run.json"
    data = json.loads(manifest.read_text(encoding="utf-8"))
    data["seed"] = 12345  # same run id, other content
    manifest.write_text(json.dumps(data), encoding="utf-8")
    with pytest.raises(ResultsError, match="never changed") as caught:
        record_run(run, history)
    assert caught.value.path.name == "run.json"
    assert _snapshot(history) == before


@pytest.mark.parametrize("damage", ["truncate", "foreign"])
def test_a_corrupt_file_is_refused_before_it_enters(tmp_path: Path, damage: str) -> None:
    history = tmp_path / "history"
    record_run(_run(tmp_path / "a", "2026-11-24T08-00-00Z-smoke"), history)
    before = _snapshot(history)
    run = _run(tmp_path / "b")
    bad = run / "cpython-3.11.7.json"
    if damage == "truncate":
        bad.write_bytes(bad.read_bytes()[:1000])
    else:
        bad.write_text(json.dumps({"benchmarks": [], "kind": "something else"}), encoding="utf-8")
    with pytest.raises(ResultsError) as caught:
        record_run(run, history)
    assert caught.value.path == bad  # names the run's file, not a staging copy
    assert _snapshot(history) == before  # nothing entered, no staging folder left
    assert sorted(p.name for p in (history / "fixture-machine").iterdir()) == [
        "2026-11-24T08-00-00Z-smoke"
    ]


def test_a_folder_without_manifest_is_refused(tmp_path: Path) -> None:
    run = _run(tmp_path)
    (run / "run.json").unlink()
    with pytest.raises(ResultsError, match="missing"):
        record_run(run, tmp_path / "history")
    assert not (tmp_path / "history").exists()


def test_a_hidden_staging_folder_is_ignored_by_the_loader(tmp_path: Path) -> None:
    history = tmp_path / "history"
    record_run(_run(tmp_path), history)
    partial = history / "fixture-machine" / ".incoming-abc"
    partial.mkdir()
    (partial / "cpython-3.11.7.json").write_text("{", encoding="utf-8")  # cut short
    assert validate_tree(history) == []


def test_two_threads_recording_at_once_both_survive(tmp_path: Path) -> None:
    runs = [_run(tmp_path / str(i), f"2026-11-2{i}T08-00-00Z-smoke") for i in range(4)]
    history = tmp_path / "history"
    barrier = threading.Barrier(len(runs) + 1)  # + the same run twice
    errors: list[BaseException] = []

    def go(run: Path) -> None:
        barrier.wait()
        try:
            record_run(run, history)
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=go, args=(r,)) for r in [*runs, runs[0]]]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert sorted(p.name for p in (history / "fixture-machine").iterdir()) == sorted(
        r.name for r in runs
    )
    assert validate_tree(history) == []


def _record_in_child(run: str, history: str) -> str:
    return str(record_run(Path(run), Path(history)))


def test_two_processes_recording_at_once_both_survive(tmp_path: Path) -> None:
    runs = [_run(tmp_path / str(i), f"2026-11-2{i}T08-00-00Z-smoke") for i in range(2)]
    history = tmp_path / "history"
    ctx = multiprocessing.get_context("spawn")
    with ctx.Pool(2) as pool:
        done = pool.starmap(_record_in_child, [(str(r), str(history)) for r in runs])
    assert sorted(Path(d).name for d in done) == sorted(r.name for r in runs)
    single = len(load_results(FIXTURE_RUN))
    assert len(load_results(history)) == 2 * single


def test_cli_record_exit_codes(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    run = _run(tmp_path)
    history = tmp_path / "history"
    assert main(["record", str(run), "--history", str(history)]) == 0
    assert "recorded" in capsys.readouterr().out
    assert main(["record", str(run), "--history", str(history)]) == 0
    assert "already recorded" in capsys.readouterr().out
    (run / "cpython-3.13.5t.outcomes.json").write_text("{}", encoding="utf-8")
    assert main(["record", str(run), "--history", str(history)]) == 1
    assert "cpython-3.13.5t.outcomes.json" in capsys.readouterr().err


# -- what record refuses, and what it leaves behind ---------------------------------


def _set_manifest(run: Path, **changes: object) -> None:
    manifest = run / "run.json"
    data = json.loads(manifest.read_text(encoding="utf-8"))
    for key, value in changes.items():
        if value is None:
            data.pop(key, None)
        else:
            data[key] = value
    manifest.write_text(json.dumps(data), encoding="utf-8")


@pytest.mark.parametrize("status", ["running", "interrupted", None])
def test_a_run_that_is_not_complete_is_refused(tmp_path: Path, status: str | None) -> None:
    run = _run(tmp_path)
    _set_manifest(run, status=status)
    history = tmp_path / "history"
    with pytest.raises(ResultsError, match="not complete") as caught:
        record_run(run, history)
    assert caught.value.path == run / "run.json"
    assert not history.exists()  # refused before anything was made


def test_a_renamed_run_folder_is_refused(tmp_path: Path) -> None:
    history = tmp_path / "history"
    record_run(_run(tmp_path / "a"), history)
    before = _snapshot(history)
    renamed = tmp_path / "b" / "fixture-machine" / "2026-12-01T00-00-00Z-smoke"
    shutil.copytree(FIXTURE_RUN, renamed)  # a copy under another run id: twice the rows
    with pytest.raises(ResultsError, match=r"run_id|names run"):
        record_run(renamed, history)
    other_machine = tmp_path / "c" / "another-machine" / FIXTURE_RUN.name
    shutil.copytree(FIXTURE_RUN, other_machine)
    with pytest.raises(ResultsError, match="machine"):
        record_run(other_machine, history)
    assert _snapshot(history) == before
    assert sorted(p.name for p in history.iterdir()) == ["fixture-machine"]


def test_metadata_that_disagrees_with_the_manifest_is_refused(tmp_path: Path) -> None:
    run = _run(tmp_path, "2026-12-01T00-00-00Z-smoke")
    suite = run / "cpython-3.11.7.json"
    suite.write_text(
        suite.read_text(encoding="utf-8").replace(run.name, FIXTURE_RUN.name), encoding="utf-8"
    )
    history = tmp_path / "history"
    with pytest.raises(ResultsError, match=r"run[_ ]id") as caught:
        record_run(run, history)
    assert caught.value.path == suite
    assert list(history.iterdir()) == []  # no machine folder, no staging folder


def test_a_path_with_dot_dot_is_resolved_and_leaves_no_stray_folder(tmp_path: Path) -> None:
    run = _run(tmp_path)
    history = tmp_path / "history"
    done = record(run / "logs" / "..", history)
    assert done.path == history / "fixture-machine" / run.name
    assert sorted(str(p.relative_to(history)) for p in history.rglob("*") if p.is_dir()) == [
        "fixture-machine",
        f"fixture-machine/{run.name}",
    ]


def test_a_refused_record_leaves_no_machine_folder(tmp_path: Path) -> None:
    run = _run(tmp_path)
    (run / "cpython-3.11.7.json").write_text("{", encoding="utf-8")
    history = tmp_path / "history"
    with pytest.raises(ResultsError):
        record_run(run, history)
    assert list(history.iterdir()) == []


def _age(folder: Path, seconds: float) -> None:
    then = time.time() - seconds
    os.utime(folder, (then, then))


def test_stale_staging_folders_are_cleaned_by_the_next_record(tmp_path: Path) -> None:
    history = tmp_path / "history"
    killed_new = history / ".incoming-killed"  # where this version stages
    killed_old = history / "fixture-machine" / ".incoming-old"  # where earlier ones did
    live = history / ".incoming-live"  # a record at work right now
    for folder in (killed_new, killed_old, live):
        (folder / "x").mkdir(parents=True)
        (folder / "x" / "cpython-3.11.7.json").write_text("{", encoding="utf-8")
    _age(killed_new, STALE_STAGING_S + 60)
    _age(killed_old, 30 * 86400)
    done = record(_run(tmp_path), history)
    assert set(done.cleaned) == {killed_new, killed_old}
    assert not killed_new.exists() and not killed_old.exists()
    assert live.exists()  # younger than STALE_STAGING_S: maybe another record's
    assert sorted(p.name for p in history.iterdir()) == [".incoming-live", "fixture-machine"]


def _damaged_history(tmp_path: Path) -> Path:
    """A history as killed and mistaken records of earlier versions could leave it."""
    history = tmp_path / "history"
    record_run(_run(tmp_path / "ok"), history)
    stale = history / "fixture-machine" / ".incoming-abc"
    stale.mkdir()
    _age(stale, 2 * STALE_STAGING_S)
    (history / "empty-machine").mkdir()
    shutil.copytree(FIXTURE_RUN, history / "fixture-machine" / "2026-12-01T00-00-00Z-smoke")
    unfinished = _run(tmp_path / "x", "2026-11-20T00-00-00Z-smoke")
    _set_manifest(unfinished, status="running")
    shutil.copytree(unfinished, history / "fixture-machine" / unfinished.name)
    return history


def test_history_check_lists_what_records_left_behind(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    history = _damaged_history(tmp_path)
    assert main(["history", "--check", "--history", str(history)]) == 1
    err = capsys.readouterr().err
    assert ".incoming-abc: staging folder of a record killed" in err
    assert "empty-machine: a machine folder without any run" in err
    assert "2026-12-01T00-00-00Z-smoke/run.json: the folder is named" in err
    assert "2026-11-20T00-00-00Z-smoke/run.json: the run is not complete" in err
    assert "4 problem(s)" in err


def test_history_check_passes_a_sound_history(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    history = tmp_path / "history"
    record_run(_run(tmp_path), history)
    (history / ".incoming-live").mkdir()  # a record at work: not a problem
    assert main(["history", "--check", "--history", str(history)]) == 0
    assert "no staging leftovers" in capsys.readouterr().out


def test_history_keeps_its_cache_outside_the_history(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    import bench.__main__ as cli

    history = tmp_path / "history"
    record_run(_run(tmp_path), history)
    before = _snapshot(history)
    monkeypatch.setattr(cli, "DEFAULT_HISTORY_CACHE", tmp_path / "build" / "cache")
    assert main(["history", "--history", str(history)]) == 0
    assert "5 file(s) parsed" in capsys.readouterr().out
    assert _snapshot(history) == before  # nothing written into the history
    assert any((tmp_path / "build" / "cache").rglob("*.json"))
    assert main(["history", "--history", str(history), "--cache", str(history / ".c")]) == 2
    assert "outside the history" in capsys.readouterr().err


def test_the_default_history_cache_is_not_in_the_default_history() -> None:
    import bench.__main__ as cli

    assert not cli.DEFAULT_HISTORY_CACHE.is_relative_to(cli.DEFAULT_HISTORY)


# --- only what the suite writes, with the permissions it gives (issue 25, finding 10) ------


def test_only_the_manifest_and_the_files_it_names_enter_the_history(tmp_path: Path) -> None:
    run = _run(tmp_path)
    named = sorted(p.name for p in FIXTURE_RUN.glob("*.json"))
    (run / "notes.txt").write_bytes(b"x" * 3_000_000)  # any name, any size
    (run / "extra.json").write_text(json.dumps({"not": "named"}), encoding="utf-8")
    (run / "cpython-3.11.7.json.orig").write_text("{}", encoding="utf-8")
    (run / "sub").mkdir()
    (run / "sub" / "deep.json").write_text("{}", encoding="utf-8")
    done = record(run, tmp_path / "history")
    assert sorted(done.files) == named
    assert sorted(p.name for p in done.path.iterdir()) == named
    assert {"notes.txt", "extra.json", "cpython-3.11.7.json.orig", "sub/"} <= set(done.skipped)


@pytest.mark.skipif(os.name != "posix", reason="POSIX modes and links")
@pytest.mark.parametrize("source_mode", [0o600, 0o640, 0o755, 0o4755])
def test_a_copy_never_keeps_nor_widens_its_source_permissions(
    tmp_path: Path, source_mode: int
) -> None:
    run = _run(tmp_path)
    suite = run / "cpython-3.11.7.json"
    suite.chmod(source_mode)
    history = tmp_path / "history"
    old_umask = os.umask(0o077)  # a copy's mode must not depend on the recorder's umask
    try:
        if source_mode & 0o444 != 0o444:  # not readable by all: a copy would widen that
            with pytest.raises(ResultsError, match="not readable by all") as caught:
                record(run, history)
            assert caught.value.path == suite
            assert not (history / "fixture-machine").exists()
            return
        done = record(run, history)
    finally:
        os.umask(old_umask)
    modes = {p.name: stat.S_IMODE(p.stat().st_mode) for p in done.path.iterdir()}
    assert set(modes.values()) == {0o644}, modes


@pytest.mark.skipif(os.name != "posix", reason="POSIX links")
def test_a_hard_link_to_another_file_is_refused(tmp_path: Path) -> None:
    run = _run(tmp_path)
    secret = tmp_path / "secret.json"
    os.link(run / "cpython-3.11.7.json", secret)  # the same file, reachable from elsewhere
    with pytest.raises(ResultsError, match="2 links"):
        record(run, tmp_path / "history")
