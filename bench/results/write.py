"""How results are written: atomically (temporary file, fsync, rename).

A run killed half-way leaves the files written before it whole and no partial file behind.
"""

from __future__ import annotations

import contextlib
import json
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from bench.results.schema import OUTCOMES_KIND, SCHEMA_VERSION, OutcomeRecord


@contextlib.contextmanager
def naming(path: Path) -> Iterator[None]:
    """Errors writing ``path`` name it: fsync and write fail with no file name (a full
    disk), and the one line a user reads must say which file could not be written."""
    try:
        yield
    except OSError as exc:
        if exc.filename is not None:
            raise
        raise OSError(exc.errno, exc.strerror or str(exc), str(path)) from exc


@contextlib.contextmanager
def atomic_writer(path: Path) -> Iterator[Any]:
    """Open a temporary file beside ``path``; on success fsync it and rename it over ``path``."""
    with naming(path):
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with naming(path), os.fdopen(fd, "w", encoding="utf-8") as f:
            yield f
            f.flush()
            os.fsync(f.fileno())
        os.chmod(tmp, 0o644)  # mkstemp makes it private; results are for reading
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise
    fsync_dir(path.parent)


def fsync_dir(folder: Path) -> None:
    # Makes the rename itself durable; not possible (nor needed) on Windows.
    if os.name == "posix":
        fd = os.open(folder, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


def write_json(path: Path, data: Any) -> None:
    with atomic_writer(path) as f:
        json.dump(data, f, indent=2, sort_keys=True)
        f.write("\n")


def write_suite(path: Path, suite: Any) -> None:
    """Write a ``pyperf.BenchmarkSuite`` atomically, in pyperf's own JSON format."""
    with atomic_writer(path) as f:
        suite.dump(f, compact=False)


def outcome_record(
    benchmark: str, metric: str, unit: str, values: list[Any], metadata: dict[str, Any]
) -> dict[str, Any]:
    return OutcomeRecord(benchmark, metric, unit, list(values), dict(metadata)).to_json()


def write_outcomes(path: Path, run: str, interpreter: str, records: list[dict[str, Any]]) -> None:
    write_json(
        path,
        {
            "kind": OUTCOMES_KIND,
            "schema_version": SCHEMA_VERSION,
            "run_id": run,
            "interpreter": interpreter,
            "records": records,
        },
    )
