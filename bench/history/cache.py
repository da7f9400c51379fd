"""Load a long history fast: every results file is parsed and checked once, ever.

A year of nightly runs is over a thousand suite files; parsing them all with
pyperf on every site build would take minutes. The cache keeps, per file, two
pickles under ``<cache>/<xx>/<digest>``: the file's tidy rows (``.rows.pkl``) and
its per-run summary (``.summary.pkl``, see ``bench.history.summary``). The digest
hashes the file's *bytes* (not its mtime: a git checkout or a CI cache restore
changes every mtime), its path below the history root (the loader fills machine
and run id from the folder names), the cache and results schema versions and
pandas' version (pickles are not portable across it). Entries are written
atomically and never changed, so concurrent builds may share a cache; a file
that fails its check is never cached, so it fails every build until it is fixed.

The site needs full rows only for the newest run of each machine and
interpreter, and summaries for the rest: :func:`load_site_data` reads exactly
that. :func:`load_history` returns the full frame of ``load_results`` for
smaller histories and for tests.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import pickle
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from bench import store
from bench.history.summary import SUMMARY_KEYS, empty_summaries, run_summaries
from bench.report import load
from bench.report.load import ResultsError

#: Bump when what an entry holds (or how it is computed) changes.
CACHE_VERSION = "1"
SERIES_KEYS = ["machine", "interpreter", "run_id"]


@dataclass(frozen=True)
class Entry:
    """What one results file contributes: its tidy rows and its summaries."""

    rows: pd.DataFrame
    summary: pd.DataFrame


def parse_file(path: Path) -> Entry:
    """Check and read one results file (raises ``ResultsError`` naming it), as
    ``load_results`` does, machine and run id filled from the folders where absent."""
    rows = load._checked_rows(path)
    folder = {"machine": path.absolute().parent.parent.name, "run_id": path.parent.name}
    rows = [row | {k: v for k, v in folder.items() if not row[k]} for row in rows]
    frame = load._frame(rows)
    return Entry(frame, run_summaries(frame))


def _digest(path: Path) -> str:
    h = hashlib.blake2b(digest_size=20)
    # The two folders above the file count: the loader fills machine and run id from them.
    where = "/".join(path.absolute().parts[-3:])
    for part in (CACHE_VERSION, str(store.SCHEMA_VERSION), pd.__version__, where):
        h.update(part.encode())
        h.update(b"\0")
    h.update(path.read_bytes())
    return h.hexdigest()


def _write_pickle(path: Path, obj: Any) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as f:
            pickle.dump(obj, f, protocol=pickle.HIGHEST_PROTOCOL)
        Path(tmp).replace(path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            Path(tmp).unlink()
        raise


def _read_pickle(path: Path) -> Any:
    try:
        with path.open("rb") as f:
            return pickle.load(f)
    except (OSError, EOFError, pickle.UnpicklingError, AttributeError, ValueError):
        return None  # missing or damaged: parse the file again


class _Cache:
    """Per-file entries, parsed on a miss; counts what it did (for tests and logs)."""

    def __init__(self, folder: Path | None) -> None:
        self.folder = folder
        self.hits = 0
        self.parsed = 0

    def _paths(self, path: Path) -> tuple[Path, Path] | None:
        if self.folder is None:
            return None
        try:
            digest = _digest(path)
        except OSError as exc:
            raise ResultsError(path, f"cannot be read: {exc.strerror or exc}") from None
        base = self.folder / digest[:2] / digest
        return base.with_suffix(".rows.pkl"), base.with_suffix(".summary.pkl")

    def get(self, path: Path, part: str) -> pd.DataFrame:
        """``part`` ("rows" or "summary") of ``path``'s entry."""
        paths = self._paths(path)
        if paths is not None:
            cached = _read_pickle(paths[0] if part == "rows" else paths[1])
            if isinstance(cached, pd.DataFrame):
                self.hits += 1
                return cached
        entry = parse_file(path)
        self.parsed += 1
        if paths is not None:
            _write_pickle(paths[0], entry.rows)
            _write_pickle(paths[1], entry.summary)
        return entry.rows if part == "rows" else entry.summary


def _prefetch(path: Path, folder: Path) -> ResultsError | None:
    """Parse one file into the cache (run in a worker process); its error, if any."""
    try:
        _Cache(folder).get(path, "summary")
    except ResultsError as exc:
        return exc
    return None


def _warm(c: _Cache, files: list[Path], jobs: int) -> None:
    """Parse the files new to the cache in ``jobs`` processes (a cold history)."""
    if c.folder is None or jobs <= 1:
        return
    missing = [p for p in files if (paths := c._paths(p)) is not None and not paths[1].exists()]
    if len(missing) < 2 * jobs:
        return
    import concurrent.futures
    import multiprocessing

    ctx = multiprocessing.get_context("spawn")  # no fork of a threaded parent
    with concurrent.futures.ProcessPoolExecutor(jobs, mp_context=ctx) as pool:
        # errors are raised again, with every other file's, by the sequential pass
        errors = list(pool.map(_prefetch, missing, [c.folder] * len(missing), chunksize=8))
    done = sum(e is None for e in errors)
    c.parsed += done
    c.hits -= done  # the sequential pass will count them as hits


def _each(
    root: Path, files: list[Path], problems: list[ResultsError], read: Callable[[Path], Any]
) -> list[Any]:
    """``read`` of every file; every problem collected, then raised together."""
    out = []
    for path in files:
        try:
            out.append(read(path))
        except ResultsError as exc:
            problems.append(exc)
    if problems:
        raise load._combined(root, load._by_path(problems))
    return out


def _concat(frames: list[pd.DataFrame]) -> pd.DataFrame:
    """The frames' rows in order, with the dtypes one frame built from all rows gets."""
    frames = [f for f in frames if not f.empty]
    if not frames:
        return load._frame([])
    frame = pd.concat(frames, ignore_index=True) if len(frames) > 1 else frames[0].copy()
    # A column all None in one file is object there: infer it again from every row.
    objects = [c for c in frame.columns if frame[c].dtype == object and c != "value"]
    if objects:
        frame[objects] = frame[objects].infer_objects()
    return frame


def _sorted_rows(frame: pd.DataFrame) -> pd.DataFrame:
    # load_results's order: the same stable sort of rows concatenated in the same order.
    return frame.sort_values(
        load.SORT_KEYS, kind="stable", key=lambda s: s.astype(str) if s.dtype == object else s
    ).reset_index(drop=True)


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
    files, problems = load._scan(root)
    c = _Cache(cache)
    _warm(c, files, jobs)
    return _sorted_rows(_concat(_each(root, files, problems, lambda p: c.get(p, "rows"))))


def load_summaries(root: Path, cache: Path | None = None, *, jobs: int = 1) -> pd.DataFrame:
    """``run_summaries(load_results(root))``, from the cached per-file summaries."""
    files, problems = load._scan(root)
    c = _Cache(cache)
    _warm(c, files, jobs)
    return _sorted_summaries(_each(root, files, problems, lambda p: c.get(p, "summary")))


@dataclass(frozen=True)
class SiteData:
    """What the site reads from a history.

    ``latest``: full tidy rows of the newest run (by run id) of each machine and
    interpreter, in ``load_results`` order (``bench.report.build.latest_runs``).
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
    files, problems = load._scan(root)
    c = _Cache(cache)
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
