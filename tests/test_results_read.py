"""Loading results: every file read into one tidy frame, every bad file named, none skipped.

The fixtures in ``fixtures/bad/`` come from a real quick run (CPython 3.11, three
rounds) trimmed to two timed benchmarks and two outcome metrics; the bad files
are that run's files cut short, relabelled or replaced by foreign JSON.
"""

from __future__ import annotations

import json
import pickle
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

from bench.results.read import (
    COLUMNS,
    ResultsError,
    check_file,
    describe_problems,
    load_results,
    load_run,
    results_files,
    validate_tree,
)

BAD = Path(__file__).parent / "fixtures" / "bad"
VALID = BAD / "valid"
MACHINE = "linux-x86-64-2cpu-amd-epyc"
RUN = "2026-11-25T08-18-49Z-quick"
RUN_DIR = VALID / MACHINE / RUN
SUITE, OUTCOMES, MANIFEST = "cpython-3.11.7.json", "cpython-3.11.7.outcomes.json", "run.json"

PRIMES_SEQ, PRIMES_THREADS = "count_primes[1ms] sequential w=1", "count_primes[1ms] threads w=2"
LOST, RAISED = (
    "counter[200k] threads w=2 racy lost_updates",
    "fault[8 tasks] process_pool/fork w=2 os_exit raised",
)


@pytest.fixture
def results(tmp_path: Path) -> Path:
    """A writable copy of the valid results tree."""
    root = tmp_path / "results"
    shutil.copytree(VALID, root)
    return root


def edit_json(path: Path, change: Callable[[Any], Any]) -> None:
    """Rewrite a JSON file through ``change``, which edits in place or returns a new value."""
    data = json.loads(path.read_text(encoding="utf-8"))
    changed = change(data)
    path.write_text(json.dumps(data if changed is None else changed), encoding="utf-8")


def problem_paths(problems: list[ResultsError]) -> list[Path]:
    return [p.path for p in problems]


# -- the valid run ---------------------------------------------------------------


def test_the_valid_run_loads_with_its_benchmarks_metrics_and_rounds() -> None:
    frame = load_results(VALID)
    assert list(frame.columns) == list(COLUMNS)
    assert len(frame) == 20  # 2 benchmarks x 3 rounds x 2 values + 3 x 2 lost updates + 2 texts
    assert set(frame["benchmark"]) == {PRIMES_SEQ, PRIMES_THREADS, LOST, RAISED}
    metrics = frame.groupby("benchmark")["metric"].unique().map(list).to_dict()
    assert metrics == {
        PRIMES_SEQ: ["time"],
        PRIMES_THREADS: ["time"],
        LOST: ["lost_updates"],
        RAISED: ["raised"],
    }
    rounds = frame.groupby("benchmark")["round"].agg(lambda s: sorted(set(s))).to_dict()
    assert rounds == {
        PRIMES_SEQ: [1, 2, 3],
        PRIMES_THREADS: [1, 2, 3],
        LOST: [1, 2, 3],
        RAISED: [1],
    }
    assert set(frame["machine"]) == {MACHINE} and set(frame["run_id"]) == {RUN}
    assert set(frame["interpreter"]) == {"cpython-3.11.7"}
    lost = frame[(frame["benchmark"] == LOST) & (frame["round"] == 1)]
    assert lost["value"].tolist() == [4157, 200000]
    assert frame.loc[frame["benchmark"] == RAISED, "value"].tolist() == ["BrokenProcessPool"] * 2


def test_time_s_repeats_timings_only() -> None:
    frame = load_results(VALID)
    timed = frame["unit"] == "second"
    assert timed.sum() == 12 and frame["time_s"].dtype == "float64"
    assert frame.loc[timed, "time_s"].tolist() == frame.loc[timed, "value"].tolist()
    assert frame.loc[~timed, "time_s"].isna().all()
    first = frame[frame["benchmark"] == PRIMES_SEQ].iloc[0]
    assert first["time_s"] == pytest.approx(0.0647, abs=1e-4)


def test_the_valid_tree_has_no_problem() -> None:
    assert validate_tree(VALID) == []
    assert results_files(VALID) == [RUN_DIR / SUITE, RUN_DIR / OUTCOMES, RUN_DIR / MANIFEST]


def test_load_run_and_load_results_read_the_same_values() -> None:
    keys = ["benchmark", "run_index", "value_index"]
    by_run = load_run(RUN_DIR).sort_values(keys).reset_index(drop=True)
    by_tree = load_results(VALID).sort_values(keys).reset_index(drop=True)
    pd.testing.assert_frame_equal(by_run, by_tree)


def test_a_run_folder_can_be_given_instead_of_the_results_folder() -> None:
    pd.testing.assert_frame_equal(load_results(RUN_DIR), load_results(VALID))


# -- each bad file ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "reason"),
    [
        ("truncated.json", "truncated JSON"),
        ("manifest/run.json", "truncated JSON"),
        ("old-schema.json", "schema version 0 is older than any version this code can upgrade"),
        ("hello.json", "not a pyperf suite (no 'benchmarks' list; found ['hello'])"),
        ("plain-pyperf.json", "1 of 1 benchmark(s) lack 'bench_schema_version' metadata"),
        ("wrong-kind.outcomes.json", "its kind is 'threads-or-processes/run'"),
    ],
)
def test_each_bad_fixture_gives_its_error_naming_the_file(name: str, reason: str) -> None:
    path = BAD / name
    with pytest.raises(ResultsError) as caught:
        check_file(path)
    assert caught.value.path == path
    assert reason in caught.value.reason
    assert str(caught.value).startswith(f"{path}: ")


def _set_top(key: str, value: Any) -> Callable[[Any], None]:
    return lambda data: data.__setitem__(key, value)


def _set_suite_schema(version: Any) -> Callable[[Any], None]:
    return lambda data: data["metadata"].__setitem__("bench_schema_version", version)


def _drop_record_schema(data: Any) -> None:
    del data["records"][1]["metadata"]["bench_schema_version"]


def _drop_record_values(data: Any) -> None:
    del data["records"][0]["values"]


def _text_in_seconds(data: Any) -> None:
    data["records"][1]["unit"] = "second"


@pytest.mark.parametrize(
    ("name", "change", "reason"),
    [
        (SUITE, _set_suite_schema(3), "schema version 3 is newer than the version 2"),
        (SUITE, _set_suite_schema("1"), "'bench_schema_version' is str '1', not a number"),
        (SUITE, _set_top("kind", "threads-or-processes/outcomes"), "it is a 'threads-or-processes"),
        (SUITE, lambda d: [d], "not a pyperf suite (no 'benchmarks' list; found list)"),
        (OUTCOMES, _set_top("schema_version", 3), "schema version 3 is newer"),
        (OUTCOMES, _set_top("schema_version", 0), "schema version 0 is older"),
        (OUTCOMES, lambda d: {"records": d["records"]}, "not an outcomes file of this project"),
        (OUTCOMES, _drop_record_schema, f"record 1 ({RAISED!r}) lacks 'bench_schema_version'"),
        (OUTCOMES, _drop_record_values, f"record 0 ({LOST!r}) lacks or mistypes values"),
        (OUTCOMES, _text_in_seconds, f"record 1 ({RAISED!r}): value 0 is str 'BrokenProcessPool'"),
        (MANIFEST, _set_top("kind", "threads-or-processes/outcomes"), "not a run manifest"),
        (MANIFEST, _set_top("schema_version", 3), "schema version 3 is newer"),
        (MANIFEST, _set_top("interpreters", None), "interpreters is None, not a list of objects"),
        (
            MANIFEST,
            lambda d: d["interpreters"][0].__setitem__("file", "gone.json"),
            "names 'gone.json' as cpython-3.11.7's file, but it is missing",
        ),
    ],
)
def test_a_changed_file_gives_its_error_naming_the_file(
    results: Path, name: str, change: Callable[[Any], Any], reason: str
) -> None:
    path = results / MACHINE / RUN / name
    edit_json(path, change)
    with pytest.raises(ResultsError) as caught:
        check_file(path)
    assert caught.value.path == path and reason in caught.value.reason
    assert problem_paths(validate_tree(results)) == [path]


def test_an_empty_file_and_a_non_utf8_file_are_named(tmp_path: Path) -> None:
    empty, binary = tmp_path / "empty.json", tmp_path / "binary.json"
    empty.write_text("  \n", encoding="utf-8")
    binary.write_bytes(b"\xff\xfe{}")
    for path, reason in [(empty, "empty file"), (binary, "not UTF-8")]:
        with pytest.raises(ResultsError, match=reason) as caught:
            check_file(path)
        assert caught.value.path == path


# -- whole trees -----------------------------------------------------------------


def test_validate_tree_lists_every_bad_file(results: Path) -> None:
    good = results / MACHINE / RUN
    shutil.copy(BAD / "old-schema.json", good / "cpython-old.json")
    shutil.copy(BAD / "plain-pyperf.json", good / "plain.json")
    broken = results / "other-machine" / "2026-01-01T00-00-00Z-quick"
    broken.mkdir(parents=True)
    shutil.copy(BAD / "truncated.json", broken / SUITE)
    shutil.copy(BAD / "wrong-kind.outcomes.json", broken / OUTCOMES)
    shutil.copy(BAD / "manifest" / "run.json", broken / MANIFEST)
    foreign = results / "other-machine" / "2026-01-02T00-00-00Z-quick"
    foreign.mkdir()
    shutil.copy(BAD / "hello.json", foreign / "hello.json")
    stray = results / "notes.json"
    stray.write_text("{}", encoding="utf-8")

    problems = validate_tree(results)
    expected = [
        good / "cpython-old.json",
        good / "plain.json",
        stray,
        broken / OUTCOMES,
        broken / SUITE,
        broken / MANIFEST,
        foreign / "hello.json",
        foreign / MANIFEST,  # missing
    ]
    assert sorted(problem_paths(problems)) == sorted(expected)
    reasons = {p.path.name: p.reason for p in problems}
    assert "outside the layout" in reasons["notes.json"]
    assert reasons["hello.json"].startswith("not a pyperf suite")

    with pytest.raises(ResultsError) as caught:
        load_results(results)
    assert caught.value.path == results
    assert problem_paths(list(caught.value.problems)) == problem_paths(problems)
    assert all(str(path) in str(caught.value) for path in expected)


def test_one_bad_file_is_raised_as_itself(results: Path) -> None:
    path = results / MACHINE / RUN / "cpython-old.json"
    shutil.copy(BAD / "old-schema.json", path)
    with pytest.raises(ResultsError) as caught:
        load_results(results)
    assert caught.value.path == path and caught.value.problems == ()


def test_an_empty_folder_gives_an_empty_frame_with_every_column(tmp_path: Path) -> None:
    frame = load_results(tmp_path)
    assert frame.empty and list(frame.columns) == list(COLUMNS)
    # ... but validating nothing is no success: a mistyped folder would pass.
    assert [p.reason for p in validate_tree(tmp_path)] == ["no results files in this folder"]


def test_a_missing_folder_is_a_problem(tmp_path: Path) -> None:
    missing = tmp_path / "nowhere"
    assert [(p.path, p.reason) for p in validate_tree(missing)] == [(missing, "no such folder")]
    with pytest.raises(ResultsError, match="no such folder"):
        load_results(missing)


def test_logs_hidden_files_and_notes_are_ignored(results: Path) -> None:
    run = results / MACHINE / RUN
    assert (run / "logs" / "cpython-3.11.7.log").is_file()
    (run / ".cpython-3.11.7.json.k2j3.tmp").write_text('{"half', encoding="utf-8")
    (run / ".ipynb_checkpoints").mkdir()
    (run / ".ipynb_checkpoints" / "x.json").write_text("not json", encoding="utf-8")
    (results / "README.md").write_text("# results\n", encoding="utf-8")
    assert validate_tree(results) == []
    assert len(load_results(results)) == 20


def test_machine_and_run_id_come_from_the_folders_when_metadata_lacks_them(
    results: Path,
) -> None:
    run = results / MACHINE / RUN

    def strip_suite(data: Any) -> None:
        for meta in [data["metadata"], *(b["metadata"] for b in data["benchmarks"])]:
            meta.pop("machine", None)
            meta.pop("run_id", None)

    def strip_outcomes(data: Any) -> None:
        for record in data["records"]:
            del record["metadata"]["machine"], record["metadata"]["run_id"]

    edit_json(run / SUITE, strip_suite)
    edit_json(run / OUTCOMES, strip_outcomes)
    assert load_run(run)["machine"].isna().all()  # really gone from the metadata
    frame = load_results(results)
    assert set(frame["machine"]) == {MACHINE} and set(frame["run_id"]) == {RUN}


@pytest.mark.parametrize("level", ["machine", "run"])
def test_a_folder_renamed_away_from_its_metadata_is_refused(results: Path, level: str) -> None:
    # A renamed copy beside the original would count the same run twice.
    folder = results / MACHINE if level == "machine" else results / MACHINE / RUN
    folder.rename(folder.with_name("renamed"))
    with pytest.raises(ResultsError) as caught:
        load_results(results)
    assert "but its folder is named 'renamed'" in str(caught.value)
    assert len(validate_tree(results)) >= 2  # the suite and the outcomes file, both named


def test_rows_are_sorted_by_machine_run_and_benchmark_whatever_the_file_order(
    tmp_path: Path,
) -> None:
    # Copied in reverse order, with metadata naming each copy's machine.
    def rename(machine: str) -> Callable[[Any], None]:
        def change(data: Any) -> None:
            if "benchmarks" in data:  # a suite: its common metadata
                data["metadata"]["machine"] = machine
            else:
                for record in data["records"]:
                    record["metadata"]["machine"] = machine

        return change

    for machine in ("zz-machine", "aa-machine"):
        run = tmp_path / machine / RUN
        shutil.copytree(RUN_DIR, run)
        edit_json(run / SUITE, rename(machine))
        edit_json(run / OUTCOMES, rename(machine))
    frame = load_results(tmp_path)
    assert frame["machine"].tolist() == ["aa-machine"] * 20 + ["zz-machine"] * 20
    first = frame[frame["machine"] == "aa-machine"]
    assert first["benchmark"].tolist() == sorted(first["benchmark"])
    seq = first[first["benchmark"] == PRIMES_SEQ]
    assert seq["round"].tolist() == [1, 1, 2, 2, 3, 3]
    pd.testing.assert_frame_equal(frame, load_results(tmp_path))


# -- describing problems ---------------------------------------------------------


def test_describe_problems_gives_one_line_per_file() -> None:
    problems = [
        ResultsError(Path("r/m/a/x.json"), "truncated JSON: here"),
        ResultsError(Path("r/m/b/run.json"), "two\nlines"),
    ]
    assert (
        describe_problems(problems)
        == "r/m/a/x.json: truncated JSON: here\nr/m/b/run.json: two lines"
    )
    combined = ResultsError(Path("r"), "2 problems", problems)
    assert describe_problems([combined]) == describe_problems(problems)
    assert describe_problems([]) == ""


def test_a_results_error_survives_pickling() -> None:
    error = ResultsError(Path("a.json"), "bad", [ResultsError(Path("b.json"), "worse")])
    copy = pickle.loads(pickle.dumps(error))
    assert (copy.path, copy.reason, str(copy)) == (error.path, error.reason, str(error))
    assert copy.problems[0].path == Path("b.json")


def test_the_indexed_suite_reads_what_pyperf_reads_and_refuses_duplicates() -> None:
    import pyperf

    from bench.results.check import IndexedSuite

    path = next((Path(__file__).parent / "fixtures" / "results").glob("*/*/cpython-3.11.7.json"))
    ours, theirs = IndexedSuite.load(str(path)), pyperf.BenchmarkSuite.load(str(path))
    assert ours.get_benchmark_names() == theirs.get_benchmark_names()
    name = theirs.get_benchmark_names()[3]
    assert ours.get_benchmark(name).get_values() == theirs.get_benchmark(name).get_values()
    with pytest.raises(KeyError, match="no benchmark called"):
        ours.get_benchmark("no such benchmark")
    with pytest.raises(ValueError, match="already a benchmark called"):
        IndexedSuite([*theirs.get_benchmarks(), theirs.get_benchmarks()[0]])
