"""Command line: ``python -m bench list | run | validate | report | record | history``."""

from __future__ import annotations

import argparse
import math
import os
import re
import sys
from pathlib import Path
from typing import NoReturn, TypeAlias

from bench import exit_codes, interpreters
from bench.cases import Case, select, usable_cores
from bench.environment import LOCAL_RESULTS, PROJECT_ROOT
from bench.families import catalogue

DEFAULT_RESULTS = LOCAL_RESULTS
DEFAULT_HISTORY = PROJECT_ROOT / "history"
#: Outside every history folder (never committed with one), beside the site's cache.
DEFAULT_HISTORY_CACHE = PROJECT_ROOT / "build" / "site-cache" / "cli-history"
#: What --dask-scheduler takes: the suite connects over plain TCP only (TLS needs keys).
SCHEDULER_ADDRESS = re.compile(r"tcp://(?:\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9.-]+):\d{1,5}")


class UsageError(Exception):
    """A bad value on the command line or in the environment: one line, exit 2."""


def _regex(value: str, option: str) -> str:
    try:
        re.compile(value)
    except re.error as exc:
        raise UsageError(f"{option} {value!r} is not a regular expression: {exc}") from None
    return value


def _cores(asked: int | None, *, at_most_usable: bool) -> tuple[int, str]:
    """The cores to plan for, and why: ``--cores`` where given (for ``run``, at most the
    cores this process may use), else the usable cores (``cases.usable_cores``)."""
    usable = usable_cores()
    found = f"the cores this process may use ({usable} of {os.cpu_count() or usable} logical)"
    if asked is None:
        return usable, found
    if at_most_usable and asked > usable:
        raise UsageError(f"--cores {asked}: this process may use {usable} core(s) ({found})")
    return asked, f"--cores {asked}"


def _cases(profile: str, only: str | None, cores: int) -> list[Case]:
    # The capacity probes go with whatever work is selected (see bench.capacity).
    return catalogue.with_probes(select(catalogue.PROFILES[profile].cases(cores), only), cores)


def cmd_list(args: argparse.Namespace) -> int:
    profile = catalogue.PROFILES[args.profile]
    cores, why = _cores(args.cores, at_most_usable=False)
    cases = _cases(args.profile, _regex(args.only, "--only") if args.only else None, cores)
    print(f"profile {profile.name}: {profile.description}")
    print(
        f"  {profile.rounds} round(s) x {profile.values} value(s), {profile.warmups} warmup(s), "
        f"timeout {profile.timeout_s:g}s per case"
    )
    plan = profile.plan(cores, why)
    print(f"  planned for {cores} core(s): {why}")
    for name, counts in plan["relative_counts"].items():
        print(f"    {name}: {', '.join(map(str, counts))}")
    width = max((len(c.name) for c in cases), default=10)
    print(f"\n{'case':<{width}}  {'family':<12} {'tasks':>5}  timed")
    for case in cases:
        print(f"{case.name:<{width}}  {case.family:<12} {case.tasks:>5}  {case.timed}")
    print(f"\n{len(cases)} case(s)")
    print("\nleft out on purpose:")
    for (where, what), why in catalogue.EXCLUDED.items():
        print(f"  {where} x {what}: {why}")
    return 0


def _use_dask_scheduler(address: str) -> dict[str, object]:
    """Point the Dask cases at the user's cluster (through the environment the cases
    inherit) and return its facts for the manifest; raises if no scheduler answers."""
    import os

    from bench.models.dask_cluster import SCHEDULER_ENV, describe_scheduler

    if not SCHEDULER_ADDRESS.fullmatch(address) or not 0 < int(address.rsplit(":", 1)[1]) < 65536:
        raise UsageError(f"--dask-scheduler {address!r} is not an address tcp://HOST:PORT")
    try:
        facts: dict[str, object] = {"scheduler": address, **describe_scheduler(address)}
    except (ImportError, RuntimeError, OSError, ValueError, TypeError) as exc:
        raise UsageError(f"--dask-scheduler {address!r}: {exc}") from None
    os.environ[SCHEDULER_ENV] = address
    print(
        f"Dask cluster at {address}: {facts['dask_workers']} worker(s), "
        f"{facts['dask_threads']} thread(s) on {facts['dask_hosts']}",
        file=sys.stderr,
    )
    return facts


def _machine(name: str | None) -> str | None:
    """``--machine`` as the results tree will hold it: a name the boundary accepts."""
    from bench.results.layout import is_identifier

    if name is not None and not is_identifier(name):
        raise UsageError(
            f"--machine {name!r} is not a plain name: letters, digits and ._+- (at most 128, "
            "starting with a letter or digit), as validate and record will want it"
        )
    return name


def _interpreter(spec: str) -> interpreters.Interpreter:
    try:
        return interpreters.parse(spec)
    except ValueError as exc:  # shlex: an unterminated quote
        raise UsageError(f"--python {spec!r} cannot be split like a shell line: {exc}") from None


def cmd_run(args: argparse.Namespace) -> int:
    from bench import runner
    from bench.progress import Progress

    machine = _machine(args.machine)
    cores, why = _cores(args.cores, at_most_usable=True)
    cases = _cases(args.profile, _regex(args.only, "--only") if args.only else None, cores)
    if not cases:
        print(f"error: no case of profile {args.profile!r} matches {args.only!r}", file=sys.stderr)
        return exit_codes.USAGE
    dask_cluster = _use_dask_scheduler(args.dask_scheduler) if args.dask_scheduler else None
    try:
        specs = [_interpreter(s) for s in args.python] or [interpreters.current()]
        prepared = []
        for spec in specs:
            print(f"preparing {spec.spec} ...", file=sys.stderr)
            prepared.append(interpreters.prepare(spec, allow_install=not args.no_install))
    except interpreters.InterpreterError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return exit_codes.USAGE
    settings = runner.Settings(
        profile=catalogue.PROFILES[args.profile],
        cases=cases,
        interpreters=prepared,
        results=Path(args.results),
        seed=args.seed,
        rounds=args.rounds,
        timeout_s=args.timeout,
        dask_cluster=dask_cluster,
        plan=catalogue.PROFILES[args.profile].plan(cores, why),
        **({"machine": machine} if machine else {}),
    )
    try:
        outcome = runner.run(settings, Progress(0))
    except runner.ResultsNotWritten as exc:
        # One line naming the file, not a traceback: a full disk or a read-only folder.
        print(f"error: {exc}", file=sys.stderr)
        return exit_codes.NOT_WRITTEN
    print(runner.summary(outcome), file=sys.stderr)
    return outcome.exit_code


def cmd_validate(args: argparse.Namespace) -> int:
    from bench.results.read import describe_problems, results_files, validate_tree

    root = Path(args.dir)
    if not root.is_dir():
        print(f"error: {root}: no such folder", file=sys.stderr)
        return exit_codes.USAGE
    problems = validate_tree(root)
    if problems:
        print(describe_problems(problems), file=sys.stderr)
        print(f"{len(problems)} problem(s) under {root}", file=sys.stderr)
        return exit_codes.FAILURES
    found = len(results_files(root))
    if not found:  # nothing to vouch for: an empty folder is not a valid run
        print(f"error: {root}: no results files in this folder", file=sys.stderr)
        return exit_codes.FAILURES
    print(f"{found} results file(s) under {root}: all valid")
    return exit_codes.OK


def cmd_report(args: argparse.Namespace) -> int:
    import time

    from bench.evidence.build import build_report
    from bench.results.read import ResultsError

    start = time.perf_counter()
    _folder(args.results, "--results")
    try:
        report = build_report(Path(args.results), Path(args.out))
    except ResultsError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return exit_codes.FAILURES
    except OSError as exc:
        return _not_written(exc)
    holds = report.verdicts["verdict"].value_counts().to_dict() if report.rows else {}
    print(
        f"report: {report.out / 'index.md'} ({report.rows} values, {report.runs} run(s), "
        f"{len(report.figures)} figure(s), verdicts {holds}) in {time.perf_counter() - start:.1f}s"
    )
    for why in report.skipped:  # what these results could not make, and why
        print(f"  not made: {why.line}")
    return 0


def cmd_record(args: argparse.Namespace) -> int:
    from bench.history.record import record
    from bench.results.read import ResultsError

    _folder(args.run_dir, "RUN_DIR")
    try:
        done = record(Path(args.run_dir), Path(args.history))
    except ResultsError as exc:
        print(f"error: not recorded: {exc}", file=sys.stderr)
        return exit_codes.FAILURES
    except OSError as exc:  # the run was sound; writing its copy failed
        return _not_written(exc)
    for folder in done.cleaned:
        print(f"removed {folder}: the staging folder of a killed record", file=sys.stderr)
    what = "recorded" if done.created else "already recorded (identical), nothing written:"
    print(f"{what} {done.path} ({len(done.files)} file(s))")
    return exit_codes.OK


def _folder(value: str, what: str) -> Path:
    if not Path(value).is_dir():
        raise UsageError(f"{what} {value!r}: no such folder")
    return Path(value)


def _not_written(exc: OSError) -> int:
    """One line naming the file that could not be written (a full disk, a read-only folder)."""
    where = f"{exc.filename}: " if exc.filename else ""
    print(f"error: could not write {where}{exc.strerror or exc}", file=sys.stderr)
    return exit_codes.NOT_WRITTEN


def cmd_history_check(history: Path) -> int:
    """``bench history --check``: what a killed or mistaken record left in the history."""
    from bench.history.record import check_history
    from bench.results.read import describe_problems

    problems = check_history(history)
    if problems:
        print(describe_problems(problems), file=sys.stderr)
        print(f"{len(problems)} problem(s) in {history}", file=sys.stderr)
        return exit_codes.FAILURES
    print(f"{history}: no staging leftovers, empty machine folders or misnamed runs")
    return exit_codes.OK


def cmd_history(args: argparse.Namespace) -> int:
    from bench.history.cache import load_site_data
    from bench.history.regress import detect_changes
    from bench.history.trends import changes_table
    from bench.results.read import ResultsError

    history = _folder(args.history, "--history")
    if args.check:
        return cmd_history_check(history)
    cache = Path(args.cache) if args.cache else DEFAULT_HISTORY_CACHE
    if cache.resolve().is_relative_to(history.resolve()):
        # It would be copied, committed or pushed with the history (the history branch).
        print(f"error: the cache {cache} must lie outside the history {history}", file=sys.stderr)
        return exit_codes.USAGE
    try:
        data = load_site_data(history, cache)
    except ResultsError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return exit_codes.FAILURES
    except OSError as exc:  # its cache could not be written
        return _not_written(exc)
    changes = detect_changes(data.summaries, window=args.window, alpha=args.alpha)
    print(changes_table(changes, significant_only=not args.all), end="")
    runs = data.summaries[["machine", "interpreter", "run_id"]].drop_duplicates()
    series = len(runs[["machine", "interpreter"]].drop_duplicates())
    flagged = int(changes["significant"].sum()) if not changes.empty else 0
    print(
        f"\n{len(runs)} run(s) (per interpreter) of {series} series; "
        f"{data.parsed} file(s) parsed, {data.cached} from the cache; "
        f"{flagged} significant change(s)"
    )
    return exit_codes.OK


class _Parser(argparse.ArgumentParser):
    """argparse with its errors on one line (``-h`` shows the usage), exit 2."""

    def error(self, message: str) -> NoReturn:
        self.exit(exit_codes.USAGE, f"{self.prog}: error: {message}\n")


def _count(text: str) -> int:
    """A whole number, 1 or more (rounds, a window of runs)."""
    if not text.strip().isdigit() or int(text) < 1:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number of 1 or more")
    return int(text)


def _seconds(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        value = math.nan
    if not math.isfinite(value) or value <= 0:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number of seconds above 0")
    return value


def _level(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        value = math.nan
    if not 0 < value < 1:
        raise argparse.ArgumentTypeError(f"{text!r} is not a significance level between 0 and 1")
    return value


#: What ``add_subparsers`` gives: each command adds its parser to it.
Subcommands: TypeAlias = "argparse._SubParsersAction[_Parser]"


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="python -m bench", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    for add_command in (_add_list, _add_run, _add_validate, _add_report, _add_record, _add_history):
        add_command(sub)
    return parser


def _add_selection(p: argparse.ArgumentParser) -> None:
    """--profile and --only: which cases."""
    p.add_argument("--profile", choices=sorted(catalogue.PROFILES), default="quick")
    p.add_argument("--only", metavar="REGEX", help="only the cases whose name matches")
    p.add_argument(
        "--cores",
        type=_count,
        metavar="N",
        help="plan worker counts and batches for N usable cores (default: the cores this "
        "process may use; run takes at most those)",
    )


def _add_history_option(p: argparse.ArgumentParser) -> None:
    """--history: the history folder."""
    p.add_argument(
        "--history",
        default=str(DEFAULT_HISTORY),
        metavar="DIR",
        help="history folder (default: %(default)s)",
    )


def _add_list(sub: Subcommands) -> None:
    """``list``: the matrix of a profile."""
    p_list = sub.add_parser("list", help="print the matrix of a profile")
    _add_selection(p_list)
    p_list.set_defaults(func=cmd_list)


def _add_run(sub: Subcommands) -> None:
    """``run``: the suite under pyperf, its interpreters and its overrides."""
    p_run = sub.add_parser("run", help="run the suite under pyperf")
    _add_selection(p_run)
    p_run.add_argument(
        "--python",
        action="append",
        default=[],
        metavar="INTERP",
        help='an interpreter and its options, e.g. "/opt/py313t/bin/python3.13t '
        '-X gil=1"; repeat for several (default: this one)',
    )
    p_run.add_argument(
        "--results",
        default=str(DEFAULT_RESULTS),
        metavar="DIR",
        help="results folder (default: %(default)s)",
    )
    p_run.add_argument(
        "--machine",
        help="name of this machine in the results tree "
        "(default: OS, architecture, cores and CPU model)",
    )
    p_run.add_argument("--rounds", type=_count, help="override the profile's number of rounds")
    p_run.add_argument(
        "--timeout",
        type=_seconds,
        metavar="SECONDS",
        help="override the profile's timeout per case",
    )
    p_run.add_argument("--seed", type=int, help="seed of the round order (default: random)")
    p_run.add_argument(
        "--dask-scheduler",
        metavar="tcp://HOST:PORT",
        help="run the dask_cluster cases on this running Dask cluster instead of starting "
        "one on loopback; its workers, threads and hosts are recorded",
    )
    p_run.add_argument(
        "--no-install",
        action="store_true",
        help="never make a venv for an interpreter that lacks pyperf or psutil",
    )
    p_run.set_defaults(func=cmd_run)


def _add_validate(sub: Subcommands) -> None:
    """``validate``: a results folder checked."""
    p_validate = sub.add_parser("validate", help="check every results file under a folder")
    p_validate.add_argument("dir", metavar="DIR", help="a results folder (or one run folder)")
    p_validate.set_defaults(func=cmd_validate)


def _add_report(sub: Subcommands) -> None:
    """``report``: the evidence of a results folder."""
    p_report = sub.add_parser("report", help="tidy CSV, figures, tables and verdicts in a folder")
    p_report.add_argument(
        "--results",
        default=str(DEFAULT_RESULTS),
        metavar="DIR",
        help="results folder (default: %(default)s)",
    )
    p_report.add_argument(
        "--out",
        default=str(PROJECT_ROOT / "report"),
        metavar="DIR",
        help="output folder (default: %(default)s)",
    )
    p_report.set_defaults(func=cmd_report)


def _add_record(sub: Subcommands) -> None:
    """``record``: a finished run copied into the history."""
    p_record = sub.add_parser("record", help="copy a finished run into the history (append-only)")
    p_record.add_argument("run_dir", metavar="RUN_DIR", help="a run folder <machine>/<run_id>")
    _add_history_option(p_record)
    p_record.set_defaults(func=cmd_record)


def _add_history(sub: Subcommands) -> None:
    """``history``: what changed in the newest runs."""
    p_history = sub.add_parser("history", help="what changed in the newest runs of the history")
    _add_history_option(p_history)
    p_history.add_argument(
        "--cache",
        metavar="DIR",
        default=None,
        help=f"parse cache, outside the history (default: {DEFAULT_HISTORY_CACHE})",
    )
    p_history.add_argument(
        "--check",
        action="store_true",
        help="only list staging folders of killed records, empty machine folders and runs "
        "whose folder names disagree with their manifest (exit 1 if any)",
    )
    p_history.add_argument("--window", type=_count, default=10, help="earlier runs compared")
    p_history.add_argument("--alpha", type=_level, default=0.01, help="significance level")
    p_history.add_argument("--all", action="store_true", help="every benchmark, not only changes")
    p_history.set_defaults(func=cmd_history)


def _settings() -> None:
    """The environment's settings, checked before any work (each names itself if bad)."""
    from bench.results.schema import max_file_bytes

    try:
        max_file_bytes()
    except ValueError as exc:
        raise UsageError(str(exc)) from None


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        _settings()
        return int(args.func(args))
    except UsageError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return exit_codes.USAGE
    except BrokenPipeError:  # `bench list | head`: the reader has what it wanted
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return exit_codes.OK


if __name__ == "__main__":
    sys.exit(main())
