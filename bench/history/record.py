"""Record a finished run into the history: ``<history>/<machine>/<run_id>/``, append-only.

The history never loses a run and never rewrites a file:

* only a run folder whose manifest says ``complete`` and whose folder names are those
  the runner made (the run id, and the machine; earlier versions slugged it) is
  recorded, so a run still going, an interrupted one or a renamed copy never enters;
  the folder is resolved first (``<run>/logs/..`` is ``<run>``);
* only what the suite writes enters: the manifest and the files it names, each a plain
  file with one link, readable by all (a copy must not widen who may read it), copied
  with mode 0644 into a hidden staging folder at the top of the history
  (``<history>/.incoming-<random>/<run_id>/``), each created exclusively (``O_EXCL``)
  and fsynced, and every JSON file of that *copy* is checked (its metadata's machine
  and run id too): what is checked is exactly what enters;
* one ``rename`` of the staged run folder then publishes the run whole. Renaming a
  folder onto an existing non-empty one fails, so a run already in the history is
  never replaced: the same content is a no-op, other content an error. The machine
  folder is made only then, so a refused record leaves no trace;
* a record killed half-way leaves at most a hidden ``.incoming-*`` folder, which the
  loader ignores; the next record removes those untouched for
  :data:`STALE_STAGING_S` (a live record touches its own after every file, so none
  is ever that old), and ``bench history --check`` lists them.

Two records at once (threads, processes, CI jobs sharing a checkout) each use
their own staging folder, and the shared parents are made with ``exist_ok``.
"""

from __future__ import annotations

import errno
import os
import shutil
import stat
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO

from bench.results.layout import MANIFEST_NAME, slug
from bench.results.read import ResultsError, file_rows, read_manifest
from bench.results.schema import COMPLETE, Manifest, max_file_bytes
from bench.results.write import fsync_dir, naming

STAGING_PREFIX = ".incoming-"
#: What the runner's manifest says of a run that ran to its end (failed cases included).
#: A staging folder untouched this long belongs to a record that was killed: copying
#: and checking one file (64 MiB at most) takes seconds, and a live record touches
#: its folder after each. An hour leaves room for a slow disk and a suspended laptop.
STALE_STAGING_S = 3600


@dataclass(frozen=True)
class Recorded:
    """What ``record`` did: ``path`` is the run in the history; ``created`` is False
    when the same run was there already (nothing written); ``cleaned`` lists the stale
    staging folders removed on the way."""

    path: Path
    files: tuple[str, ...]
    created: bool
    skipped: tuple[str, ...] = ()
    cleaned: tuple[Path, ...] = ()


def _run_files(run_dir: Path, manifest: Manifest) -> tuple[list[str], list[str]]:
    """The files to copy (the manifest and the files it names: all the suite writes there
    that the history keeps) and the names of everything else in the folder, left out."""
    named = [MANIFEST_NAME]
    for entry in manifest.interpreters:
        named += [name for name in (entry.file, entry.outcomes_file) if name is not None]
    try:
        entries = sorted(run_dir.iterdir())
    except OSError as exc:
        raise ResultsError(run_dir, f"cannot be read: {exc.strerror or exc}") from None
    others = [f"{p.name}/" if p.is_dir() else p.name for p in entries if p.name not in named]
    return sorted(set(named)), others


def recording_problem(run_dir: Path, manifest: Manifest) -> str | None:
    """Why the run folder ``run_dir`` may not enter a history, given its manifest, or
    None: a run not complete, or folder names the runner did not make."""
    if manifest.status != COMPLETE:
        return (
            f"the run is not complete (its manifest says status {manifest.status!r}, "
            f"not {COMPLETE!r}): only a finished run is recorded"
        )
    if run_dir.name != manifest.run_id:
        return (
            f"the folder is named {run_dir.name!r} but the manifest's run_id is "
            f"{manifest.run_id!r}: a run is recorded under the name it was made with"
        )
    if run_dir.parent.name not in {manifest.machine, slug(manifest.machine)}:
        return (
            f"its machine folder is named {run_dir.parent.name!r} but the manifest's "
            f"machine is {manifest.machine!r}: a run is recorded under the name it "
            "was made with"
        )
    return None


def _checked_manifest(run_dir: Path) -> Manifest:
    """The manifest of ``run_dir``, checked, and the run fit for the history."""
    if not run_dir.is_dir():
        raise ResultsError(run_dir, "no such run folder")
    manifest_path = run_dir / MANIFEST_NAME
    if not manifest_path.is_file() or manifest_path.is_symlink():
        raise ResultsError(manifest_path, "missing: not a finished run folder")
    manifest = read_manifest(manifest_path)
    if problem := recording_problem(run_dir, manifest):
        raise ResultsError(manifest_path, problem)
    return manifest


def _names_problem(rows: list[dict[str, Any]], machine: str, run_id: str) -> str | None:
    for row in rows:
        for key, name in (("machine", machine), ("run_id", run_id)):
            if row[key] and row[key] != name:
                return (
                    f"its metadata says {key} {row[key]!r}, but the run is recorded as "
                    f"{name!r}: a run is recorded under the names it was made with"
                )
    return None


def _check_copy(copied: Path, original: Path, machine: str, run_id: str) -> None:
    """Check a staged copy as the loader will read it under ``<machine>/<run_id>/``;
    an error names the file of the run, not the staging copy."""
    try:
        rows = file_rows(copied)
    except ResultsError as exc:
        raise ResultsError(original, exc.reason) from None
    if problem := _names_problem(rows, machine, run_id):
        raise ResultsError(original, problem)


#: The mode of every file the suite writes (``bench.results.write``), and of every copy.
FILE_MODE = 0o644


def _source_problem(info: os.stat_result) -> str | None:
    """Why a file of a run folder may not be copied into the history, or None."""
    if not stat.S_ISREG(info.st_mode):
        return "not a regular file"
    if info.st_nlink != 1:  # a hard link to a file elsewhere: another file's content
        return f"a file with {info.st_nlink} links, not one the suite wrote"
    if stat.S_IMODE(info.st_mode) & 0o444 != 0o444:
        return (
            f"has mode {stat.S_IMODE(info.st_mode):04o}: not readable by all, as the suite "
            f"writes its files ({FILE_MODE:04o}), so a copy would widen who may read it"
        )
    if info.st_size > max_file_bytes():
        return f"{info.st_size / 2**20:.1f} MiB, over the size of a results file"
    return None


def _read(source: BinaryIO, path: Path) -> bytes:
    try:
        return source.read(1 << 20)
    except OSError as exc:
        raise ResultsError(path, f"cannot be read: {exc.strerror or exc}") from None


def _copy_exclusive(src: Path, dst: Path) -> None:
    """Copy the plain file ``src`` to the new file ``dst`` (mode :data:`FILE_MODE`); a
    source the suite could not have written raises :class:`ResultsError` naming it."""
    # Opened without following a link or waiting on a pipe; judged on what was opened.
    flags = os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_NONBLOCK", 0)
    try:
        fd_in = os.open(src, flags | getattr(os, "O_BINARY", 0))
    except OSError as exc:
        raise ResultsError(src, f"cannot be read: {exc.strerror or exc}") from None
    with os.fdopen(fd_in, "rb") as inp:
        if problem := _source_problem(os.fstat(inp.fileno())):
            raise ResultsError(src, problem)
        # O_EXCL: never write through an existing file, whatever raced us.
        fd = os.open(dst, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0))
        with naming(dst), os.fdopen(fd, "wb") as out:
            if hasattr(os, "fchmod"):  # the suite's mode, whatever the umask
                os.fchmod(out.fileno(), FILE_MODE)
            while chunk := _read(inp, src):
                out.write(chunk)  # an error here is the history's disk: not the run's fault
            out.flush()
            os.fsync(out.fileno())


def _same_run(staged: Path, existing: Path) -> None:
    """Raise naming the first differing file unless both folders hold the same files."""
    ours = {p.name for p in staged.iterdir()}
    theirs = {p.name for p in existing.iterdir() if p.is_file() and not p.name.startswith(".")}
    if ours != theirs:
        extra = sorted(ours ^ theirs)
        raise ResultsError(
            existing,
            f"already in the history with other files (differ: {', '.join(extra)}); "
            "a recorded run is never changed",
        )
    for name in sorted(ours):
        if (staged / name).read_bytes() != (existing / name).read_bytes():
            raise ResultsError(
                existing / name,
                "already in the history with other content; a recorded run is never changed",
            )


def staging_folders(history: Path) -> list[Path]:
    """Every staging folder of ``history``: at its top (this version) or in a machine
    folder (where earlier versions staged)."""
    if not history.is_dir():
        return []
    found = [p for p in history.glob(f"{STAGING_PREFIX}*") if p.is_dir()]
    found += [p for p in history.glob(f"*/{STAGING_PREFIX}*") if p.is_dir()]
    return sorted(found)


def is_stale(folder: Path, now: float | None = None) -> bool:
    """True when ``folder`` was last touched :data:`STALE_STAGING_S` or more ago."""
    try:
        touched = folder.lstat().st_mtime
    except OSError:
        return False  # gone already: removed by its record or another cleaner
    return (now if now is not None else time.time()) - touched >= STALE_STAGING_S


def clean_stale_staging(history: Path) -> list[Path]:
    """Remove the staging folders of records that were killed (see :func:`is_stale`)."""
    removed = []
    for folder in staging_folders(history):
        if is_stale(folder) and not folder.is_symlink():
            shutil.rmtree(folder, ignore_errors=True)
            removed.append(folder)
    return removed


def record(run_dir: Path, history: Path) -> Recorded:
    """Copy the finished run folder ``run_dir`` (``.../<machine>/<run_id>/``) into
    ``history/<machine>/<run_id>/`` (see the module's docstring for the guarantees).

    Raises :class:`ResultsError` naming the file: a run not complete or under other
    names than its manifest's, a corrupt or foreign JSON file (the history is then
    unchanged), or a run already recorded with different content.
    """
    run_dir = Path(run_dir).resolve()  # "<run>/logs/.." is "<run>": names from the real path
    manifest = _checked_manifest(run_dir)
    files, skipped = _run_files(run_dir, manifest)
    history = Path(history)
    machine_dir = history / run_dir.parent.name
    final = machine_dir / run_dir.name
    history.mkdir(parents=True, exist_ok=True)
    cleaned = clean_stale_staging(history)
    staging = Path(tempfile.mkdtemp(prefix=STAGING_PREFIX, dir=history))
    # The copy sits in a folder named as the run, so that it is checked as it will be read.
    copy = staging / run_dir.name
    try:
        copy.mkdir()
        for name in files:
            _copy_exclusive(run_dir / name, copy / name)
            os.utime(staging)  # alive: see STALE_STAGING_S
        for copied in sorted(copy.glob("*.json")):
            _check_copy(copied, run_dir / copied.name, run_dir.parent.name, manifest.run_id)
            os.utime(staging)
        copy.chmod(0o755)
        fsync_dir(copy)
        machine_dir.mkdir(exist_ok=True)
        try:
            copy.rename(final)  # os.rename: fails onto a non-empty folder
        except OSError as exc:
            if exc.errno not in (errno.EEXIST, errno.ENOTEMPTY) and not final.exists():
                raise
            _same_run(copy, final)
            return Recorded(final, tuple(files), False, tuple(skipped), tuple(cleaned))
        fsync_dir(machine_dir)
        return Recorded(final, tuple(files), True, tuple(skipped), tuple(cleaned))
    finally:
        shutil.rmtree(staging, ignore_errors=True)  # empty once the copy is published


def record_run(run_dir: Path, history: Path) -> Path:
    """``record`` returning only where the run lies in the history."""
    return record(run_dir, history).path


def check_history(history: Path, now: float | None = None) -> list[ResultsError]:
    """What a history should not hold, sorted by path: staging folders of killed records
    (:func:`is_stale`), machine folders without a run, and runs whose manifest is not
    ``complete`` or disagrees with their folder names. The files themselves are
    ``bench validate``'s."""
    history = Path(history)
    if not history.is_dir():
        return [ResultsError(history, "no such history folder")]
    problems = []
    for folder in staging_folders(history):
        if is_stale(folder, now):
            age_h = ((now if now is not None else time.time()) - folder.lstat().st_mtime) / 3600
            problems.append(
                ResultsError(
                    folder,
                    f"staging folder of a record killed {age_h:.1f} h ago (removed by the next "
                    "record, or by hand)",
                )
            )
    machine_dirs, unreadable = _listing(history)
    problems += unreadable
    for machine_dir in machine_dirs:
        if not machine_dir.is_dir() or machine_dir.is_symlink():
            continue
        runs, unreadable = _listing(machine_dir)
        problems += unreadable
        if not runs and not unreadable:
            problems.append(ResultsError(machine_dir, "a machine folder without any run"))
        for run_dir in runs:
            problem = _recorded_run_problem(run_dir)
            if problem:
                problems.append(ResultsError(run_dir / MANIFEST_NAME, problem))
    return sorted(problems, key=lambda p: str(p.path))


def _listing(folder: Path) -> tuple[list[Path], list[ResultsError]]:
    """What ``folder`` holds (sorted, hidden names left out), or the problem of reading it."""
    try:
        return sorted(p for p in folder.iterdir() if not p.name.startswith(".")), []
    except OSError as exc:
        return [], [ResultsError(folder, f"cannot be read: {exc.strerror or exc}")]


def _recorded_run_problem(run_dir: Path) -> str | None:
    manifest_path = run_dir / MANIFEST_NAME
    if not run_dir.is_dir() or not manifest_path.is_file():
        return None  # not a run folder: validate names it
    try:
        manifest = read_manifest(manifest_path, in_its_folder=False)  # said below, in words
    except ResultsError:
        return None  # not a sound manifest: validate names it, with why
    return recording_problem(run_dir, manifest)
