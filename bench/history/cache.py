"""Load a long history fast: every results file is parsed and checked once, ever.

A year of nightly runs is over a thousand suite files; parsing them all with
pyperf on every site build would take minutes. The cache keeps, per file, two
JSON entries under ``<cache>/<xx>/<digest>``: the file's tidy rows (``.rows.json``)
and its per-run summary (``.summary.json``, see ``bench.history.summary``).

An entry is data, never code: JSON holding each column's name, dtype (one of
:data:`DTYPES`) and values, so whatever sits at an entry's path can at worst be
wrong data, and that is guarded against too. The digest hashes the file's *bytes*
(not its mtime: a git checkout or a CI cache restore changes every mtime), its
place below the history root (the loader checks machine and run id against the
folder names), the cache and results schema versions, the versions of pandas,
numpy, pyperf and Python, and the source of the code that turns a file into rows
and summaries (a stricter check must reach files parsed before it existed). An
entry that is missing, unreadable, truncated, foreign, written for another digest
or of a shape the loader does not make is a miss: the file is parsed again and the
entry rewritten. Entries are written atomically, so concurrent builds may share a
cache; a file that fails its check is never cached, so it fails every build until
it is fixed.

The site needs full rows only for the newest run of each machine and
interpreter, and summaries for the rest: :func:`load_site_data` reads exactly
that. :func:`load_history` returns the full frame of ``load_results`` for
smaller histories and for tests.
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import inspect
import json
import math
import os
import platform
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyperf

from bench.history import summary as summary_module
from bench.history.summary import SUMMARY_COLUMNS, SUMMARY_KEYS, empty_summaries, run_summaries
from bench.report.metrics import median_ci
from bench.results import check, layout, migrate, read, schema
from bench.results.read import COLUMNS, ResultsError
from bench.untrusted import read_regular_file

#: Bump when what an entry holds (or how it is computed) changes.
CACHE_VERSION = "2"
#: What an entry file says it is (a foreign JSON file at an entry's path is a miss).
ENTRY_FORMAT = "threads-or-processes/history-cache"
#: The dtypes an entry may restore: those the loader's frames have, nothing else.
DTYPES = frozenset(
    {"object", "str", "string", "int64", "float64", "bool"}
    | {f"datetime64[{unit}]" for unit in ("s", "ms", "us", "ns")}
)
#: The JSON values each kind of column may hold (an outcome is a count, a flag or a text;
#: a missing text is None or NaN).
_VALUE_TYPES: dict[str, set[type]] = {
    "object": {str, int, float, bool, type(None)},
    "str": {str, float, type(None)},
    "string": {str, float, type(None)},
    "int64": {int},
    "float64": {int, float},
    "bool": {bool},
    "datetime": {int},
}
#: An entry larger than this many times the largest results file is not ours (a rows
#: entry repeats every value's parameters, so it is some times larger than its file).
ENTRY_SIZE_FACTOR = 32
SERIES_KEYS = ["machine", "interpreter", "run_id"]
PARTS = {"rows": list(COLUMNS), "summary": list(SUMMARY_COLUMNS)}


@dataclass(frozen=True)
class Entry:
    """What one results file contributes: its tidy rows and its summaries."""

    rows: pd.DataFrame
    summary: pd.DataFrame


def parse_file(root: Path, path: Path) -> Entry:
    """Check and read one results file found under ``root`` (raises ``ResultsError``
    naming it), as ``load_results`` does, its folder names checked."""
    frame = read.tidy_frame(read.tree_rows(root, path))
    return Entry(frame, run_summaries(frame))


@functools.cache
def _code_and_versions() -> bytes:
    """What shapes an entry besides the file: versions, and the source of the code."""
    parts = [
        CACHE_VERSION,
        str(schema.SCHEMA_VERSION),
        pd.__version__,
        np.__version__,
        pyperf.__version__,
        platform.python_version(),
    ]
    for code in (read, check, migrate, schema, layout, summary_module, median_ci):
        try:
            parts.append(inspect.getsource(code))
        except (OSError, TypeError):  # no source shipped: the versions must do
            parts.append(getattr(code, "__name__", "?"))
    return hashlib.sha256("\0".join(parts).encode()).digest()


def _digest(root: Path, path: Path) -> str:
    h = hashlib.blake2b(digest_size=20)
    h.update(_code_and_versions())
    # The two folders above the file count (the loader checks machine and run id against
    # them), and so does whether the root is the run folder itself (then no machine).
    where = "/".join(path.absolute().parts[-3:])
    h.update(f"\0{where}\0{len(path.relative_to(root).parts)}\0".encode())
    with path.open("rb") as f:
        hashlib.file_digest(f, lambda: h)
    return h.hexdigest()


# -- entries: data-only JSON, checked when read ---------------------------------


def _plain(value: Any) -> Any:
    """JSON for what ``json`` does not know: numpy scalars in object columns."""
    if isinstance(value, np.generic):
        return value.item()
    raise TypeError(f"{type(value).__name__} cannot be cached")


def encode_entry(frame: pd.DataFrame, digest: str, part: str) -> str:
    """``frame`` as an entry's JSON text; TypeError for a frame an entry cannot hold."""
    if not frame.index.equals(pd.RangeIndex(len(frame))):
        raise TypeError("only a frame indexed 0..n-1 is cached")
    columns = []
    for name in frame.columns:
        series = frame[name]
        dtype = str(series.dtype)
        if dtype not in DTYPES:
            raise TypeError(f"column {name!r} of dtype {dtype} cannot be cached")
        if dtype.startswith("datetime64"):  # as integers: NaT is numpy's smallest int64
            values = series.to_numpy().view("int64").tolist()
        else:
            values = series.tolist()
        columns.append([name, dtype, values])
    entry = {"format": ENTRY_FORMAT, "digest": digest, "part": part, "length": len(frame)}
    return json.dumps(entry | {"columns": columns}, default=_plain, separators=(",", ":"))


@functools.cache
def _extension_dtype(name: str) -> Any:
    return pd.api.types.pandas_dtype(name)


def _column(dtype: str, values: list[Any]) -> Any:
    """One column of an entry; TypeError unless every value is of a type ``dtype`` holds
    (numpy and pandas would otherwise coerce a planted text or object quietly)."""
    kind = "datetime" if dtype.startswith("datetime64") else dtype
    found = {type(v) for v in values}
    if not found <= _VALUE_TYPES[kind]:
        raise TypeError(f"a {dtype} column of an entry holds {sorted(t.__name__ for t in found)}")
    if kind in {"str", "string"} and any(not math.isnan(v) for v in values if type(v) is float):
        raise TypeError("a text column holds a number")  # a float there is only NaN
    if kind == "datetime":
        return np.array(values, dtype="int64").view(dtype)
    if dtype in {"int64", "float64", "bool", "object"}:
        return np.array(values, dtype=dtype)
    return pd.array(values, dtype=_extension_dtype(dtype))


def decode_entry(text: str | bytes, digest: str, part: str) -> pd.DataFrame | None:
    """The frame an entry holds, or None unless it is exactly what ``parse_file`` would
    give for ``digest``'s ``part``: a miss, never an error and never code."""
    try:
        data = json.loads(text)
        if (
            not isinstance(data, dict)
            or data.get("format") != ENTRY_FORMAT
            or data.get("digest") != digest
            or data.get("part") != part
            or not isinstance(data.get("columns"), list)
        ):
            return None
        length = data.get("length")
        names, arrays = [], {}
        for name, dtype, values in data["columns"]:
            if dtype not in DTYPES or not isinstance(values, list) or len(values) != length:
                return None
            names.append(name)
            arrays[name] = _column(dtype, values)
        if names != PARTS[part]:
            return None
        frame = pd.DataFrame(arrays, columns=names)
        if [str(d) for d in frame.dtypes] != [c[1] for c in data["columns"]]:
            return None
    except Exception:  # anything wrong with an entry makes it a miss, nothing else
        return None
    return frame


def _write_entry(path: Path, text: str) -> None:
    """Write ``text`` atomically at ``path``; a cache that cannot be written is no cache."""
    with contextlib.suppress(OSError):
        if path.parent.is_symlink():  # a planted link would have us write elsewhere
            return
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as f:
                f.write(text)
            Path(tmp).replace(path)
        finally:
            with contextlib.suppress(FileNotFoundError):
                Path(tmp).unlink()


class EntryCache:
    """Per-file entries of the files under ``root``, parsed on a miss; counts what it
    did (for tests and logs)."""

    def __init__(self, root: Path, folder: Path | None) -> None:
        self.root = root
        self.folder = folder
        self.hits = 0
        self.parsed = 0

    def entry_path(self, path: Path, part: str) -> tuple[Path, str] | None:
        """Where ``part`` of ``path``'s entry lies and its digest (None: not cached)."""
        if self.folder is None:
            return None
        try:
            if path.stat().st_size > schema.max_file_bytes():
                return None  # refused by size when parsed: never hashed, never cached
            digest = _digest(self.root, path)
        except OSError as exc:
            raise ResultsError(path, f"cannot be read: {exc.strerror or exc}") from None
        return self.folder / digest[:2] / f"{digest}.{part}.json", digest

    def get(self, path: Path, part: str) -> pd.DataFrame:
        """``part`` ("rows" or "summary") of ``path``'s entry."""
        where = self.entry_path(path, part)
        if where is not None:
            raw = read_regular_file(where[0], ENTRY_SIZE_FACTOR * schema.max_file_bytes())
            cached = decode_entry(raw, where[1], part) if raw is not None else None
            if cached is not None:
                self.hits += 1
                return cached
        entry = parse_file(self.root, path)
        self.parsed += 1
        if where is not None:
            for name, frame in (("rows", entry.rows), ("summary", entry.summary)):
                with contextlib.suppress(TypeError):  # a frame no entry can hold
                    text = encode_entry(frame, where[1], name)
                    _write_entry(where[0].with_name(f"{where[1]}.{name}.json"), text)
        return entry.rows if part == "rows" else entry.summary


def _prefetch(root: Path, path: Path, folder: Path) -> ResultsError | None:
    """Parse one file into the cache (run in a worker process); its error, if any."""
    try:
        EntryCache(root, folder).get(path, "summary")
    except ResultsError as exc:
        return exc
    return None


def _warm(c: EntryCache, files: list[Path], jobs: int) -> None:
    """Parse the files new to the cache in ``jobs`` processes (a cold history)."""
    if c.folder is None or jobs <= 1:
        return
    missing = [p for p in files if (at := c.entry_path(p, "summary")) and not at[0].exists()]
    if len(missing) < 2 * jobs:
        return
    import concurrent.futures
    import multiprocessing

    ctx = multiprocessing.get_context("spawn")  # no fork of a threaded parent
    with concurrent.futures.ProcessPoolExecutor(jobs, mp_context=ctx) as pool:
        # errors are raised again, with every other file's, by the sequential pass
        errors = list(
            pool.map(
                _prefetch, [c.root] * len(missing), missing, [c.folder] * len(missing), chunksize=8
            )
        )
    done = sum(e is None for e in errors)
    c.parsed += done
    c.hits -= done  # the sequential pass will count them as hits


def _each(
    root: Path, files: list[Path], problems: list[ResultsError], get: Callable[[Path], Any]
) -> list[Any]:
    """``get`` of every file; every problem collected, then raised together."""
    out = []
    for path in files:
        try:
            out.append(get(path))
        except ResultsError as exc:
            problems.append(exc)
    if problems:
        raise read.combined_error(root, read.sorted_problems(problems))
    return out


def _concat(frames: list[pd.DataFrame]) -> pd.DataFrame:
    """The frames' rows in order, with the dtypes one frame built from all rows gets."""
    frames = [f for f in frames if not f.empty]
    if not frames:
        return read.tidy_frame([])
    frame = pd.concat(frames, ignore_index=True) if len(frames) > 1 else frames[0].copy()
    # A column all None in one file is object there: infer it again from every row.
    objects = [c for c in frame.columns if frame[c].dtype == object and c != "value"]
    if objects:
        frame[objects] = frame[objects].infer_objects()
    return frame


def _sorted_rows(frame: pd.DataFrame) -> pd.DataFrame:
    # load_results's order: the same stable sort of rows concatenated in the same order.
    return read.sort_rows(frame)


def _sorted_summaries(frames: list[pd.DataFrame]) -> pd.DataFrame:
    frames = [f for f in frames if not f.empty]
    if not frames:
        return empty_summaries()
    out = pd.concat(frames, ignore_index=True)
    # A run's suite and outcomes files start at different times: one date per run.
    out["date"] = out.groupby(SERIES_KEYS, dropna=False)["date"].transform("min")
    return out.sort_values(SUMMARY_KEYS, kind="stable").reset_index(drop=True)


def load_history(root: Path, cache: Path | None = None, *, jobs: int = 1) -> pd.DataFrame:
    """``load_results(root)`` (same rows, columns, order and checks), reading each file
    from ``cache`` when it was parsed before (no cache: parse everything). ``jobs``
    > 1 parses the files new to the cache in that many processes first."""
    files, problems = read.scan(root)
    c = EntryCache(root, cache)
    _warm(c, files, jobs)
    return _sorted_rows(_concat(_each(root, files, problems, lambda p: c.get(p, "rows"))))


def load_summaries(root: Path, cache: Path | None = None, *, jobs: int = 1) -> pd.DataFrame:
    """``run_summaries(load_results(root))``, from the cached per-file summaries."""
    files, problems = read.scan(root)
    c = EntryCache(root, cache)
    _warm(c, files, jobs)
    return _sorted_summaries(_each(root, files, problems, lambda p: c.get(p, "summary")))


@dataclass(frozen=True)
class SiteData:
    """What the site reads from a history.

    ``latest``: full tidy rows of the newest run (by run id) of each machine and
    interpreter, in ``load_results`` order (``bench.evidence.pipeline.latest_runs``).
    ``summaries``: ``run_summaries`` of every run. ``parsed``/``cached``: files
    parsed now and files read from the cache (a nightly build parses only its new run).
    """

    latest: pd.DataFrame
    summaries: pd.DataFrame
    files: int
    parsed: int
    cached: int


def load_site_data(root: Path, cache: Path | None = None, *, jobs: int = 1) -> SiteData:
    """Check every file of the history (parsing only those new to ``cache``, in ``jobs``
    processes when > 1) and read the summaries of all runs but full rows of the
    newest runs only."""
    files, problems = read.scan(root)
    c = EntryCache(root, cache)
    _warm(c, files, jobs)
    per_file = _each(root, files, problems, lambda p: c.get(p, "summary"))
    summaries = _sorted_summaries(per_file)
    newest: set[tuple[Any, ...]] = set()
    if not summaries.empty:
        last = summaries.groupby(["machine", "interpreter"], dropna=False)["run_id"].max()
        newest = {(m, i, r) for (m, i), r in last.items()}
    chosen = [p for p, s in zip(files, per_file, strict=True) if _series(s) & newest]
    rows = _concat([c.get(p, "rows") for p in chosen])
    if not rows.empty:
        rows = rows[[k in newest for k in zip(*(rows[k] for k in SERIES_KEYS), strict=True)]]
    return SiteData(_sorted_rows(rows), summaries, len(files), c.parsed, c.hits)


def _series(summary: pd.DataFrame) -> set[tuple[Any, ...]]:
    return set(zip(*(summary[k].to_numpy() for k in SERIES_KEYS), strict=True))
