"""Results files -> one tidy pandas DataFrame: one row per measured value.

Params are columns, read from each benchmark's metadata (never parsed from its
name). Every row names its ``metric`` and ``unit``; ``value`` holds the number,
and ``time_s`` repeats it for timings so that the usual case reads naturally.

Reading is strict: a file that is not this project's results (truncated, foreign,
of another schema version) raises a :class:`ResultsError` naming it, and
:func:`load_results` checks every file of a tree and returns nothing unless all
are sound, so no file is ever skipped silently: a report built from half the data
would look just as plausible as one built from all of it.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

import pandas as pd
import pyperf

from bench import store

#: Metadata copied into columns, per benchmark (common) or per run (round, date).
PARAM_KEYS = (
    "run_id", "machine", "profile", "interpreter", "python_version", "python_build",
    "python_options", "gil_enabled", "family", "workload", "group", "size", "size_label",
    "tasks", "model", "start_method", "workers", "timed", "measure", "variant",
    "payload_bytes", "chunksize", "cpu_count", "cpu_model_name", "round", "date",
)  # fmt: skip

#: The tidy frame's columns, in order: also those of an empty frame.
COLUMNS = (
    *PARAM_KEYS, "benchmark", "metric", "unit", "run_index", "value_index", "value", "time_s",
)  # fmt: skip

#: The metadata key that marks a pyperf benchmark as ours, with its schema version.
SCHEMA_KEY = "bench_schema_version"

#: Row order of :func:`load_results`: by where, then what, then when it was measured.
SORT_KEYS = ["machine", "run_id", "interpreter", "benchmark", "run_index", "value_index"]

#: Path depth of a results file below a results folder: ``<machine>/<run>/<file>.json``.
LAYOUT_DEPTH = 3


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


# -- rows ------------------------------------------------------------------------


def _params(meta: dict[str, Any]) -> dict[str, Any]:
    return {k: meta.get(k) for k in PARAM_KEYS}


def _suite_rows(suite: pyperf.BenchmarkSuite) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = []
    for benchmark in suite.get_benchmarks():
        common = benchmark.get_metadata()
        for run_index, run in enumerate(benchmark.get_runs()):
            meta = {**common, **run.get_metadata()}
            base = _params(meta) | {
                "benchmark": benchmark.get_name(),
                "metric": meta.get("metric", "time"),
                "unit": meta.get("unit", "second"),
                "run_index": run_index,
            }
            rows.extend(base | {"value_index": i, "value": v} for i, v in enumerate(run.values))
    return rows


def _outcome_rows(data: dict[str, Any]) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = []
    for record in data["records"]:
        base = _params(record["metadata"]) | {
            "benchmark": record["benchmark"],
            "metric": record["metric"],
            "unit": record["unit"],
            "run_index": 0,
        }
        rows.extend(base | {"value_index": i, "value": v} for i, v in enumerate(record["values"]))
    return rows


def suite_rows(path: Path) -> list[dict[str, Any]]:
    """One dict per value of every benchmark in a pyperf suite file (not validated)."""
    return _suite_rows(pyperf.BenchmarkSuite.load(str(path)))


def outcome_rows(path: Path) -> list[dict[str, Any]]:
    """One dict per value of every record of an outcomes file (counts, flags, texts; not
    validated)."""
    return _outcome_rows(json.loads(path.read_text(encoding="utf-8")))


def _frame(rows: list[dict[str, Any]]) -> pd.DataFrame:
    """The tidy frame of ``rows``, with every column of :data:`COLUMNS` even when empty."""
    frame = pd.DataFrame(rows, columns=list(COLUMNS))
    # Outcome values mix ints, bools and texts (an object column); timings are floats.
    frame["time_s"] = frame["value"].where(frame["unit"] == "second").astype("float64")
    return frame


# -- checks ----------------------------------------------------------------------


def _schema_problem(found: Any) -> str | None:
    """Why ``found`` is not the schema version this code reads, or None when it is."""
    if type(found) is not int:
        return f"schema version {found!r} is not a version number"
    if found < store.SCHEMA_VERSION:
        return (
            f"schema version {found} is older than the version {store.SCHEMA_VERSION} "
            "this code reads (re-run the suite to refresh it)"
        )
    if found > store.SCHEMA_VERSION:
        return (
            f"schema version {found} is newer than the version {store.SCHEMA_VERSION} "
            "this code reads (update this project)"
        )
    return None


def _read_json(path: Path) -> Any:
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        raise ResultsError(path, "not UTF-8 text, so not a results file") from None
    except OSError as exc:
        raise ResultsError(path, f"cannot be read: {exc.strerror or exc}") from None
    if not text.strip():
        raise ResultsError(path, "empty file")
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        # Our writers always end a file with its closing brace: a missing one means a cut.
        what = "truncated JSON" if not text.rstrip().endswith(("}", "]")) else "invalid JSON"
        raise ResultsError(path, f"{what}: {exc}") from None


def _check_kind(path: Path, data: Any, kind: str, what: str) -> None:
    if not isinstance(data, dict) or "kind" not in data:
        raise ResultsError(path, f"not {what} of this project (no 'kind'; expected {kind!r})")
    if data["kind"] != kind:
        raise ResultsError(path, f"not {what}: its kind is {data['kind']!r}, expected {kind!r}")
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


def _check_suite(path: Path, data: Any) -> pyperf.BenchmarkSuite:
    if not isinstance(data, dict) or not isinstance(data.get("benchmarks"), list):
        found = sorted(data)[:5] if isinstance(data, dict) else type(data).__name__
        raise ResultsError(path, f"not a pyperf suite (no 'benchmarks' list; found {found})")
    if "kind" in data:  # an outcomes file or manifest under a suite's name
        raise ResultsError(path, f"not a pyperf suite: it is a {data['kind']!r} file")
    try:  # pyperf reads the file again: its loader is public, its JSON parser is not
        suite = IndexedSuite.load(str(path))
    except (OSError, ValueError, TypeError, KeyError, AttributeError) as exc:
        raise ResultsError(path, f"pyperf cannot read it: {exc}") from None
    benchmarks = suite.get_benchmarks()
    unmarked = [b.get_name() for b in benchmarks if SCHEMA_KEY not in b.get_metadata()]
    if unmarked:
        raise ResultsError(
            path,
            f"a pyperf suite not written by this project: {len(unmarked)} of "
            f"{len(benchmarks)} benchmark(s) lack {SCHEMA_KEY!r} metadata "
            f"(first: {unmarked[0]!r})",
        )
    for benchmark in benchmarks:
        if problem := _schema_problem(benchmark.get_metadata()[SCHEMA_KEY]):
            raise ResultsError(path, f"{problem}; benchmark {benchmark.get_name()!r}")
    return suite


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


_RECORD_TYPES = {"benchmark": str, "metric": str, "unit": str, "values": list, "metadata": dict}


def _check_outcomes(path: Path, data: Any) -> dict[str, Any]:
    _check_kind(path, data, store.OUTCOMES_KIND, "an outcomes file")
    records = data.get("records")
    if not isinstance(records, list):
        raise ResultsError(path, "outcomes file without a 'records' list")
    for i, record in enumerate(records):
        name = record.get("benchmark") if isinstance(record, dict) else None
        label = f"record {i} ({name!r})" if name else f"record {i}"
        if not isinstance(record, dict):
            raise ResultsError(path, f"{label} is not an object")
        wrong = [k for k, kind in _RECORD_TYPES.items() if not isinstance(record.get(k), kind)]
        if wrong:
            raise ResultsError(path, f"{label} lacks or mistypes {', '.join(wrong)}")
        if SCHEMA_KEY not in record["metadata"]:
            raise ResultsError(path, f"{label} lacks {SCHEMA_KEY!r} metadata")
        if problem := _schema_problem(record["metadata"][SCHEMA_KEY]):
            raise ResultsError(path, f"{problem}; {label}")
        # Timings become the float column time_s: a text or flag there would break it.
        if record["unit"] == "second" and not all(_is_number(v) for v in record["values"]):
            raise ResultsError(path, f"{label} has a value in seconds that is not a number")
    return data


_MANIFEST_TYPES = {"run_id": str, "machine": str, "profile": str, "interpreters": list}


def _check_manifest(path: Path, data: Any) -> dict[str, Any]:
    _check_kind(path, data, store.MANIFEST_KIND, "a run manifest")
    wrong = [k for k, kind in _MANIFEST_TYPES.items() if not isinstance(data.get(k), kind)]
    if wrong:
        raise ResultsError(path, f"manifest lacks or mistypes {', '.join(wrong)}")
    for i, entry in enumerate(data["interpreters"]):
        if not isinstance(entry, dict) or not isinstance(entry.get("label"), str):
            raise ResultsError(path, f"manifest's interpreter {i} has no 'label'")
        # The runner writes a file before naming it here: a named file that is gone
        # means a run folder copied or cleaned by hand, with data lost.
        for key in ("file", "outcomes_file"):
            name = entry.get(key)
            if name is not None and not (path.parent / str(name)).is_file():
                raise ResultsError(
                    path, f"names {name!r} as {entry['label']}'s {key}, but it is missing"
                )
    return data


def _checked_rows(path: Path) -> list[dict[str, Any]]:
    """The rows of one results file, after checking it is ours; a manifest has none."""
    data = _read_json(path)
    if path.name == store.MANIFEST_NAME:
        _check_manifest(path, data)
        return []
    if path.name.endswith(store.OUTCOMES_SUFFIX):
        return _outcome_rows(_check_outcomes(path, data))
    return _suite_rows(_check_suite(path, data))


def check_file(path: Path) -> None:
    """Raise :class:`ResultsError` naming ``path`` unless it is a readable results file.

    What a file must be is told by its name: ``run.json`` a manifest,
    ``*.outcomes.json`` an outcomes file (each with our ``kind``), any other
    ``*.json`` a pyperf suite whose every benchmark carries ``bench_schema_version``.
    Every schema version other than ``bench.store.SCHEMA_VERSION`` is refused.
    """
    _checked_rows(path)


# -- trees -----------------------------------------------------------------------


def _is_ignored(rel: Path) -> bool:
    # Hidden names cover editors' and notebooks' droppings and the atomic writer's
    # temporaries (``.<name>.<random>.tmp``); logs and notes are not JSON.
    return any(part.startswith(".") for part in rel.parts) or rel.suffix != ".json"


def _scan(root: Path) -> tuple[list[Path], list[ResultsError]]:
    """The results files under ``root`` and the problems of its layout."""
    if not root.is_dir():
        return [], [ResultsError(root, "no such folder")]
    # A run folder may be given instead of a results folder: its files sit one level down.
    depth = 1 if (root / store.MANIFEST_NAME).is_file() else LAYOUT_DEPTH
    files: list[Path] = []
    problems: list[ResultsError] = []
    for path in sorted(root.rglob("*")):
        rel = path.relative_to(root)
        if not path.is_file() or _is_ignored(rel):
            continue
        if len(rel.parts) == depth:
            files.append(path)
        else:
            problems.append(
                ResultsError(path, "a JSON file outside the layout <machine>/<run>/<file>.json")
            )
    for run_dir in sorted({f.parent for f in files}):
        if not (run_dir / store.MANIFEST_NAME).is_file():
            problems.append(
                ResultsError(
                    run_dir / store.MANIFEST_NAME, "missing: a run folder must have its manifest"
                )
            )
    return files, problems


def results_files(root: Path) -> list[Path]:
    """The files :func:`load_results` reads under ``root``, sorted (see there for which)."""
    return _scan(root)[0]


def _by_path(problems: Iterable[ResultsError]) -> list[ResultsError]:
    return sorted(problems, key=lambda p: (str(p.path), p.reason))


def validate_tree(root: Path) -> list[ResultsError]:
    """Every problem of the results tree under ``root``, sorted by path; [] when it is sound.

    Never stops at the first bad file; what it checks and ignores is
    :func:`load_results`'s.
    """
    files, problems = _scan(root)
    for path in files:
        try:
            check_file(path)
        except ResultsError as exc:
            problems.append(exc)
    return _by_path(problems)


def _combined(root: Path, problems: list[ResultsError]) -> ResultsError:
    if len(problems) == 1:
        return problems[0]
    listing = describe_problems(problems)
    return ResultsError(root, f"{len(problems)} problems:\n{listing}", problems)


def load_results(root: Path) -> pd.DataFrame:
    """Every results file under a results folder as one tidy frame (see :data:`COLUMNS`).

    ``root`` holds ``<machine>/<run>/`` folders (or is one run folder, recognised by
    its ``run.json``). Read: every ``*.json`` there, all machines, runs and
    interpreters: ``run.json`` (the manifest, checked, no rows), ``*.outcomes.json``
    and the pyperf suites. Ignored: every file not named ``*.json`` (``logs/*.log``,
    notes) and every hidden file or folder (``.*``, which includes the atomic
    writer's ``.<name>.<random>.tmp`` temporaries). A ``*.json`` elsewhere in the
    tree, a run folder without ``run.json`` and any file :func:`check_file` refuses
    raise :class:`ResultsError`: the one problem, or one listing them all (its
    ``problems``). Nothing is skipped.

    ``machine`` and ``run_id`` come from the metadata, or from the folder names
    where it lacks them. Rows are sorted by :data:`SORT_KEYS` (stable), so the
    frame does not depend on the order the file system lists files in. An empty
    folder gives an empty frame with every column.
    """
    files, problems = _scan(root)
    rows: list[dict[str, Any]] = []
    for path in files:
        try:
            file_rows = _checked_rows(path)
        except ResultsError as exc:
            problems.append(exc)
            continue
        folder = {"machine": path.absolute().parent.parent.name, "run_id": path.parent.name}
        rows.extend(row | {k: v for k, v in folder.items() if not row[k]} for row in file_rows)
    if problems:
        raise _combined(root, _by_path(problems))
    frame = _frame(rows)
    # Mixed types (an int round here, a text there) cannot be ordered: compare them as text.
    return frame.sort_values(
        SORT_KEYS, kind="stable", key=lambda s: s.astype(str) if s.dtype == object else s
    ).reset_index(drop=True)


def load_run(run_dir: Path) -> pd.DataFrame:
    """Every suite and outcomes file of one run folder as one tidy frame, in file order.

    Unlike :func:`load_results` it reads a folder without checking its files.
    """
    rows: list[dict[str, Any]] = []
    for path in sorted(run_dir.glob("*.json")):
        if path.name.endswith(store.OUTCOMES_SUFFIX):
            rows.extend(outcome_rows(path))
        elif path.name != store.MANIFEST_NAME:
            rows.extend(suite_rows(path))
    return _frame(rows)


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
