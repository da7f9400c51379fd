"""Record a finished run into the history: ``<history>/<machine>/<run_id>/``, append-only.

The history never loses a run and never rewrites a file:

* the run's files are copied into a hidden staging folder beside the destination
  (``<history>/<machine>/.incoming-<random>/``), each created exclusively
  (``O_EXCL``) and fsynced, and every JSON file of that *copy* is checked with
  :func:`bench.report.load.check_file`: what is checked is exactly what enters;
* one ``rename`` of the staging folder then publishes the run whole. Renaming a
  folder onto an existing non-empty one fails, so a run already in the history is
  never replaced: the same content is a no-op, other content an error;
* a refused or interrupted record leaves at most a hidden ``.incoming-*`` folder,
  which the loader ignores (hidden names), and no visible trace.

Two records at once (threads, processes, CI jobs sharing a checkout) each use
their own staging folder, and the shared parents are made with ``exist_ok``.
"""

from __future__ import annotations

import errno
import os
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path

from bench import store
from bench.report.load import ResultsError, check_file

#: Sub-folders of a run folder left out of the history (logs are for debugging the run).
SKIPPED_DIRS = frozenset({"logs"})
STAGING_PREFIX = ".incoming-"


@dataclass(frozen=True)
class Recorded:
    """What ``record`` did: ``path`` is the run in the history; ``created`` is False
    when the same run was there already (nothing written)."""

    path: Path
    files: tuple[str, ...]
    created: bool
    skipped: tuple[str, ...] = ()


def _run_files(run_dir: Path) -> tuple[list[Path], list[str]]:
    """The plain files to copy (sorted) and the names left out."""
    if not run_dir.is_dir():
        raise ResultsError(run_dir, "no such run folder")
    if not (run_dir / store.MANIFEST_NAME).is_file():
        raise ResultsError(run_dir / store.MANIFEST_NAME, "missing: not a finished run folder")
    files, skipped = [], []
    for path in sorted(run_dir.iterdir()):
        if path.name.startswith("."):  # editors' and the atomic writer's temporaries
            skipped.append(path.name)
        elif path.is_dir() and path.name in SKIPPED_DIRS:
            skipped.append(f"{path.name}/")
        elif path.is_file() and not path.is_symlink():
            files.append(path)
        else:
            raise ResultsError(path, "unexpected entry in a run folder (not a plain file)")
    return files, skipped


def _copy_exclusive(src: Path, dst: Path) -> None:
    # O_EXCL: never write through an existing file, whatever raced us.
    fd = os.open(dst, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0), 0o644)
    with os.fdopen(fd, "wb") as out, src.open("rb") as inp:
        shutil.copyfileobj(inp, out)
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


def record(run_dir: Path, history: Path) -> Recorded:
    """Copy the finished run folder ``run_dir`` (``.../<machine>/<run_id>/``) into
    ``history/<machine>/<run_id>/`` (see the module's docstring for the guarantees).

    Raises :class:`ResultsError` naming the file: a corrupt or foreign JSON file (the
    history is then unchanged), or a run already recorded with different content.
    """
    run_dir = Path(run_dir)
    files, skipped = _run_files(run_dir)
    machine_dir = Path(history) / run_dir.absolute().parent.name
    final = machine_dir / run_dir.name
    machine_dir.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=STAGING_PREFIX, dir=machine_dir))
    published = False
    try:
        for src in files:
            _copy_exclusive(src, staging / src.name)
        for copied in sorted(staging.glob("*.json")):
            try:
                check_file(copied)
            except ResultsError as exc:  # name the file of the run, not the staging copy
                raise ResultsError(run_dir / copied.name, exc.reason) from None
        staging.chmod(0o755)  # mkdtemp makes it private; history is for reading
        store.fsync_dir(staging)
        try:
            staging.rename(final)  # os.rename: fails onto a non-empty folder
            published = True
        except OSError as exc:
            if exc.errno not in (errno.EEXIST, errno.ENOTEMPTY) and not final.exists():
                raise
            _same_run(staging, final)
            return Recorded(final, tuple(f.name for f in files), False, tuple(skipped))
        store.fsync_dir(machine_dir)
        return Recorded(final, tuple(f.name for f in files), True, tuple(skipped))
    finally:
        if not published:
            shutil.rmtree(staging, ignore_errors=True)


def record_run(run_dir: Path, history: Path) -> Path:
    """``record`` returning only where the run lies in the history."""
    return record(run_dir, history).path
