"""What a results file may contain: the schema version, the kinds, every metadata key
with its type and role, and the rules a value must obey to pass the reading boundary.

A results file may come from anyone (a contributor's machine, a fork's pull request,
a history branch), so :func:`check_metadata` and :func:`check_values` are the one
place where its values are judged; everything downstream may trust what passed.
Free text is allowed to hold ``<`` or ``*`` (CPU names do): it is escaped where it
becomes Markdown or HTML. It may not hold control characters, which no legitimate
field needs and which can turn one line of generated Markdown into several.
"""

from __future__ import annotations

import hashlib
import json
import math
import os
import re
import sys
from collections.abc import Callable, Mapping
from dataclasses import MISSING, asdict, dataclass, field, fields
from datetime import UTC, datetime, timedelta
from typing import Any, Literal

from bench.results.layout import RUN_START_FORMAT, is_identifier, run_start

#: Version of what we add to pyperf's format (metadata keys, the manifest). Bump on change,
#: with a step in ``bench.results.migrate``.
SCHEMA_VERSION = 2
#: The metadata key that marks a pyperf benchmark as ours, with its schema version.
SCHEMA_KEY = "bench_schema_version"
#: The metadata key of a case's definition hash (see :func:`definition_hash`).
DEFINITION_HASH_KEY = "definition_hash"
MANIFEST_KIND = "threads-or-processes/run"
OUTCOMES_KIND = "threads-or-processes/outcomes"

#: Largest results file read, in MiB (``BENCH_MAX_FILE_MB`` changes it): checked on the
#: file's size before it is parsed, so a huge file costs nothing but a stat. A
#: ``standard`` run writes 1.5 MiB per interpreter; at 16 MiB a site build stays under
#: 700 MB of memory (measured; see docs/methodology.md).
DEFAULT_MAX_FILE_MB = 16
MAX_FILE_MB_ENV = "BENCH_MAX_FILE_MB"
#: What one results file may hold, checked before pyperf reads it or a row is made: the
#: work of reading grows with these, not with the bytes (a 16 MiB file of 8 million
#: values took 7 GB). A ``standard`` file holds about 900 benchmarks of at most 10 runs,
#: 1,800 values and 11,000 objects and lists; ``full`` about 30,000 values.
MAX_CONTAINERS = 500_000  # JSON objects and lists, counted before the file is parsed
MAX_BENCHMARKS = 20_000  # per suite file
MAX_RECORDS = 50_000  # per outcomes file
MAX_RUNS = 1_000  # per benchmark
MAX_VALUES = 100_000  # per file, each a row of the tidy table
#: Longest text value; the longest legitimate one (configure arguments) is under 1,000.
MAX_TEXT = 2000
#: Largest integer accepted anywhere (counts, bytes, seeds): 2**63.
MAX_INT = 2**63
#: Shortest time a value may be: the clocks pyperf reads tick in nanoseconds, and the
#: shortest thing the suite times (64 bytes copied) takes about 100 ns.
MIN_SECONDS = 1e-9

Role = Literal["parameter", "machine", "interpreter", "run", "measurement"]
Kind = Literal["identifier", "text", "int", "number", "bool"]


@dataclass(frozen=True)
class MetaKey:
    """One metadata key: the kind of value it holds and what it describes."""

    kind: Kind
    role: Role
    nonnegative: bool = False


def _keys(role: Role, kind: Kind, names: str, *, nonnegative: bool = False) -> dict[str, MetaKey]:
    return {name: MetaKey(kind, role, nonnegative) for name in names.split()}


#: Every metadata key this project writes or pyperf adds, with its type and role.
#: Keys not listed pass under the generic rule (text, a finite number or a flag).
METADATA: dict[str, MetaKey] = {
    **_keys("parameter", "text", "family workload group size_label size_unit model "
            "start_method timed measure variant metric unit name"),
    **_keys("parameter", "int", "tasks workers payload_bytes chunksize", nonnegative=True),
    **_keys("parameter", "number", "size", nonnegative=True),
    **_keys("parameter", "identifier", DEFINITION_HASH_KEY),
    **_keys("machine", "identifier", "machine"),
    **_keys("machine", "text", "cpu_model_name host_cpu_model hostname platform cpu_config "
            "cpu_freq aslr boot_time worker_cpu_affinity"),
    **_keys("machine", "int", "cpu_count host_logical_cpus worker_cpu_count runnable_threads "
            "physical_cpu_count", nonnegative=True),
    **_keys("machine", "number", "uptime load_avg_1min", nonnegative=True),
    # A Dask cluster's workers, threads and hosts (comma-separated), as its scheduler says.
    **_keys("machine", "int", "dask_workers dask_threads", nonnegative=True),
    **_keys("machine", "text", "dask_hosts"),
    **_keys("interpreter", "identifier", "interpreter"),
    **_keys("interpreter", "text", "python_version python_build python_options "
            "python_implementation python_compiler python_cflags python_config_args "
            "python_executable gil_enabled perf_version timer"),
    # Whether the build used PGO and LTO: "yes", "no" or "unknown" (bench.interpreters)
    **_keys("interpreter", "identifier", "python_pgo python_lto"),
    **_keys("run", "identifier", "run_id"),
    **_keys("run", "text", "profile git_commit run_started date"),
    **_keys("run", "int", "bench_schema_version round rounds seed loops calibrate_loops "
            "inner_loops mem_max_rss worker_processes", nonnegative=True),
    **_keys("run", "number", "duration", nonnegative=True),
    # NumPy cases (bench.families.numpy): the BLAS as the workers saw it, limited to 1 thread
    **_keys("interpreter", "text", "blas_library blas_version"),
    **_keys("machine", "text", "openblas_coretype"),
    **_keys("run", "int", "blas_threads", nonnegative=True),
}  # fmt: skip

#: Metadata read into the tidy table's columns, per benchmark or per run (round, date).
PARAM_KEYS = (
    "run_id", "machine", "profile", "interpreter", "python_version", "python_build",
    "python_options", "python_pgo", "python_lto", "gil_enabled", "family", "workload", "group",
    "size", "size_label", "tasks", "model", "start_method", "workers", "timed", "measure",
    "variant", "payload_bytes", "chunksize", "cpu_count", "physical_cpu_count",
    "cpu_model_name", "round", "date",
    DEFINITION_HASH_KEY, "platform",
)  # fmt: skip

#: What defines a measurement (not when or where it ran): two benchmarks of one file
#: that agree on all of these would be joined as one, so a file may not hold them.
DEFINITION_KEYS = (
    "family", "workload", "group", "size", "size_label", "tasks", "model", "start_method",
    "workers", "timed", "measure", "variant", "payload_bytes", "chunksize", "metric",
)  # fmt: skip
#: What defines a case, whatever it measures: the keys its definition hash covers.
CASE_DEFINITION_KEYS = tuple(key for key in DEFINITION_KEYS if key != "metric")

#: Units whose values are amounts (never negative); counts may be (exit codes are).
NONNEGATIVE_UNITS = frozenset({"second", "byte"})
#: Metrics that are differences of two amounts, so may be negative in any unit: memory
#: per extra worker is a fitted slope, a parent's growth can be a shrink.
DIFFERENCE_METRIC = re.compile(r"extra_\w+|\w+_growth_\w+")
VALUE_KINDS: dict[str, type | tuple[type, ...]] = {
    "second": (int, float), "byte": (int, float), "count": (int, float),
    "ratio": (int, float), "flag": bool, "text": str,
}  # fmt: skip

_KEY_NAME = re.compile(r"[a-z_][a-z0-9_]{0,63}")
# C0 and C1 controls, DEL and the Unicode line and paragraph separators: any of them
# could break a generated line of Markdown into several.
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]")
#: Zero-width and bidirectional formatting characters: invisible, they can hide text or
#: show the page's own words reversed around a value (U+202E), so no field may hold one.
INVISIBLE = re.compile(r"[\u200b-\u200f\u202a-\u202e\u2066-\u2069\ufeff]")


def max_file_bytes() -> int:
    """The largest results file read, from ``BENCH_MAX_FILE_MB`` or the default."""
    raw = os.environ.get(MAX_FILE_MB_ENV, "")
    try:
        mib = float(raw) if raw.strip() else DEFAULT_MAX_FILE_MB
    except ValueError:
        mib = math.nan
    if not 0 < mib < 2**20:  # NaN and infinities too; a TiB is not a results file
        raise ValueError(f"{MAX_FILE_MB_ENV}={raw!r} is not a number of MiB above 0")
    return int(mib * 1024 * 1024)


def text_problem(value: str, limit: int = MAX_TEXT) -> str | None:
    """Why ``value`` is not acceptable free text, or None."""
    if len(value) > limit:
        return f"is {len(value)} characters long (at most {limit})"
    if found := _CONTROL.search(value):
        return f"holds the control character {found.group()!r}"
    if found := INVISIBLE.search(value):
        return f"holds the invisible formatting character U+{ord(found.group()):04X}"
    return None


def _number_problem(value: Any, *, integer: bool, nonnegative: bool) -> str | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return f"is {type(value).__name__} {preview(value)}, not a number"
    if integer and not isinstance(value, int):
        return f"is {value!r}, not an integer"
    if nonnegative and value < 0:
        return f"is {value!r}, but may not be negative"
    return _magnitude_problem(value)


def _magnitude_problem(value: float) -> str | None:
    if isinstance(value, float) and not math.isfinite(value):
        return f"is {value!r}, not a finite number"
    if abs(value) > MAX_INT:
        return "is a number too large to be a measurement"
    if value and abs(value) < sys.float_info.min:  # its reciprocal is infinite
        return f"is {value!r}, a number too close to zero to be a measurement"
    return None


def _generic_problem(value: Any) -> str | None:
    if isinstance(value, str):
        return text_problem(value)
    if value is None or isinstance(value, bool):
        return None
    return _number_problem(value, integer=False, nonnegative=False)


def _kind_problem(value: Any, spec: MetaKey) -> str | None:
    if spec.kind == "identifier":
        return None if is_identifier(value) else f"is {preview(value)}, not a plain name"
    if spec.kind == "bool":
        return None if isinstance(value, bool) else f"is {preview(value)}, not true or false"
    if spec.kind == "text":
        if isinstance(value, str):
            return text_problem(value)
        return f"is {type(value).__name__} {preview(value)}, not text"
    return _number_problem(value, integer=spec.kind == "int", nonnegative=spec.nonnegative)


def value_problem(value: Any, spec: MetaKey | None) -> str | None:
    """Why ``value`` may not stand under a key of ``spec``; None for an unlisted key means
    the generic rule, for what pyperf or a later version adds: text, a finite number, a flag."""
    return _generic_problem(value) if spec is None else _kind_problem(value, spec)


def check_metadata(metadata: Mapping[str, Any]) -> str | None:
    """The first problem of a benchmark's metadata as ``key ...`` in words, or None."""
    for key, value in metadata.items():
        if not isinstance(key, str) or not _KEY_NAME.fullmatch(key):
            return f"metadata key {preview(key)} is not a plain name"
        if key.startswith("param_"):  # a measure's own setting: a number, flag or text
            problem = value_problem(value, None)
        else:
            problem = value_problem(value, METADATA.get(key))
        if problem:
            return f"metadata {key!r} {problem}"
    return None


def _measured_problem(value: float, unit: str, metric: str) -> str | None:
    difference = DIFFERENCE_METRIC.fullmatch(metric)
    signed = unit not in NONNEGATIVE_UNITS or difference
    if problem := _number_problem(value, integer=False, nonnegative=not signed):
        return problem
    if unit == "second" and not difference and value < MIN_SECONDS:
        return f"is {value!r} s, shorter than any clock here can time (1 ns)"
    return None


def check_values(values: list[Any], unit: str, metric: str = "time") -> str | None:
    """The first problem of a benchmark's values of ``metric`` in ``unit``, or None."""
    kinds = VALUE_KINDS.get(unit)
    if kinds is None:
        return f"unit {preview(unit)} is not one of {', '.join(sorted(VALUE_KINDS))}"
    for i, value in enumerate(values):
        if (kinds is not bool and isinstance(value, bool)) or not isinstance(value, kinds):
            return f"value {i} is {type(value).__name__} {preview(value)}, not a {unit} value"
        problem = None  # a flag has none
        if isinstance(value, str):
            problem = text_problem(value)
        elif isinstance(value, int | float) and not isinstance(value, bool):
            problem = _measured_problem(value, unit, metric)
        if problem:
            return f"value {i} {problem}"
    return None


#: How far ahead of the reading machine's clock a time may be: two machines' clocks differ.
CLOCK_SKEW = timedelta(hours=1)
#: pyperf's ``date`` is the measuring machine's local time, UTC-12 to UTC+14.
LOCAL_TIME_SPAN = timedelta(hours=14)
#: The longest a run may take from its start to its last value (``full`` takes hours).
LONGEST_RUN = timedelta(days=3)


def _time(value: Any, *, aware: bool) -> datetime | None:
    """``value`` as a time (ISO 8601; with its UTC offset when ``aware``), or None."""
    try:
        when = datetime.fromisoformat(value) if isinstance(value, str) else None
    except ValueError:
        return None
    if when is None or (when.tzinfo is not None) != aware:
        return None
    return when


def _start_problem(
    run_id: Any, start: datetime | None, started: Any, ahead: datetime
) -> str | None:
    if isinstance(run_id, str) and start is None:
        return (
            f"run id {preview(run_id)} does not spell when the run started "
            f"(<{RUN_START_FORMAT}>-<profile>)"
        )
    if start is not None and start > ahead:
        return f"run id {run_id!r} starts in the future of this machine"
    if started is None:
        return None
    when = _time(started, aware=True)
    if when is None:
        return f"start {preview(started)} is not a time with its UTC offset"
    if start is not None and when.astimezone(UTC).replace(microsecond=0) != start:
        return f"start {started!r} is not the start its run id {run_id!r} spells"
    return f"start {started!r} is in the future of this machine" if when > ahead else None


def _date_problem(date: Any, start: datetime | None, now: datetime) -> str | None:
    when = _time(date, aware=False)
    if when is None:
        return f"date {preview(date)} is not a local time (YYYY-MM-DD HH:MM:SS)"
    if when > now.astimezone(UTC).replace(tzinfo=None) + LOCAL_TIME_SPAN + CLOCK_SKEW:
        return f"date {date!r} is in the future of this machine"
    if start is None:
        return None
    begun = start.replace(tzinfo=None)
    if begun - LOCAL_TIME_SPAN <= when <= begun + LONGEST_RUN + LOCAL_TIME_SPAN:
        return None
    return f"date {date!r} does not fall within its run, started {begun:%Y-%m-%d %H:%M} UTC"


def run_times_problem(
    run_id: Any, started: Any, now: datetime, *, finished: Any = None, dates: tuple[Any, ...] = ()
) -> str | None:
    """Why the times a file gives for its run are not plausible, or None: the run id must
    spell a real start (:func:`bench.results.layout.run_start`), the recorded start
    (``run_started``, ``started_utc``) and end must agree with it and lie in the past of
    ``now``, and pyperf's ``dates`` of its values fall within the run. Only the times
    given are checked; None stands for a time a file does not hold."""
    ahead = now + CLOCK_SKEW
    start = run_start(run_id) if isinstance(run_id, str) else None
    if problem := _start_problem(run_id, start, started, ahead):
        return problem
    if finished is not None:
        end = _time(finished, aware=True)
        if end is None or end > ahead or (start is not None and end < start):
            return f"end {preview(finished)} is not a time between the run's start and now"
    return next(filter(None, (_date_problem(date, start, now) for date in dates)), None)


def definition(metadata: Mapping[str, Any], *extra: Any) -> tuple[Any, ...]:
    """What defines the measurement of a benchmark with this metadata (see DEFINITION_KEYS),
    with ``extra`` values that tell apart records of one definition (a round)."""
    return (*(metadata.get(key) for key in DEFINITION_KEYS), *extra)


def definition_hash(params: Mapping[str, Any], source: str | None) -> str:
    """A short hash of what defines a case: its parameters (:data:`CASE_DEFINITION_KEYS`)
    and the source of the code it runs (None: not known, as in files of version 1).

    History series key on it, so a trend never joins two definitions that share a name.
    """
    defining = {key: params.get(key) for key in CASE_DEFINITION_KEYS}
    blob = json.dumps({"params": defining, "source": source}, sort_keys=True, default=str)
    return hashlib.sha256(blob.encode("utf-8")).hexdigest()[:16]


#: A run's states, as its manifest records them: only a complete run enters the history.
RUNNING, COMPLETE, INTERRUPTED, FAILED = "running", "complete", "interrupted", "failed"


@dataclass
class InterpreterEntry:
    """One interpreter of a run: how it was called, what it measured, failed and skipped."""

    label: str  # names its files: <label>.json, <label>.outcomes.json
    spec: str
    argv: list[str]
    info: dict[str, Any]
    skipped: list[dict[str, str]] = field(default_factory=list)  # {"case", "reason"}
    failures: list[dict[str, Any]] = field(default_factory=list)  # {"case", "round", "reason"}
    file: str | None = None
    outcomes_file: str | None = None
    measured: int = 0
    article_output: list[str] = field(default_factory=list)  # the example's lines, as printed


@dataclass
class Manifest:
    """A run's ``run.json``: what the run was, how far it got, and every interpreter's part."""

    run_id: str
    machine: str
    profile: str
    rounds: int
    values: int
    warmups: int
    timeout_s: float
    seed: int
    git_commit: str | None
    process_token: str
    started_utc: str
    host: dict[str, Any]
    cases: list[dict[str, Any]]
    interpreters: list[InterpreterEntry]
    #: What the cases were planned for: cores and worker counts, and why (absent before).
    plan: dict[str, Any] = field(default_factory=dict)
    finished_utc: str | None = None
    status: str = RUNNING
    kind: str = MANIFEST_KIND
    schema_version: int = SCHEMA_VERSION

    def to_json(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Manifest:
        """The manifest ``data`` describes, which :func:`manifest_problem` has passed
        (``bench.results.read.read_manifest`` checks, upgrades and builds it)."""
        entries = [InterpreterEntry(**entry) for entry in data["interpreters"]]
        return cls(**{**data, "interpreters": entries})


# -- what a manifest's fields hold -------------------------------------------------------

FieldRule = Callable[[Any], str | None]  # why a value may not stand in a field, or None


def _is(kind: type | tuple[type, ...], what: str, *, optional: bool = False) -> FieldRule:
    def rule(value: Any) -> str | None:
        if optional and value is None:
            return None
        fits = isinstance(value, kind) and not isinstance(value, bool)  # no kind takes a flag
        return None if fits else f"is {preview(value)}, not {what}"

    return rule


def _list_of(kind: type, what: str) -> FieldRule:
    def rule(value: Any) -> str | None:
        if isinstance(value, list) and all(isinstance(item, kind) for item in value):
            return None
        return f"is {preview(value)}, not a list of {what}"

    return rule


def _name(value: Any) -> str | None:
    return None if is_identifier(value) else f"is {preview(value)}, not a plain name"


def _count(value: Any) -> str | None:
    return _is(int, "a whole number")(value) or _number_problem(
        value, integer=True, nonnegative=True
    )


def _status(value: Any) -> str | None:
    known = (RUNNING, COMPLETE, INTERRUPTED, FAILED)
    return None if value in known else f"is {preview(value)}, not one of {', '.join(known)}"


def _required(cls: type) -> frozenset[str]:
    """The fields of the dataclass ``cls`` that have no default."""
    no_default = [f for f in fields(cls) if f.default is MISSING and f.default_factory is MISSING]
    return frozenset(f.name for f in no_default)


#: Each field of a manifest (as the current version writes it) and its rule; the fields
#: with a default in :class:`Manifest` may be absent.
MANIFEST_FIELDS: dict[str, FieldRule] = {
    "run_id": _name, "machine": _name, "profile": _is(str, "text"), "rounds": _count,
    "values": _count, "warmups": _count, "timeout_s": _is((int, float), "a number"),
    "seed": _is(int, "a whole number"), "git_commit": _is(str, "text", optional=True),
    "process_token": _is(str, "text"), "started_utc": _is(str, "a time"),
    "host": _is(dict, "an object"), "cases": _list_of(dict, "objects"),
    "interpreters": _list_of(dict, "objects"), "plan": _is(dict, "an object"),
    "finished_utc": _is(str, "a time", optional=True), "status": _status,
    "kind": _is(str, "text"), "schema_version": _count,
}  # fmt: skip
#: Each field of one interpreter's part of a manifest, and its rule.
ENTRY_FIELDS: dict[str, FieldRule] = {
    "label": _name, "spec": _is(str, "text"), "argv": _list_of(str, "texts"),
    "info": _is(dict, "an object"), "skipped": _list_of(dict, "objects"),
    "failures": _list_of(dict, "objects"), "file": _is(str, "a file name", optional=True),
    "outcomes_file": _is(str, "a file name", optional=True), "measured": _count,
    "article_output": _list_of(str, "texts"),
}  # fmt: skip


def _fields_problem(
    data: Mapping[str, Any], rules: dict[str, FieldRule], required: frozenset[str], where: str
) -> str | None:
    """The first field of ``data`` missing, unknown or refused by its rule, in words."""
    if missing := sorted(required - set(data)):
        return f"{where} lacks {', '.join(missing)}"
    for key, value in data.items():
        rule = rules.get(key)
        if rule is None:
            return f"{where} has a field {preview(key)} that no manifest of this version has"
        if problem := rule(value):
            return f"{where}'s {key} {problem}"
    return None


def manifest_problem(data: Mapping[str, Any]) -> str | None:
    """Why ``data`` (upgraded to this version) is not a manifest :class:`Manifest` can
    hold, or None: every field of it and of each interpreter's part, by its rule."""
    if problem := _fields_problem(data, MANIFEST_FIELDS, _required(Manifest), "the manifest"):
        return problem
    for i, entry in enumerate(data["interpreters"]):
        where = f"interpreter {i}"
        if problem := _fields_problem(entry, ENTRY_FIELDS, _required(InterpreterEntry), where):
            return problem
    return None


@dataclass(frozen=True)
class OutcomeRecord:
    """Counts, flags and texts pyperf cannot hold (it stores positive numbers only), one
    benchmark metric of one round, in ``<interpreter>.outcomes.json``."""

    benchmark: str
    metric: str
    unit: str
    values: list[Any]
    metadata: dict[str, Any]

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


def preview(value: Any, limit: int = 100) -> str:
    """``repr(value)``, cut to ``limit`` characters: safe to print in a message."""
    text = repr(value)
    return text if len(text) <= limit else f"{text[:limit]}..."
