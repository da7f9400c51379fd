"""Reading results: a folder's files, each checked (``check.py``), as one tidy pandas
DataFrame with one row per value.

The folder is listed here (plain files and folders with the names the suite writes,
no links), and :func:`load_results` returns nothing unless every file is sound: a
report built from half the data would look just as plausible as one built from all.

Params are columns, read from each benchmark's metadata (never parsed from its
name). Every row names its ``metric`` and ``unit``; ``value`` holds the number,
and ``time_s`` repeats it for timings so that the usual case reads naturally.
"""

from __future__ import annotations

import json
import os
import stat
from pathlib import Path
from typing import Any

import pandas as pd
import pyperf

from bench.results import migrate, schema
from bench.results.build_flags import recorded_or_derived
from bench.results.check import (
    ResultsError,
    check_file,
    checked,
    combined_error,
    describe_problems,
    read_json,
    read_manifest,
    sorted_problems,
)
from bench.results.layout import LAYOUT_DEPTH, MANIFEST_NAME, OUTCOMES_SUFFIX, is_identifier
from bench.results.schema import PARAM_KEYS

#: What other modules read from here as well: the errors and checks of ``check.py``.
__all__ = [
    "COLUMNS", "SORT_KEYS", "ResultsError", "check_file", "combined_error",
    "describe_problems", "file_rows", "load_results", "load_run", "read_json",
    "read_manifest", "results_files", "scan", "sort_rows", "sorted_problems", "tidy_frame",
    "tree_rows", "validate_tree",
]  # fmt: skip

#: The tidy frame's columns, in order: also those of an empty frame.
COLUMNS = (
    *PARAM_KEYS, "benchmark", "metric", "unit", "run_index", "value_index", "value", "time_s",
)  # fmt: skip

#: Row order of :func:`load_results`: by where, then what, then when it was measured.
SORT_KEYS = ["machine", "run_id", "interpreter", "benchmark", "run_index", "value_index"]


# -- rows ------------------------------------------------------------------------


def _params(meta: dict[str, Any]) -> dict[str, Any]:
    # build flags: as recorded, else derived from the configure arguments (older files)
    return {k: meta.get(k) for k in PARAM_KEYS} | recorded_or_derived(meta)


def _suite_rows(suite: pyperf.BenchmarkSuite) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = []
    for benchmark in suite.get_benchmarks():
        common = benchmark.get_metadata()
        for run_index, run in enumerate(benchmark.get_runs()):
            meta = migrate.upgrade_metadata({**common, **run.get_metadata()})
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
        base = _params(migrate.upgrade_metadata(record["metadata"])) | {
            "benchmark": record["benchmark"],
            "metric": record["metric"],
            "unit": record["unit"],
            "run_index": 0,
        }
        rows.extend(base | {"value_index": i, "value": v} for i, v in enumerate(record["values"]))
    return rows


def tidy_frame(rows: list[dict[str, Any]]) -> pd.DataFrame:
    """The tidy frame of ``rows``, with every column of :data:`COLUMNS` even when empty."""
    frame = pd.DataFrame(rows, columns=list(COLUMNS))
    # Outcome values mix ints, bools and texts (an object column); timings are floats.
    frame["time_s"] = frame["value"].where(frame["unit"] == "second").astype("float64")
    return frame


def file_rows(path: Path) -> list[dict[str, Any]]:
    """The rows of one results file, after checking it is ours; a manifest has none."""
    kind, content = checked(path)
    if kind == "manifest":
        return []
    return _outcome_rows(content) if kind == "outcomes" else _suite_rows(content)


# -- trees -----------------------------------------------------------------------


def _is_ignored(name: str) -> bool:
    # Hidden names cover editors' and notebooks' droppings, the atomic writer's
    # temporaries (``.<name>.<random>.tmp``) and record's staging folders.
    return name.startswith(".")


def _folder_problem(path: Path, named_by_suite: bool) -> str | None:
    if _is_ignored(path.name):
        return None
    if path.is_symlink():
        return "a symbolic link, not a folder"
    if named_by_suite and not is_identifier(path.name):  # a machine or run folder
        return "a folder name the suite does not write (letters, digits, ._+-)"
    return None


def _unreadable(error: OSError) -> ResultsError:
    """A file or folder the listing could not read: a problem, never a silent skip."""
    return ResultsError(Path(str(error.filename)), f"cannot be read: {error.strerror or error}")


def _file_problem(path: Path, in_layout: bool) -> str | None:
    try:
        mode = path.lstat().st_mode
    except OSError as exc:  # its folder lets us list it, not look at it
        return f"cannot be read: {exc.strerror or exc}"
    if stat.S_ISLNK(mode):
        return "a symbolic link, not a results file"
    if not stat.S_ISREG(mode):
        return "not a regular file"
    if not in_layout:
        return "a JSON file outside the layout <machine>/<run>/<file>.json"
    if not is_identifier(path.name):
        return "a file name the suite does not write"
    return None


def scan(root: Path) -> tuple[list[Path], list[ResultsError]]:
    """The results files under ``root`` and the problems of its layout.

    Only plain files and folders count: a symbolic link anywhere below ``root`` is a
    problem (it could lead out of the folder), and so is a name that could not have
    been written by the suite, and so is a folder or file that cannot be read (a run
    left out in silence would look like a whole folder). Files that are not ``*.json``
    (logs, notes) are ignored.
    """
    if not root.is_dir():
        return [], [ResultsError(root, "no such folder")]
    # A run folder may be given instead of a results folder: its files sit one level down.
    depth = 1 if (root / MANIFEST_NAME).is_file() else LAYOUT_DEPTH
    files: list[Path] = []
    problems: list[ResultsError] = []
    for folder, dirs, names in os.walk(root, onerror=lambda e: problems.append(_unreadable(e))):
        here = Path(folder)
        level = len(here.relative_to(root).parts)
        for name in sorted(dirs):
            if problem := _folder_problem(here / name, level + 1 < depth):
                problems.append(ResultsError(here / name, problem))
            if problem or _is_ignored(name):
                dirs.remove(name)
        for name in names:
            path = here / name
            if _is_ignored(name) or (not name.endswith(".json") and not path.is_symlink()):
                continue
            if problem := _file_problem(path, level + 1 == depth):
                problems.append(ResultsError(path, problem))
            else:
                files.append(path)
    files.sort()
    for run_dir in sorted({f.parent for f in files}):
        if not (run_dir / MANIFEST_NAME).is_file():
            problems.append(
                ResultsError(
                    run_dir / MANIFEST_NAME, "missing: a run folder must have its manifest"
                )
            )
    return files, problems


def results_files(root: Path) -> list[Path]:
    """The files :func:`load_results` reads under ``root``, sorted (see there for which)."""
    return scan(root)[0]


def validate_tree(root: Path) -> list[ResultsError]:
    """Every problem of the results tree under ``root``, sorted by path; [] when it is sound.

    Never stops at the first bad file; what it checks and ignores is
    :func:`load_results`'s. A folder with no results file at all is a problem too.
    """
    files, problems = scan(root)
    for path in files:
        try:
            tree_rows(root, path)
        except ResultsError as exc:
            problems.append(exc)
    if not files and not problems:
        problems.append(ResultsError(root, "no results files in this folder"))
    return sorted_problems(problems)


def folder_names(root: Path, path: Path) -> dict[str, str]:
    """``machine`` and ``run_id`` of a results file, as its folders name them.

    A run folder given as ``root`` has no machine folder of the layout: only its run id
    is told by a name then.
    """
    names = {"run_id": path.parent.name}
    if path.parent != root:
        names["machine"] = path.parent.parent.name
    return names


def tree_rows(root: Path, path: Path) -> list[dict[str, Any]]:
    """:func:`file_rows` of a file found under ``root``, its folder names checked.

    ``machine`` and ``run_id`` come from the metadata, or from the folder names where
    it lacks them; metadata that disagrees with the folders is refused, since a copy
    under another name would otherwise count the same run twice.
    """
    rows = file_rows(path)
    folders = folder_names(root, path)
    for row in rows:
        for key, name in folders.items():
            if not row[key]:
                row[key] = name
            elif row[key] != name:
                raise ResultsError(
                    path, f"its metadata says {key} {schema.preview(row[key])}, but its folder "
                    f"is named {name!r}: a run is recorded under the names it was made with"
                )  # fmt: skip
    return rows


def load_results(root: Path) -> pd.DataFrame:
    """Every results file under a results folder as one tidy frame (see :data:`COLUMNS`).

    ``root`` holds ``<machine>/<run>/`` folders (or is one run folder, recognised by
    its ``run.json``). Read: every ``*.json`` there, all machines, runs and
    interpreters: ``run.json`` (the manifest, checked, no rows), ``*.outcomes.json``
    and the pyperf suites. Ignored: every file not named ``*.json`` (``logs/*.log``,
    notes) and every hidden file or folder (``.*``, which includes the atomic
    writer's ``.<name>.<random>.tmp`` temporaries). A ``*.json`` elsewhere in the
    tree, a symbolic link, a run folder without ``run.json`` and any file
    :func:`check_file` refuses raise :class:`ResultsError`: the one problem, or one
    listing them all (its ``problems``). Nothing is skipped.

    Rows are sorted by :data:`SORT_KEYS` (stable), so the frame does not depend on
    the order the file system lists files in. An empty folder gives an empty frame
    with every column.
    """
    files, problems = scan(root)
    rows: list[dict[str, Any]] = []
    for path in files:
        try:
            rows.extend(tree_rows(root, path))
        except ResultsError as exc:
            problems.append(exc)
    if problems:
        raise combined_error(root, sorted_problems(problems))
    return sort_rows(tidy_frame(rows))


def sort_rows(frame: pd.DataFrame) -> pd.DataFrame:
    """``frame`` in the order of :data:`SORT_KEYS` (stable)."""
    # Mixed types (an int round here, a text there) cannot be ordered: compare them as text.
    return frame.sort_values(
        SORT_KEYS, kind="stable", key=lambda s: s.astype(str) if s.dtype == object else s
    ).reset_index(drop=True)


def load_run(run_dir: Path) -> pd.DataFrame:
    """Every suite and outcomes file of one run folder as one tidy frame, in file order.

    Unlike :func:`load_results` it reads a folder without checking its files: for
    tests and tools reading what the suite itself has just written.
    """
    rows: list[dict[str, Any]] = []
    for path in sorted(run_dir.glob("*.json")):
        if path.name.endswith(OUTCOMES_SUFFIX):
            rows.extend(_outcome_rows(json.loads(path.read_text(encoding="utf-8"))))
        elif path.name != MANIFEST_NAME:
            rows.extend(_suite_rows(pyperf.BenchmarkSuite.load(str(path))))
    return tidy_frame(rows)
