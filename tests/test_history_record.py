"""Recording into the history: append-only, all or nothing, safe when two run at once."""

from __future__ import annotations

import json
import multiprocessing
import shutil
import threading
from pathlib import Path

import pytest

from bench.__main__ import main
from bench.history.record import record, record_run
from bench.report.load import ResultsError, load_results, validate_tree

FIXTURE_RUN = Path(__file__).parent / "fixtures/results/fixture-machine/2026-11-25T08-30-24Z-smoke"


def _run(tmp_path: Path, name: str = FIXTURE_RUN.name) -> Path:
    """A copy of the fixture run under ``tmp_path/results/fixture-machine/<name>``, with logs."""
    run = tmp_path / "results" / "fixture-machine" / name
    shutil.copytree(FIXTURE_RUN, run)
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
