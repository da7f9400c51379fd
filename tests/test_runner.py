"""The runner: fault handling, timeouts, atomic results, no process left behind."""

from __future__ import annotations

import contextlib
import errno
import io
import json
import os
import signal
import subprocess
import sys
from pathlib import Path

import psutil
import pyperf
import pytest
from helpers_waiting import SOON_S, reaped, settled, wait_until

from bench import exit_codes, interpreters, runner
from bench.__main__ import main
from bench.cases import Case, Profile
from bench.guardian import SCRATCH_PREFIXES
from bench.progress import Progress
from bench.results import layout, schema, write
from bench.results.read import check_file

pytestmark = pytest.mark.slow

PROFILE = Profile("test", "for tests", rounds=1, values=1, warmups=0, timeout_s=60, picks=())


def case(
    workload: str,
    model: str = "threads",
    method: str | None = None,
    workers: int = 2,
    size: int = 0,
    tasks: int = 2,
) -> Case:
    return Case(
        family="test",
        workload=workload,
        size_label="t",
        size=size,
        tasks=tasks,
        model=model,
        workers=workers,
        start_method=method,
        timed="lifecycle" if model in ("threads", "processes") else "tasks",
    )


GOOD = case("count_primes", "sequential", workers=1, size=200, tasks=2)


def survivors(token: str) -> list[psutil.Process]:
    """Processes that still carry the run's token in their environment."""
    found = []
    for proc in psutil.process_iter():
        try:
            if proc.environ().get(runner.RUN_TOKEN_ENV) == token and proc.status() != "zombie":
                found.append(proc)
        except (psutil.Error, OSError):
            continue
    return found


def wait_for_no_survivors(token: str) -> list[psutil.Process]:
    """The run's processes still alive once none is left, or at the hang guard."""
    return settled(lambda: survivors(token))


@pytest.fixture(scope="module")
def python() -> interpreters.Interpreter:
    return interpreters.prepare(interpreters.current(), allow_install=False)


def run(
    tmp_path: Path,
    python: interpreters.Interpreter,
    cases: list[Case],
    timeout_s: float = 60,
    rounds: int = 1,
    profile: Profile = PROFILE,
) -> runner.Outcome:
    settings = runner.Settings(
        profile=profile,
        cases=cases,
        interpreters=[python],
        results=tmp_path,
        machine="test-machine",
        seed=7,
        timeout_s=timeout_s,
        rounds=rounds,
    )
    return runner.run(settings, Progress(0, stream=io.StringIO()))


def test_failure_reason_names_the_benchmarks_exception() -> None:
    tb = "Traceback (most recent call last):\n  File 'x'\n"
    output = (
        f"{tb}BrokenProcessPool: broke\n\n"
        "The above exception was the direct cause of the following exception:\n\n"
        f"{tb}bench.models.base.WorkerDied: worker died\n"
        f"{tb}RuntimeError: python failed with exit code 1\n"
    )
    assert (
        runner.failure_reason(output, 1)
        == "bench.models.base.WorkerDied: worker died (exit code 1)"
    )
    assert runner.failure_reason("", 3) == "exit code 3: no output"


def test_rounds_keep_groups_together_and_shuffle_within() -> None:
    cases = [
        case("count_primes", m, workers=w, size=s)
        for m in ("threads", "thread_pool")
        for w in (1, 2, 4)
        for s in (10, 20)
    ]
    cases = [Case(**{**c.__dict__, "size_label": str(c.size)}) for c in cases]
    plan = runner.order_rounds(cases, rounds=4, seed=1)
    assert len(plan) == 4
    for ordered in plan:
        assert sorted(ordered) == sorted(cases)
        groups = [c.group for c in ordered]
        # each group is one contiguous block
        assert len({g for i, g in enumerate(groups) if i == 0 or groups[i - 1] != g}) == len(
            set(groups)
        )
    assert len({tuple(c.name for c in r) for r in plan}) > 1
    assert runner.order_rounds(cases, 4, seed=1) == plan


def test_faults_are_recorded_and_the_run_goes_on(tmp_path: Path, python) -> None:
    cases = [
        GOOD,
        case("raise_error", "threads"),
        case("raise_error", "process_pool", "fork"),
        case("exit_hard", "processes", "fork", size=5),
        case("exit_hard", "process_pool", "spawn", size=5),
        case("hang", "threads"),
    ]
    outcome = run(tmp_path, python, cases, timeout_s=8)
    assert outcome.exit_code == exit_codes.FAILURES
    reasons = {f["case"]: f["reason"] for f in outcome.failures}
    assert set(reasons) == {c.name for c in cases[1:]}
    assert "DeliberateError" in reasons[cases[1].name]
    assert "DeliberateError" in reasons[cases[2].name]
    assert "WorkerDied" in reasons[cases[3].name] and "exit code 5" in reasons[cases[3].name]
    assert "WorkerDied" in reasons[cases[4].name]
    assert "timed out after 8s" in reasons[cases[5].name]
    # the good case was measured and saved, readable by pyperf
    entry = outcome.manifest.interpreters[0]
    suite = pyperf.BenchmarkSuite.load(str(outcome.run_dir / str(entry.file)))
    assert suite.get_benchmark_names() == [GOOD.name]
    manifest = json.loads((outcome.run_dir / layout.MANIFEST_NAME).read_text())
    assert manifest["status"] == "complete"
    assert len(manifest["interpreters"][0]["failures"]) == 5
    assert not wait_for_no_survivors(manifest["process_token"])
    assert "FAILED" in runner.summary(outcome)


def test_the_run_records_the_articles_example_once_per_interpreter(tmp_path: Path, python) -> None:
    outcome = run(tmp_path, python, [GOOD])
    manifest = json.loads((outcome.run_dir / layout.MANIFEST_NAME).read_text())
    (entry,) = manifest["interpreters"]
    lines = entry["article_output"]
    assert lines[0] == "multiprocessing:" and "threading:" in lines
    assert sorted(line for line in lines if line.startswith("Worker")) == sorted(
        [f"Worker {i}" for i in range(5)] * 2
    )
    check_file(outcome.run_dir / layout.MANIFEST_NAME)  # the reading boundary accepts it


def test_example_lines_are_what_the_manifest_accepts() -> None:
    lines = runner.example_lines("a\tb\r\nc\x1b[31md\u2028e\n" + "x" * 5000 + "\n")
    assert lines == ["a       b", "c\ufffd[31md", "e", "x" * schema.MAX_TEXT]
    assert all(schema.text_problem(line) is None for line in lines)
    assert len(runner.example_lines("y\n" * 1000)) == runner.EXAMPLE_MAX_LINES


def test_a_failed_case_is_not_retried_in_later_rounds(tmp_path: Path, python) -> None:
    outcome = run(tmp_path, python, [GOOD, case("raise_error")], rounds=2)
    assert len(outcome.failures) == 1
    bench = pyperf.BenchmarkSuite.load(str(next(outcome.run_dir.glob("cpython-*.json"))))
    runs = bench.get_benchmark(GOOD.name).get_runs()
    assert sorted(r.get_metadata()["round"] for r in runs) == [1, 2]


def test_unavailable_start_method_is_skipped_and_said(tmp_path: Path, python) -> None:
    no_fork = interpreters.Interpreter(
        python.argv, python.spec, {**python.info, "start_methods": ["spawn"]}
    )
    bad = case("count_primes", "processes", "fork", size=100)
    settings = runner.Settings(
        profile=PROFILE,
        cases=[GOOD, bad],
        interpreters=[no_fork],
        results=tmp_path,
        machine="m",
        seed=1,
    )
    outcome = runner.run(settings, Progress(0, stream=io.StringIO()))
    assert outcome.exit_code == exit_codes.OK
    (skipped,) = outcome.manifest.interpreters[0].skipped
    assert skipped["case"] == bad.name and "'fork' is not available" in skipped["reason"]


DRIVER = """
import sys
from pathlib import Path
from bench import interpreters, runner
from bench.cases import Case, Profile
from bench.progress import Progress
profile = Profile("test", "t", rounds=1, values=1, warmups=0, timeout_s=600, picks=())
good = Case("test", "count_primes", "t", 200, 2, "sequential", 1)
hang = Case("test", "hang", "t", 0, 4, "process_pool", 2, "fork")
# a seed whose round measures the good case first, then hangs
seed = next(s for s in range(100) if runner.order_rounds([good, hang], 1, s)[0][0] == good)
settings = runner.Settings(profile=profile, cases=[good, hang], results=Path(sys.argv[1]),
                           interpreters=[interpreters.current()], machine="m", seed=seed)
outcome = runner.run(settings, Progress(0))
sys.exit(outcome.exit_code)
"""


def start_driver(tmp_path: Path, temp_root: Path) -> subprocess.Popen[str]:
    """The driver run; its scratch folders (and its watchdog's view of them) in ``temp_root``."""
    return subprocess.Popen(
        [sys.executable, "-c", DRIVER, str(tmp_path)],
        text=True,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        env=interpreters.case_environment({"TMPDIR": str(temp_root)}),
    )


def scratch_folders(temp_root: Path) -> list[str]:
    """The run's scratch folders in ``temp_root``."""
    return sorted(p.name for p in temp_root.iterdir() if p.name.startswith(SCRATCH_PREFIXES))


def command(proc: psutil.Process) -> str:
    """``proc``'s command line; empty once it has ended (it may between listing and asking)."""
    try:
        return " ".join(proc.cmdline())
    except psutil.Error:
        return ""


def hanging_pool_is_up(tmp_path: Path) -> dict | None:
    """The manifest, once the good case is saved and the hanging case's pool has both its
    workers (the case's process and its two forked workers are running)."""
    manifests = list(tmp_path.glob("*/*/run.json"))
    if not manifests:
        return None
    with contextlib.suppress(ValueError):  # read while the runner replaces it
        manifest = json.loads(manifests[0].read_text())
        entry = manifest["interpreters"][0]
        hung = [p for p in survivors(manifest["process_token"]) if "case_script" in command(p)]
        if entry["measured"] == 1 and len(hung) >= 3:
            return manifest
    return None


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT, signal.SIGKILL])
def test_a_run_cut_off_keeps_earlier_results_and_leaves_no_process(
    tmp_path: Path, tmp_path_factory: pytest.TempPathFactory, sig
) -> None:
    temp_root = tmp_path_factory.mktemp("temp-root")
    with reaped(start_driver(tmp_path, temp_root)) as driver:
        manifest = wait_until(lambda: hanging_pool_is_up(tmp_path), "the hanging case's pool")
        # both kinds of scratch folder exist, so their absence below means something
        assert {n.rsplit("-", 1)[0] + "-" for n in scratch_folders(temp_root)} == set(
            SCRATCH_PREFIXES
        )
        driver.send_signal(sig)
        # The runner's own end first: no process it leaves to the watchdog holds its output,
        # so its output ends when it does. Then the watchdog's work, each waited for apart.
        output, _ = driver.communicate(timeout=SOON_S)
    assert not settled(lambda: survivors(manifest["process_token"])), output
    # even a SIGKILLed runner leaves no scratch folder: its watchdog deletes them
    assert settled(lambda: scratch_folders(temp_root)) == [], output
    run_dir = next(tmp_path.glob("*/*"))
    suite = pyperf.BenchmarkSuite.load(str(next(run_dir.glob("cpython-*.json"))))
    assert len(suite.get_benchmark_names()) == 1
    assert not [p for p in run_dir.rglob("*") if p.name.endswith(".tmp")]
    final = json.loads((run_dir / layout.MANIFEST_NAME).read_text())
    if sig == signal.SIGKILL:
        assert final["status"] == "running"  # nobody could say otherwise; the data is whole
    else:
        assert driver.returncode == exit_codes.INTERRUPTED, output
        assert final["status"] == "interrupted"
        assert "interrupted" in output


def test_once_cases_are_measured_in_the_first_round_only() -> None:
    once = Case("memory", "live_workers", "idle", 0, 1, "threads", 1, measure="memory", once=True)
    plan = runner.order_rounds([GOOD, once], rounds=3, seed=2)
    assert [once in r for r in plan] == [True, False, False]
    assert all(GOOD in r for r in plan)


def test_key_families_get_more_rounds_than_the_rest() -> None:
    other = Case("ipc", "echo", "64B", 64, 1, "memcpy", 1, measure="ipc")
    profile = Profile("p", "", rounds=5, values=1, warmups=0, timeout_s=1, picks=(),
                             key_families=(GOOD.family,), other_rounds=3)  # fmt: skip
    plan = runner.order_rounds([GOOD, other], 5, seed=2, limit=profile.round_limit)
    assert [GOOD in r for r in plan] == [True] * 5
    assert [other in r for r in plan] == [True, True, True, False, False]


# --- results that cannot be written (issue 15, defect 10) -------------------------------

ONE_CASE = ["--profile", "smoke", "--only", r"^echo\[64B\] memcpy ", "--no-install"]


def test_an_unwritable_results_folder_is_one_line_and_its_own_exit_code(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # Tests run as root, which ignores permissions: a regular file where a folder must
    # be is read-only to everyone.
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder\n", encoding="utf-8")
    code = main(["run", *ONE_CASE, "--results", str(blocker / "results"), "--machine", "m"])
    err = capsys.readouterr().err
    assert code == exit_codes.NOT_WRITTEN
    assert "Traceback" not in err
    (line,) = [ln for ln in err.splitlines() if ln.startswith("error:")]
    assert f"could not write {blocker}" in line and "Not a directory" in line


@contextlib.contextmanager
def full_disk_for_data(path: Path, real=write.atomic_writer):
    """The atomic writer on a disk with room for the small manifest only."""
    if path.name != layout.MANIFEST_NAME:
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
    with real(path) as f:
        yield f


def test_a_full_disk_stops_the_run_with_one_line_naming_the_file(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(write, "atomic_writer", full_disk_for_data)
    code = main(["run", *ONE_CASE, "--results", str(tmp_path), "--machine", "m"])
    err = capsys.readouterr().err
    assert code == exit_codes.NOT_WRITTEN != exit_codes.FAILURES
    assert "Traceback" not in err
    (line,) = [ln for ln in err.splitlines() if ln.startswith("error:")]
    (run_dir,) = tmp_path.glob("m/*")
    assert f"could not write {run_dir}/cpython-" in line
    assert os.strerror(errno.ENOSPC) in line and str(run_dir) in line.split(";")[1]
    # the manifest says the run is not whole, so nothing records it
    manifest = json.loads((run_dir / layout.MANIFEST_NAME).read_text())
    assert manifest["status"] == "failed"


def test_bad_usage_is_argparses_code() -> None:
    with pytest.raises(SystemExit) as stop:
        main(["run", "--no-such-option"])
    assert stop.value.code == exit_codes.USAGE


# --- results written at checkpoints, not after every case --------------------------------


def one_benchmark(name: str, value: float = 0.5) -> pyperf.Benchmark:
    run = pyperf.Run([value], metadata={"name": name}, collect_metadata=False)
    return pyperf.Benchmark([run])


def new_recorder(folder: Path) -> tuple[runner.Recorder, schema.InterpreterEntry]:
    entry = schema.InterpreterEntry("py", "python", ["python"], {})
    manifest = schema.Manifest(
        run_id="r", machine="m", profile="p", rounds=1, values=1, warmups=0, timeout_s=1.0,
        seed=1, git_commit=None, process_token="t", started_utc="", host={}, cases=[],
        interpreters=[entry],
    )  # fmt: skip
    return runner.Recorder(folder, manifest), entry


def test_a_recorder_writes_at_checkpoints_only_what_changed(tmp_path: Path) -> None:
    recorder, entry = new_recorder(tmp_path)
    recorder.add(entry, [one_benchmark("a")], [])
    recorder.add(entry, [one_benchmark("b")], [])
    assert not (tmp_path / "py.json").exists()  # in memory until the checkpoint
    recorder.checkpoint()
    suite = pyperf.BenchmarkSuite.load(str(tmp_path / "py.json"))
    assert suite.get_benchmark_names() == ["a", "b"]
    assert (
        json.loads((tmp_path / layout.MANIFEST_NAME).read_text())["interpreters"][0]["measured"]
        == 2
    )
    # a later round adds runs to a benchmark; only the suite changed, not the outcomes
    written = (tmp_path / "py.json").stat().st_mtime_ns
    recorder.add(entry, [one_benchmark("a", 0.7)], [])
    recorder.checkpoint()
    suite = pyperf.BenchmarkSuite.load(str(tmp_path / "py.json"))
    assert suite.get_benchmark("a").get_values() == (0.5, 0.7)
    assert (tmp_path / "py.json").stat().st_mtime_ns >= written
    assert not (tmp_path / f"py{layout.OUTCOMES_SUFFIX}").exists()
    assert not [p for p in tmp_path.iterdir() if p.name.endswith(".tmp")]


def test_a_recorder_is_due_after_a_minute_without_a_checkpoint(tmp_path: Path) -> None:
    recorder, _ = new_recorder(tmp_path)
    assert not recorder.due(recorder.last_checkpoint + 1)
    assert recorder.due(recorder.last_checkpoint + runner.CHECKPOINT_EVERY_S)


def test_a_run_writes_its_suite_once_per_group_and_keeps_every_result(
    tmp_path: Path, python, monkeypatch: pytest.MonkeyPatch
) -> None:
    written: list[int] = []  # how many benchmarks each write of the suite held
    real_write = write.write_suite

    def counting_write(path: Path, suite: pyperf.BenchmarkSuite) -> None:
        written.append(len(suite))
        real_write(path, suite)

    monkeypatch.setattr(write, "write_suite", counting_write)
    # two groups: count_primes (three cases) and sleep (one), in a shuffled order
    primes = [GOOD, *(case("count_primes", m, size=200) for m in ("threads", "thread_pool"))]
    sleep = case("sleep", "sequential", workers=1, size=1)
    outcome = run(tmp_path, python, [*primes, sleep])
    assert outcome.exit_code == exit_codes.OK, runner.summary(outcome)
    assert written in ([1, 4], [3, 4])  # once per group, not once per case
    entry = outcome.manifest.interpreters[0]
    suite = pyperf.BenchmarkSuite.load(str(outcome.run_dir / str(entry.file)))
    assert sorted(suite.get_benchmark_names()) == sorted(c.name for c in [*primes, sleep])


def test_an_interrupted_group_keeps_the_results_measured_before(
    tmp_path: Path, python, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Ctrl-C in the middle of a group: its cases measured so far are written on the way out."""
    real_step = Progress.step
    steps: list[str] = []

    def step_then_stop(self: Progress, key: str, *args: object) -> None:
        real_step(self, key, *args)  # type: ignore[arg-type]
        steps.append(key)
        if len(steps) == 2:
            raise KeyboardInterrupt

    monkeypatch.setattr(Progress, "step", step_then_stop)
    primes = [GOOD, *(case("count_primes", m, size=200) for m in ("threads", "thread_pool"))]
    outcome = run(tmp_path, python, primes)
    assert outcome.exit_code == exit_codes.INTERRUPTED
    entry = outcome.manifest.interpreters[0]
    suite = pyperf.BenchmarkSuite.load(str(outcome.run_dir / str(entry.file)))
    assert len(suite) == 2 == entry.measured  # the group's first two cases, not the third
    manifest = json.loads((outcome.run_dir / layout.MANIFEST_NAME).read_text())
    assert manifest["status"] == "interrupted" and manifest["interpreters"][0]["measured"] == 2


def test_pyperf_warms_up_only_the_cases_it_calibrates(tmp_path: Path, python) -> None:
    """A batch of tasks warms up inside the case (one task a worker before the clock) and a
    start-up clock after the probe's executor; a microsecond case keeps pyperf's warm-up."""
    batch = GOOD
    small = case("count_primes", "thread_pool", size=50)
    calibrated = Case(**{**small.__dict__, "calibrate": True})
    profile = Profile("warm", "for tests", rounds=1, values=1, warmups=1, timeout_s=60, picks=())
    assert (profile.warmups_for(batch), profile.warmups_for(calibrated)) == (0, 1)
    outcome = run(tmp_path, python, [batch, calibrated], profile=profile)
    assert outcome.exit_code == exit_codes.OK, runner.summary(outcome)
    entry = outcome.manifest.interpreters[0]
    suite = pyperf.BenchmarkSuite.load(str(outcome.run_dir / entry.file))
    warmups = {
        b.get_name().split(" ")[1]: [len(r.warmups) for r in b.get_runs() if r.values]
        for b in suite.get_benchmarks()
    }
    assert warmups == {"sequential": [0], "thread_pool": [1]}
