"""Runs the matrix under pyperf, for every interpreter, in shuffled rounds.

Each case runs in its own process group (``bench.case_script`` under pyperf),
with a timeout; a case that raises, hangs or loses a worker is recorded as
failed with its reason, and the run goes on. Results are kept in memory and
written at checkpoints (:class:`Recorder`): every file rewritten atomically at the
end of each group of cases, at least once a minute, and when the run stops.

Rounds: every round measures every case once more. Cases are grouped by what
they are compared with (the same workload and size); a round visits the groups
in a shuffled order and, within a group, every interpreter and every case in a
shuffled order, so the baseline and its candidates are measured seconds apart.
The round is recorded with every value, so the report can take ratios within
a round, where this machine's drifting CPU speed cancels out.

Over 400 lines on purpose: one run's life (manifest, rounds, supervision of every
case, atomic results, signals) shares the state of one ``Run``; split, it would be
passed around in pieces.
"""

from __future__ import annotations

import errno
import json
import platform
import random
import signal
import subprocess
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from dataclasses import asdict, dataclass, field
from pathlib import Path
from types import FrameType
from typing import Any

import pyperf

from bench import capacity, environment, exit_codes
from bench.capacity import probe_target
from bench.cases import Case, Profile
from bench.definition import definition_of
from bench.families.io.workload import FILE_DIR_ENV, TCP_ADDRESS_ENV
from bench.interpreters import Interpreter, case_environment, probe
from bench.models.base import SCRATCH_DIR_ENV
from bench.models.dask_cluster import SCHEDULER_ENV as DASK_SCHEDULER_ENV
from bench.processes import Supervisor
from bench.progress import Progress
from bench.results import layout, schema, write
from bench.services import services

#: Marks every process of a run, so a test can prove none outlived it.
RUN_TOKEN_ENV = "BENCH_RUN_TOKEN"
INHERITED_ENV = (TCP_ADDRESS_ENV, FILE_DIR_ENV, RUN_TOKEN_ENV, DASK_SCHEDULER_ENV, SCRATCH_DIR_ENV)
#: The article's example (5 processes, 5 threads) takes well under a second.
EXAMPLE_TIMEOUT_S = 60
EXAMPLE_MAX_LINES = 200
#: Longest stretch of measuring between two checkpoints: what a run killed outright
#: (SIGKILL, power cut) may lose, besides the group it was in.
CHECKPOINT_EVERY_S = 60.0


@dataclass
class Settings:
    profile: Profile
    cases: list[Case]
    interpreters: list[Interpreter]
    results: Path
    machine: str = field(default_factory=environment.machine_id)
    seed: int | None = None
    rounds: int | None = None  # None: the profile's
    timeout_s: float | None = None  # None: the profile's
    #: The user's Dask cluster (--dask-scheduler): its workers, threads, hosts.
    dask_cluster: dict[str, Any] | None = None
    #: What the cases were planned for: the cores and the worker counts chosen, and why
    #: (``bench.cases.Profile.plan``), recorded in the manifest.
    plan: dict[str, Any] = field(default_factory=dict)


@dataclass
class Outcome:
    run_dir: Path
    manifest: schema.Manifest
    exit_code: int
    capacity: dict[str, str] = field(default_factory=dict)  # label -> one line, if probed

    @property
    def failures(self) -> list[dict[str, Any]]:
        return [f for i in self.manifest.interpreters for f in i.failures]


@dataclass
class _Result:
    ok: bool
    seconds: float
    reason: str = ""
    output: str = ""
    benchmarks: list[pyperf.Benchmark] = field(default_factory=list)
    outcomes: list[dict[str, Any]] = field(default_factory=list)


class Interrupted(Exception):
    """The run was stopped by a signal."""


class ResultsNotWritten(Exception):
    """A results file or folder could not be written (disk full, read-only, ...)."""

    def __init__(self, path: Path, error: OSError, run_dir: Path | None = None) -> None:
        # The OS names the file it failed on when it knows it better (the parent of a folder).
        self.path = Path(error.filename) if error.filename else path
        self.error = error
        self.run_dir = run_dir
        reason = error.strerror or errno.errorcode.get(error.errno or 0) or str(error)
        kept = f"; what was written before is in {run_dir}" if run_dir else ""
        super().__init__(f"could not write {self.path}: {reason}{kept}")


@contextmanager
def _writing(path: Path, run_dir: Path | None = None) -> Iterator[None]:
    """Turn an OSError while writing ``path`` into :class:`ResultsNotWritten`."""
    try:
        yield
    except OSError as exc:
        raise ResultsNotWritten(path, exc, run_dir) from exc


@contextmanager
def _signals_interrupt() -> Iterator[None]:
    """Turn SIGTERM and SIGHUP into an exception, like Ctrl-C, so cleanup runs."""

    def handler(signum: int, frame: FrameType | None) -> None:
        raise Interrupted(signal.Signals(signum).name)

    names = [s for s in ("SIGTERM", "SIGHUP") if hasattr(signal, s)]
    previous = {n: signal.signal(getattr(signal, n), handler) for n in names}
    try:
        yield
    finally:
        for n, old in previous.items():
            signal.signal(getattr(signal, n), old)


def skipped_cases(cases: list[Case], info: dict[str, Any]) -> list[dict[str, str]]:
    """The cases an interpreter (as its probe describes it, ``info``) cannot run, each
    once with the first reason: a start method its platform lacks, a model or a workload
    it cannot run."""
    methods = info.get("start_methods") or []
    missing = info.get("unavailable_models") or {}
    lacking = info.get("unavailable_workloads") or {}
    skipped: dict[str, str] = {}
    for case in cases:
        if case.start_method and case.start_method not in methods:
            skipped[case.name] = (
                f"start method {case.start_method!r} is not available here "
                f"(this platform offers {', '.join(methods) or 'none'})"
            )
    for case in cases:
        if case.model in missing:
            skipped.setdefault(case.name, f"{case.model}: {missing[case.model]}")
    for case in cases:
        if case.workload in lacking:
            skipped.setdefault(case.name, f"{case.workload}: {lacking[case.workload]}")
    return [{"case": name, "reason": reason} for name, reason in skipped.items()]


def case_results(out_file: Path, seconds: float, output: str) -> _Result:
    """What a case that exited 0 wrote (pyperf's file and the outcomes file beside it),
    read and removed; a failure when it wrote nothing usable."""
    outcomes_file = Path(f"{out_file}{layout.OUTCOMES_SUFFIX}")
    try:
        benchmarks = (
            pyperf.BenchmarkSuite.load(str(out_file)).get_benchmarks() if out_file.exists() else []
        )
        outcomes = json.loads(outcomes_file.read_text()) if outcomes_file.exists() else []
    except (OSError, ValueError) as exc:
        return _Result(False, seconds, f"the case wrote no usable result: {exc}", output)
    finally:
        out_file.unlink(missing_ok=True)
        outcomes_file.unlink(missing_ok=True)
    if not benchmarks and not outcomes:
        return _Result(False, seconds, "the case exited 0 but wrote no result", output)
    return _Result(True, seconds, output=output, benchmarks=benchmarks, outcomes=outcomes)


def failure_reason(output: str, returncode: int) -> str:
    """The most telling line of a failed case's output: the benchmark's own exception.

    That is the last exception line printed, but for pyperf's manager's own
    "failed with exit code" error that follows a worker's failure. Chained
    exceptions print their cause first, so the last one is the one raised.
    """
    lines = output.splitlines()
    raised = []
    for i, line in enumerate(lines):
        if line.startswith("Traceback (most recent call last)"):
            later = next((ln for ln in lines[i + 1 :] if ln and not ln[0].isspace()), None)
            if later and "failed with exit code" not in later:
                raised.append(later.strip())
    if raised:
        return f"{raised[-1]} (exit code {returncode})"
    tail = [ln.strip() for ln in lines if ln.strip()][-1:] or ["no output"]
    return f"exit code {returncode}: {tail[0]}"


def example_lines(output: str) -> list[str]:
    """``output`` as one string per line, each one the manifest's reader accepts (no
    control character, not too long): the site shows them as a code block."""
    lines = output.splitlines()[:EXAMPLE_MAX_LINES]
    return [
        "".join(c if c.isprintable() else "\ufffd" for c in line.expandtabs())[: schema.MAX_TEXT]
        for line in lines
    ]


def order_rounds(
    cases: list[Case], rounds: int, seed: int, limit: Callable[[str], int | None] | None = None
) -> list[list[Case]]:
    """Per round, the cases grouped by comparison group; groups and members shuffled.

    Cases marked ``once`` (deterministic measurements: memory, faults) are in the
    first round only; they repeat themselves inside that round instead. Capacity
    probes (``bench.capacity.with_probes``) are not shuffled: the round's own opens
    it, and each other one comes right before the group it names. ``limit`` gives a
    family's last round (None: every round), so that the key comparisons get more rounds
    than the rest within one run's time.
    """
    groups: dict[str, list[Case]] = {}
    probes: dict[str, Case] = {}
    for case in cases:
        target = probe_target(case)
        if target is None:
            groups.setdefault(case.group, []).append(case)
        else:
            probes[target] = case
    plan = []
    for r in range(1, rounds + 1):
        rng = random.Random(f"{seed}:{r}")
        names = sorted(groups)
        rng.shuffle(names)
        ordered = [probes[""]] if "" in probes else []
        for name in names:
            members = sorted(
                c for c in groups[name]
                if (r == 1 or not c.once) and r <= ((limit and limit(c.family)) or rounds)
            )  # fmt: skip
            rng.shuffle(members)
            if members and name in probes:
                ordered.append(probes[name])
            ordered.extend(members)
        plan.append(ordered)
    return plan


class Recorder:
    """A run's results: gathered in memory, written at checkpoints.

    Rewriting a growing suite file after every case made writing cost a fifth of a
    standard run (pyperf's indented JSON of the whole suite, each time). A checkpoint
    rewrites, atomically, only the files that changed since the last one, then the
    manifest, so the files on disk always agree with each other and with the manifest.
    """

    def __init__(self, run_dir: Path, manifest: schema.Manifest) -> None:
        self.run_dir = run_dir
        self.manifest = manifest
        self.suites: dict[str, pyperf.BenchmarkSuite] = {}
        self.outcomes: dict[str, list[dict[str, Any]]] = {}
        # label -> benchmark name -> benchmark: pyperf looks names up by a linear scan
        self.benchmarks: dict[str, dict[str, pyperf.Benchmark]] = {}
        self.unwritten: set[str] = set()  # file names changed since the last checkpoint
        self.last_checkpoint = time.monotonic()

    def add(
        self,
        entry: schema.InterpreterEntry,
        benchmarks: list[pyperf.Benchmark],
        outcomes: list[dict[str, Any]],
    ) -> None:
        """Add one case's results to ``entry``'s files, in memory until the next checkpoint."""
        if benchmarks:
            named = self.benchmarks.setdefault(entry.label, {})
            for benchmark in benchmarks:
                name = benchmark.get_name()
                if name in named:
                    named[name].add_runs(benchmark)
                elif entry.label in self.suites:
                    self.suites[entry.label].add_benchmark(benchmark)
                    named[name] = benchmark
                else:
                    self.suites[entry.label] = pyperf.BenchmarkSuite([benchmark])
                    named[name] = benchmark
            entry.file = f"{entry.label}.json"
            self.unwritten.add(entry.file)
        if outcomes:
            self.outcomes.setdefault(entry.label, []).extend(outcomes)
            entry.outcomes_file = f"{entry.label}{layout.OUTCOMES_SUFFIX}"
            self.unwritten.add(entry.outcomes_file)
        entry.measured += 1

    def due(self, now: float | None = None) -> bool:
        """Whether a long group has gone on for :data:`CHECKPOINT_EVERY_S` unwritten."""
        now = time.monotonic() if now is None else now
        return now - self.last_checkpoint >= CHECKPOINT_EVERY_S

    def checkpoint(self) -> None:
        """Write every changed suite and outcomes file, then the manifest, atomically."""
        for entry in self.manifest.interpreters:
            if entry.file in self.unwritten:
                path = self.run_dir / entry.file
                with _writing(path, self.run_dir):
                    write.write_suite(path, self.suites[entry.label])
                self.unwritten.discard(entry.file)
            if entry.outcomes_file in self.unwritten:
                path = self.run_dir / entry.outcomes_file
                with _writing(path, self.run_dir):
                    write.write_outcomes(
                        path, self.run_dir.name, entry.label, self.outcomes[entry.label]
                    )
                self.unwritten.discard(entry.outcomes_file)
        self.save_manifest()
        self.last_checkpoint = time.monotonic()

    def save_manifest(self) -> None:
        path = self.run_dir / layout.MANIFEST_NAME
        with _writing(path, self.run_dir):
            write.write_json(path, self.manifest.to_json())


class Run:
    def __init__(self, settings: Settings) -> None:
        # What the run records about an interpreter comes from asking it, never from a guess.
        settings.interpreters = [i if i.info else probe(i) for i in settings.interpreters]
        self.settings = settings
        self.profile = settings.profile
        self.rounds = settings.rounds or settings.profile.rounds
        # Rounds asked for on the command line are every family's.
        self.round_limit = None if settings.rounds else settings.profile.round_limit
        self.timeout_s = settings.timeout_s or settings.profile.timeout_s
        self.seed = (
            settings.seed if settings.seed is not None else random.SystemRandom().randrange(10**9)
        )
        self.started = layout.utc_now()
        with _writing(settings.results):
            self.run_dir = layout.create_run_dir(
                settings.results, settings.machine, self.profile.name, self.started
            )
        self.token = f"{self.run_dir.name}-{self.seed}"
        self.manifest = self._new_manifest()
        self.recorder = Recorder(self.run_dir, self.manifest)

    @property
    def outcomes(self) -> dict[str, list[dict[str, Any]]]:
        return self.recorder.outcomes

    # -- manifest ---------------------------------------------------------
    def _new_manifest(self) -> schema.Manifest:
        entries = []
        labels: set[str] = set()
        for interp in self.settings.interpreters:
            label = interp.label
            while label in labels:  # two --python giving the same build and options
                label += "-2"
            labels.add(label)
            entries.append(
                schema.InterpreterEntry(
                    label, interp.spec, list(interp.argv), interp.info,
                    skipped=skipped_cases(self.settings.cases, interp.info),
                )
            )  # fmt: skip
        return schema.Manifest(
            run_id=self.run_dir.name,
            machine=self.settings.machine,
            profile=self.profile.name,
            rounds=self.rounds,
            values=self.profile.values,
            warmups=self.profile.warmups,
            timeout_s=self.timeout_s,
            seed=self.seed,
            git_commit=environment.git_commit(),
            process_token=self.token,
            started_utc=self.started.isoformat(),
            host=self._host(),
            cases=[asdict(c) | {"name": c.name} for c in self.settings.cases],
            interpreters=entries,
            plan=self.settings.plan,
        )

    def _host(self) -> dict[str, Any]:
        cluster = self.settings.dask_cluster
        return {
            "cpu_model": environment.cpu_model(),
            "logical_cpus": environment.logical_cpus(),
            "physical_cpus": environment.physical_cpus(),
            "platform": platform.platform(),
            "hostname": platform.node(),
            **({"dask_cluster": cluster} if cluster else {}),
        }

    # -- one case -----------------------------------------------------------
    def _meta(self, entry: schema.InterpreterEntry, round_no: int) -> dict[str, Any]:
        host = self.manifest.host
        return {
            "bench_schema_version": schema.SCHEMA_VERSION,
            "run_id": self.run_dir.name,
            "machine": self.settings.machine,
            "profile": self.profile.name,
            "round": round_no,
            "rounds": self.rounds,
            "seed": self.seed,
            "git_commit": self.manifest.git_commit,
            "interpreter": entry.label,
            "run_started": self.started.isoformat(),
            "host_cpu_model": host["cpu_model"] or "unknown",
            "host_logical_cpus": host["logical_cpus"],
            **({"physical_cpu_count": host["physical_cpus"]} if host.get("physical_cpus") else {}),
        }

    def _run_case(
        self,
        sup: Supervisor,
        interp: Interpreter,
        case: Case,
        meta: dict[str, Any],
        env: dict[str, str],
        scratch: Path,
    ) -> _Result:
        """Run one case in its own process group, within the timeout; read what it wrote."""
        out_file = scratch / f"case-{time.monotonic_ns()}.json"
        start = time.monotonic()
        cmd = self._case_command(interp, case, meta, out_file)
        proc = sup.start(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, env=env)
        try:
            try:
                output, _ = proc.communicate(timeout=self.timeout_s)
            except subprocess.TimeoutExpired:
                sup.stop(proc)
                output, _ = proc.communicate()
                why = f"timed out after {self.timeout_s:g}s; its processes were killed"
                return _Result(False, time.monotonic() - start, why, output)
        finally:
            sup.stop(proc)  # also sweeps what a finished case left behind
        seconds = time.monotonic() - start
        if proc.returncode != 0:
            return _Result(False, seconds, failure_reason(output, proc.returncode), output)
        return case_results(out_file, seconds, output)

    def _case_command(
        self, interp: Interpreter, case: Case, meta: dict[str, Any], out_file: Path
    ) -> list[str]:
        """``bench.case_script`` for ``case`` under ``interp``, with the profile's settings."""
        p = self.profile
        cmd = [
            *interp.argv, "-m", "bench.case_script",
            "--case", case.to_json(), "--meta", json.dumps(meta), "--output", str(out_file),
            # One interpreter start per case and round: this process measures, where
            # pyperf's manager would start a worker (and another to calibrate).
            "--in-process", "--processes", "1",
            "--values", str(p.values), "--warmups", str(p.warmups_for(case)),
            "--min-time", str(p.min_time), "--inherit-environ", ",".join(INHERITED_ENV),
        ]  # fmt: skip
        return cmd if case.calibrate else [*cmd, "--loops", "1"]

    def _record_example(
        self, sup: Supervisor, interp: Interpreter, entry: schema.InterpreterEntry,
        env: dict[str, str], progress: Progress,
    ) -> None:  # fmt: skip
        """Run ``python -m bench.families.article.workload`` and keep what it printed in the
        manifest, so that the site shows real output without running anything itself."""
        cmd = [*interp.argv, "-m", "bench.families.article.workload"]
        proc = sup.start(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, env=env)
        try:
            output, _ = proc.communicate(timeout=EXAMPLE_TIMEOUT_S)
        except subprocess.TimeoutExpired:
            output = None
        finally:
            sup.stop(proc)
        if output is None or proc.returncode != 0:
            why = "timed out" if output is None else f"exited {proc.returncode}"
            progress.say(f"{entry.label}: the article's example {why}; its output is not kept")
            return
        entry.article_output = example_lines(output)

    # -- the whole run ------------------------------------------------------
    def _plan(
        self, pairs: list[tuple[Interpreter, schema.InterpreterEntry]]
    ) -> list[tuple[int, Interpreter, schema.InterpreterEntry, Case]]:
        """Every round's groups in the round's order, each interpreter in turn on a group,
        less the cases an interpreter skips."""
        runnable = {
            e.label: {c.name for c in self.settings.cases} - {s["case"] for s in e.skipped}
            for _, e in pairs
        }
        return [
            (r, interp, entry, case)
            for r, ordered in enumerate(
                order_rounds(self.settings.cases, self.rounds, self.seed, self.round_limit), 1
            )
            for group in groups_in_order(ordered)
            for interp, entry in pairs
            for case in group
            if case.name in runnable[entry.label]
        ]

    def _measure(
        self,
        sup: Supervisor,
        step: tuple[int, Interpreter, schema.InterpreterEntry, Case],
        env: dict[str, str],
        scratch: Path,
    ) -> _Result:
        """One case on one interpreter in one round: run, logged, and its results or its
        failure recorded."""
        r, interp, entry, case = step
        meta = self._meta(entry, r) | {schema.DEFINITION_HASH_KEY: definition_of(case)}
        result = self._run_case(sup, interp, case, meta, env, scratch)
        log_file = self.run_dir / "logs" / f"{entry.label}.log"
        with _writing(log_file, self.run_dir), log_file.open("a") as log:
            log.write(f"\n=== round {r}: {case.name}\n{result.output}")
        if result.ok:
            self.recorder.add(entry, result.benchmarks, result.outcomes)
        else:
            entry.failures.append({"case": case.name, "round": r, "reason": result.reason})
        return result

    def execute(self, progress: Progress) -> int:
        """Every case of the plan, a failed case not again on its interpreter; the exit code."""
        pairs = list(zip(self.settings.interpreters, self.manifest.interpreters, strict=True))
        plan = self._plan(pairs)
        progress.total = len(plan)
        progress.plan([f"{e.label}|{c.name}" for _, _, e, c in plan])
        failed: set[tuple[str, str]] = set()
        self.recorder.save_manifest()
        logs = self.run_dir / "logs"
        with _writing(logs, self.run_dir):
            logs.mkdir(exist_ok=True)
        with (
            Supervisor() as sup,
            services(sup, {RUN_TOKEN_ENV: self.token}) as service_env,
            tempfile.TemporaryDirectory(prefix="bench-out-") as scratch,
        ):
            # Removed as the with-blocks end; the watchdog removes them if the runner is killed.
            sup.remove_at_exit(Path(service_env[FILE_DIR_ENV]))
            sup.remove_at_exit(Path(scratch))
            # A case's own folders (a Dask cluster's) go in the scratch the watchdog knows.
            env = case_environment(
                service_env | {RUN_TOKEN_ENV: self.token, SCRATCH_DIR_ENV: scratch}
            )
            for interp, entry in pairs:
                self._record_example(sup, interp, entry, env, progress)
            self.recorder.save_manifest()
            for i, step in enumerate(plan):
                r, _, entry, case = step
                key = f"{entry.label}|{case.name}"
                label = f"r{r}/{self.rounds} {entry.label}: {case.name}"
                # A group's cases are measured seconds apart: written together when it ends.
                group_ends = i + 1 == len(plan) or _group_key(plan[i + 1]) != _group_key(step)
                if (entry.label, case.name) in failed:
                    progress.step(key, label, 0.0, "skip")
                    if group_ends:
                        self.recorder.checkpoint()
                    continue
                result = self._measure(sup, step, env, Path(scratch))
                if not result.ok:
                    failed.add((entry.label, case.name))
                if group_ends or self.recorder.due():
                    self.recorder.checkpoint()
                progress.step(key, label, result.seconds, "ok" if result.ok else "FAILED")
                if not result.ok:
                    progress.say(f"    {result.reason}")
        return (
            exit_codes.FAILURES
            if any(e.failures for e in self.manifest.interpreters)
            else exit_codes.OK
        )

    def finish(self, status: str) -> None:
        """Write what is still unwritten (unless writing failed already) and the status."""
        self.manifest.finished_utc = layout.utc_now().isoformat()
        self.manifest.status = status
        if status == schema.FAILED:
            self.recorder.save_manifest()
            return
        try:
            self.recorder.checkpoint()
        except ResultsNotWritten:
            # The first error is the one to report; the manifest says "failed" if it can.
            self.manifest.status = schema.FAILED
            with suppress(ResultsNotWritten):
                self.recorder.save_manifest()
            raise


def _group_key(step: tuple[int, Interpreter, schema.InterpreterEntry, Case]) -> tuple[int, str]:
    """The round and group of one step of the plan, as :func:`groups_in_order` cuts them."""
    r, _, _, case = step
    return r, probe_target(case) or case.group


def groups_in_order(ordered: list[Case]) -> list[list[Case]]:
    """``ordered`` cut into its groups; a capacity probe joins the group it precedes, so
    that every interpreter's probe runs right before its own cases of that group."""
    groups: list[list[Case]] = []
    keys: list[str] = []
    for case in ordered:
        key = probe_target(case) or case.group
        if keys and keys[-1] == key:
            groups[-1].append(case)
        else:
            groups.append([case])
            keys.append(key)
    return groups


def run(settings: Settings, progress: Progress | None = None) -> Outcome:
    """Run every case of ``settings`` under every interpreter; never raises for a failed case.

    Raises :class:`ResultsNotWritten` when a results file or folder cannot be written.
    """
    job = Run(settings)
    progress = progress or Progress(0)
    progress.say(
        f"run {job.run_dir} (seed {job.seed}, {job.rounds} round(s), "
        f"{len(settings.cases)} case(s), {len(settings.interpreters)} interpreter(s))"
    )
    status, code = schema.INTERRUPTED, exit_codes.INTERRUPTED
    try:
        with _signals_interrupt():
            code = job.execute(progress)
        status = schema.COMPLETE
    except (KeyboardInterrupt, Interrupted) as exc:
        progress.say(f"interrupted ({exc or 'SIGINT'}): results so far are kept in {job.run_dir}")
    except ResultsNotWritten:
        status = schema.FAILED
        raise
    finally:
        # Once a write has failed the manifest may not be writable either: the first
        # error is the one to report, and the manifest's "running" already says "not whole".
        try:
            job.finish(status)
        except ResultsNotWritten:
            if status != schema.FAILED:
                raise
    probed = {label: capacity.describe(records) for label, records in job.outcomes.items()}
    return Outcome(
        job.run_dir, job.manifest, code, {k: v for k, v in probed.items() if v is not None}
    )


def summary(outcome: Outcome) -> str:
    lines = [f"results: {outcome.run_dir}"]
    for entry in outcome.manifest.interpreters:
        lines.append(
            f"  {entry.label}: {entry.measured} measurement(s), "
            f"{len(entry.failures)} failure(s), {len(entry.skipped)} skipped"
            + (f" -> {entry.file}" if entry.file else "")
        )
        if entry.label in outcome.capacity:
            lines.append(f"    {outcome.capacity[entry.label]}")
        lines.extend(
            f"    FAILED {f['case']} (round {f['round']}): {f['reason']}" for f in entry.failures
        )
        lines.extend(f"    skipped {s['case']}: {s['reason']}" for s in entry.skipped)
    if outcome.manifest.status != schema.COMPLETE:
        lines.append(f"  run {outcome.manifest.status}")
    return "\n".join(lines)


__all__ = [
    "Outcome",
    "ResultsNotWritten",
    "Settings",
    "failure_reason",
    "order_rounds",
    "run",
]
