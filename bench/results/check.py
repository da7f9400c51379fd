"""Checking one results file: its size, its JSON, its kind and version, every value.

This is the boundary every results file crosses, whoever wrote it. Its size is checked
before it is parsed, its JSON before pyperf reads it, every metadata value and every
measured value against ``bench.results.schema``. A file that fails raises a
:class:`ResultsError` naming it (and the benchmark, where one is at fault).
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pyperf

from bench.results import migrate, schema
from bench.results.layout import MANIFEST_NAME, OUTCOMES_SUFFIX, is_identifier
from bench.results.schema import SCHEMA_KEY


class ResultsError(Exception):
    """A results file (or folder) that cannot be read as this project's results.

    ``path`` names the file, ``reason`` says what is wrong with it in one line;
    ``problems`` holds every error when one error stands for several files.
    """

    def __init__(self, path: Path, reason: str, problems: Sequence[ResultsError] = ()) -> None:
        super().__init__(f"{path}: {reason}")
        self.path = path
        self.reason = reason
        self.problems = tuple(problems)

    def __reduce__(self) -> tuple[Any, ...]:  # picklable despite the custom signature
        return (type(self), (self.path, self.reason, self.problems))


def sorted_problems(problems: Iterable[ResultsError]) -> list[ResultsError]:
    return sorted(problems, key=lambda p: (str(p.path), p.reason))


def combined_error(root: Path, problems: list[ResultsError]) -> ResultsError:
    """One error for ``problems``: the only one, or one listing them all (its ``problems``)."""
    if len(problems) == 1:
        return problems[0]
    listing = describe_problems(problems)
    return ResultsError(root, f"{len(problems)} problems:\n{listing}", problems)


def describe_problems(problems: Iterable[ResultsError]) -> str:
    """One line per problem, ``path: reason``, in the given order ("" when none).

    An error standing for several (see :func:`load_results`) gives one line for each.
    """
    lines = []
    for problem in problems:
        if problem.problems:
            lines.append(describe_problems(problem.problems))
        else:
            lines.append(f"{problem.path}: {problem.reason.replace(chr(10), ' ')}")
    return "\n".join(lines)


# -- checks ----------------------------------------------------------------------


def _schema_problem(found: Any) -> str | None:
    """Why files of schema version ``found`` cannot be read, or None: the current version,
    or an older one that ``migrate`` upgrades (only a newer one, or an older one no step
    reaches, is refused)."""
    current = schema.SCHEMA_VERSION
    if type(found) is not int:
        return f"schema version {found!r} is not a version number"
    if found > current:
        return (
            f"schema version {found} is newer than the version {current} "
            "this code reads (update this project)"
        )
    if not migrate.readable(found):
        return (
            f"schema version {found} is older than any version this code can upgrade "
            f"to {current} (re-run the suite to refresh it)"
        )
    return None


def read_json(path: Path) -> Any:
    """The parsed JSON of a results file, or :class:`ResultsError` naming it.

    The size is checked before anything is read; nesting or numbers too large to parse
    are refused here, NaN and infinities where a value is checked (naming its benchmark).
    """
    try:
        size = path.stat().st_size
        limit = schema.max_file_bytes()
        if size > limit:
            raise ResultsError(
                path,
                f"{size / 2**20:.1f} MiB, over the {limit / 2**20:.0f} MiB a results file may "
                f"have (set {schema.MAX_FILE_MB_ENV} to change it)",
            )
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        raise ResultsError(path, "not UTF-8 text, so not a results file") from None
    except OSError as exc:
        raise ResultsError(path, f"cannot be read: {exc.strerror or exc}") from None
    if not text.strip():
        raise ResultsError(path, "empty file")
    # An upper bound (braces in strings count too) on what parsing would build.
    if (containers := text.count("{") + text.count("[")) > schema.MAX_CONTAINERS:
        raise ResultsError(path, too_many(containers, "objects and lists", schema.MAX_CONTAINERS))
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        # Our writers always end a file with its closing brace: a missing one means a cut.
        what = "truncated JSON" if not text.rstrip().endswith(("}", "]")) else "invalid JSON"
        raise ResultsError(path, f"{what}: {exc}") from None
    except RecursionError:
        raise ResultsError(path, "JSON nested too deeply to be a results file") from None
    except ValueError as exc:  # an integer of thousands of digits
        raise ResultsError(path, f"invalid JSON value: {exc}") from None


def too_many(count: int, what: str, limit: int, holder: str = "a results file") -> str:
    return f"holds {count:,} {what}, more than the {limit:,} {holder} may hold"


def _suite_shape_problem(benchmarks: list[Any]) -> str | None:
    """Too many benchmarks, runs or values: judged on the raw JSON, before pyperf builds
    an object for each, so that refusing a huge file costs no more than reading it."""
    if len(benchmarks) > schema.MAX_BENCHMARKS:
        return too_many(len(benchmarks), "benchmarks", schema.MAX_BENCHMARKS)
    values = 0
    for i, benchmark in enumerate(benchmarks):
        runs = benchmark.get("runs") if isinstance(benchmark, dict) else None
        if not isinstance(runs, list):
            return f"benchmark {i} is not an object with a list of runs"
        if len(runs) > schema.MAX_RUNS:
            return f"benchmark {i} {too_many(len(runs), 'runs', schema.MAX_RUNS, 'a benchmark')}"
        values += sum(len(r.get("values") or ()) for r in runs if isinstance(r, dict))
    if values > schema.MAX_VALUES:
        return too_many(values, "values", schema.MAX_VALUES)
    return None


def _check_kind(path: Path, data: Any, kind: str, what: str) -> None:
    if not isinstance(data, dict) or "kind" not in data:
        raise ResultsError(path, f"not {what} of this project (no 'kind'; expected {kind!r})")
    if data["kind"] != kind:
        found = schema.preview(data["kind"])
        raise ResultsError(path, f"not {what}: its kind is {found}, expected {kind!r}")
    if problem := _schema_problem(data.get("schema_version")):
        raise ResultsError(path, problem)


class IndexedSuite(pyperf.BenchmarkSuite):
    """pyperf's suite with its benchmarks indexed by name.

    pyperf finds a benchmark by scanning its list, also to refuse a duplicate name
    while loading, so loading n benchmarks costs O(n^2): a third of the time to read a
    ``standard`` file, which counts when a year of history is read. Same checks, O(n).
    """

    def __init__(self, benchmarks: Any, filename: str | None = None) -> None:
        self._by_name: dict[str, pyperf.Benchmark] = {}
        super().__init__(benchmarks, filename)

    def get_benchmark(self, name: str) -> pyperf.Benchmark:
        try:
            return self._by_name[name]
        except KeyError:
            raise KeyError(f"there is no benchmark called {name!r}") from None

    def add_benchmark(self, benchmark: pyperf.Benchmark) -> None:
        name = benchmark.get_name()
        if name in self._by_name:
            raise ValueError(f"the suite has already a benchmark called {name!r}")
        self._benchmarks.append(benchmark)
        if name:
            self._by_name[name] = benchmark


class _Definitions:
    """Refuses a second benchmark of one file that defines the same measurement."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.seen: dict[tuple[Any, ...], str] = {}

    def add(self, name: str, metadata: dict[str, Any], *extra: Any) -> None:
        key = schema.definition(metadata, *extra)
        if (first := self.seen.get(key)) is not None:
            raise ResultsError(
                self.path,
                f"benchmarks {schema.preview(first)} and {schema.preview(name)} define the "
                "same measurement (the same parameters): one would be counted twice",
            )
        self.seen[key] = name


def _record_problem(
    metadata: dict[str, Any], values: list[Any], unit: Any, metric: Any
) -> str | None:
    if problem := _schema_problem(metadata[SCHEMA_KEY]):
        return problem
    return schema.check_metadata(metadata) or schema.check_values(values, unit, metric)


def _times_problem(metadata: Mapping[str, Any], now: datetime) -> str | None:
    """Whether the run id, start and date a benchmark's metadata gives are plausible."""
    date = metadata.get("date")
    return schema.run_times_problem(
        metadata.get("run_id"), metadata.get("run_started"), now,
        dates=() if date is None else (date,),
    )  # fmt: skip


def _check_suite(path: Path, data: Any, now: datetime) -> pyperf.BenchmarkSuite:
    if not isinstance(data, dict) or not isinstance(data.get("benchmarks"), list):
        found = sorted(map(str, data))[:5] if isinstance(data, dict) else type(data).__name__
        raise ResultsError(path, f"not a pyperf suite (no 'benchmarks' list; found {found})")
    if "kind" in data:  # an outcomes file or manifest under a suite's name
        raise ResultsError(path, f"not a pyperf suite: it is a {schema.preview(data['kind'])} file")
    if problem := _raw_suite_problem(data):
        raise ResultsError(path, problem)
    try:  # pyperf reads the file again: its loader is public, its JSON parser is not
        suite = IndexedSuite.load(str(path))
    except (OSError, ValueError, TypeError, KeyError, AttributeError, RecursionError) as exc:
        raise ResultsError(
            path, f"pyperf cannot read it: {schema.preview(str(exc), 200)}"
        ) from None
    benchmarks = suite.get_benchmarks()
    unmarked = [b.get_name() for b in benchmarks if SCHEMA_KEY not in b.get_metadata()]
    if unmarked:
        raise ResultsError(
            path,
            f"a pyperf suite not written by this project: {len(unmarked)} of "
            f"{len(benchmarks)} benchmark(s) lack {SCHEMA_KEY!r} metadata "
            f"(first: {schema.preview(unmarked[0])})",
        )
    definitions = _Definitions(path)
    for benchmark in benchmarks:
        name = benchmark.get_name()
        metadata = benchmark.get_metadata()
        unit, metric = metadata.get("unit", "second"), metadata.get("metric", "time")
        problem = _schema_problem(metadata[SCHEMA_KEY]) or schema.text_problem(name)
        for run in benchmark.get_runs():
            problem = problem or schema.check_values(list(run.values), unit, metric)
            problem = problem or _times_problem(metadata | run.get_metadata(), now)
            # pyperf's own commands read the warm-ups of a downloaded file: same rules.
            warmups = [value for _loops, value in run.warmups or ()]
            problem = problem or schema.check_values(warmups, unit, metric)
        if problem:
            raise ResultsError(path, f"benchmark {schema.preview(name)}: {problem}")
        definitions.add(name, metadata)
    return suite


def _raw_suite_problem(data: dict[str, Any]) -> str | None:
    """The first problem of a suite's metadata as the file holds it.

    pyperf strips and converts values as it reads them: the boundary judges what was
    sent, not what pyperf made of it.
    """
    if problem := _suite_shape_problem(data["benchmarks"]):
        return problem
    common = data.get("metadata", {})
    if problem := schema.check_metadata(common) if isinstance(common, dict) else "not an object":
        return f"the suite's metadata: {problem}"
    for i, benchmark in enumerate(data["benchmarks"]):
        runs = benchmark["runs"]
        for meta in (benchmark.get("metadata", {}), *(r.get("metadata", {}) for r in runs
                                                     if isinstance(r, dict))):  # fmt: skip
            if problem := schema.check_metadata(meta) if isinstance(meta, dict) else "not a map":
                return f"benchmark {i}: {problem}"
    return None


_RECORD_TYPES = {"benchmark": str, "metric": str, "unit": str, "values": list, "metadata": dict}


def _check_outcomes(path: Path, data: Any, now: datetime) -> dict[str, Any]:
    _check_kind(path, data, schema.OUTCOMES_KIND, "an outcomes file")
    records = data.get("records")
    if not isinstance(records, list):
        raise ResultsError(path, "outcomes file without a 'records' list")
    if len(records) > schema.MAX_RECORDS:
        raise ResultsError(path, too_many(len(records), "records", schema.MAX_RECORDS))
    values = sum(len(r["values"]) for r in records
                 if isinstance(r, dict) and isinstance(r.get("values"), list))  # fmt: skip
    if values > schema.MAX_VALUES:
        raise ResultsError(path, too_many(values, "values", schema.MAX_VALUES))
    for key in ("run_id", "interpreter"):
        if not is_identifier(data.get(key)):
            raise ResultsError(
                path, f"{key!r} is {schema.preview(data.get(key))}, not a plain name"
            )
    if problem := schema.run_times_problem(data["run_id"], None, now):
        raise ResultsError(path, problem)
    definitions = _Definitions(path)
    for i, record in enumerate(records):
        name = record.get("benchmark") if isinstance(record, dict) else None
        label = f"record {i} ({schema.preview(name)})" if name else f"record {i}"
        if not isinstance(record, dict):
            raise ResultsError(path, f"{label} is not an object")
        wrong = [k for k, kind in _RECORD_TYPES.items() if not isinstance(record.get(k), kind)]
        if wrong:
            raise ResultsError(path, f"{label} lacks or mistypes {', '.join(wrong)}")
        metadata = record["metadata"]
        if SCHEMA_KEY not in metadata:
            raise ResultsError(path, f"{label} lacks {SCHEMA_KEY!r} metadata")
        problem = (
            schema.text_problem(record["benchmark"])
            or schema.value_problem(record["metric"], schema.METADATA["metric"])
            or _record_problem(metadata, record["values"], record["unit"], record["metric"])
            or _times_problem(metadata, now)
        )
        if problem:
            raise ResultsError(path, f"{label}: {problem}")
        # An outcomes file holds one record per round: the round is part of what it is.
        round_no = metadata.get("round")
        definitions.add(
            f"{record['benchmark']} {record['metric']} (round {round_no})",
            metadata | {"metric": record["metric"]},
            round_no,
        )
    return data


def _manifest_problem(value: Any, where: str, depth: int = 0) -> str | None:
    """The first string, number or key anywhere in a manifest that the schema refuses."""
    if depth > 8:
        return f"{where} is nested too deeply"
    if isinstance(value, dict):
        items = [(f"{where}.{key}", item) for key, item in value.items()]
        keys = [(f"a key in {where}", key) for key in value]
    elif isinstance(value, list):
        items, keys = [(f"{where}[{i}]", item) for i, item in enumerate(value)], []
    else:
        problem = schema.value_problem(value, None)
        return f"{where} {problem}" if problem else None
    for at, key in keys:
        if problem := schema.value_problem(key, None):
            return f"{at} {problem}"
    return next(filter(None, (_manifest_problem(item, at, depth + 1) for at, item in items)), None)


def _check_manifest(
    path: Path, data: Any, now: datetime, *, in_its_folder: bool = True
) -> schema.Manifest:
    """The manifest ``data`` as the current version writes it, every field checked, and
    (``in_its_folder``) its run id the name of the folder it sits in."""
    _check_kind(path, data, schema.MANIFEST_KIND, "a run manifest")
    if problem := _manifest_problem(data, "manifest"):
        raise ResultsError(path, problem)
    # The steps of older versions rewrite each interpreter's part: those must be objects.
    if problem := schema.MANIFEST_FIELDS["interpreters"](data.get("interpreters")):
        raise ResultsError(path, f"the manifest's interpreters {problem}")
    upgraded = migrate.upgrade_manifest(data)
    if problem := schema.manifest_problem(upgraded):
        raise ResultsError(path, problem)
    manifest = schema.Manifest.from_json(upgraded)
    if in_its_folder and manifest.run_id != path.parent.name:
        raise ResultsError(
            path, f"names run {manifest.run_id!r}, but sits in the folder {path.parent.name!r}"
        )
    times = schema.run_times_problem(
        manifest.run_id, manifest.started_utc, now, finished=manifest.finished_utc
    )
    if times:
        raise ResultsError(path, f"the manifest's {times}")
    for entry in manifest.interpreters:
        # The runner writes a file before naming it here: a named file that is gone
        # means a run folder copied or cleaned by hand, with data lost.
        for key, name in (("file", entry.file), ("outcomes_file", entry.outcomes_file)):
            if name is None:
                continue
            if not is_identifier(name) or not name.endswith(".json"):
                raise ResultsError(
                    path, f"names {schema.preview(name)} as {entry.label}'s {key}: not a "
                    "file name of this folder"
                )  # fmt: skip
            if not (path.parent / name).is_file():
                raise ResultsError(
                    path, f"names {name!r} as {entry.label}'s {key}, but it is missing"
                )
    return manifest


#: ("manifest", schema.Manifest), ("outcomes", its data) or ("suite", a pyperf suite)
Checked = tuple[str, Any]


def checked(path: Path) -> Checked:
    """What ``path`` holds, checked: its kind (told by its name) and its content.

    ``run.json`` is a manifest, ``*.outcomes.json`` an outcomes file (each with our
    ``kind``), any other ``*.json`` a pyperf suite whose every benchmark carries
    ``bench_schema_version``.
    """
    data = read_json(path)
    now = datetime.now(UTC)  # no time in a file may lie ahead of this machine's clock
    if path.name == MANIFEST_NAME:
        return "manifest", _check_manifest(path, data, now)
    if path.name.endswith(OUTCOMES_SUFFIX):
        return "outcomes", _check_outcomes(path, data, now)
    return "suite", _check_suite(path, data, now)


def read_manifest(path: Path, *, in_its_folder: bool = True) -> schema.Manifest:
    """The run manifest at ``path`` (a ``run.json``), checked and upgraded from its schema
    version to the current one: the one way a manifest is read. Raises
    :class:`ResultsError` naming the file. ``in_its_folder=False`` reads a manifest whose
    folder is named otherwise than its run (to say so in other words: ``history --check``)."""
    if path.name != MANIFEST_NAME:
        raise ResultsError(path, f"not a run manifest (those are named {MANIFEST_NAME})")
    return _check_manifest(path, read_json(path), datetime.now(UTC), in_its_folder=in_its_folder)


def check_file(path: Path) -> None:
    """Raise :class:`ResultsError` naming ``path`` unless it is a readable results file.

    What a file must be is told by its name: ``run.json`` a manifest,
    ``*.outcomes.json`` an outcomes file (each with our ``kind``), any other
    ``*.json`` a pyperf suite whose every benchmark carries ``bench_schema_version``.
    Every schema version other than ``bench.results.schema.SCHEMA_VERSION`` is refused,
    and so is every value ``bench.results.schema`` refuses.
    """
    checked(path)
