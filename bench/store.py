"""Where results live and how they are written: ``results/<machine>/<run>/``.

A run folder holds one pyperf suite file per interpreter (``<interpreter>.json``,
readable by ``python -m pyperf stats`` / ``compare_to``) and a manifest,
``run.json``, that says what the run was (profile, rounds, interpreters), what
failed and what was skipped. Every write is atomic (temporary file, fsync,
rename), so a run killed half-way leaves the files written before it whole and
no partial file behind.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import tempfile
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

#: Version of what we add to pyperf's format (metadata keys, the manifest). Bump on change.
SCHEMA_VERSION = 1
MANIFEST_NAME = "run.json"
MANIFEST_KIND = "threads-or-processes/run"


@contextlib.contextmanager
def atomic_writer(path: Path) -> Iterator[Any]:
    """Open a temporary file beside ``path``; on success fsync it and rename it over ``path``."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as f:
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


def slug(text: str, limit: int = 60) -> str:
    """A lower-case file-name-safe form of ``text``."""
    cleaned = re.sub(r"[^a-z0-9.]+", "-", text.lower()).strip("-.")
    return cleaned[:limit].rstrip("-.") or "unknown"


def utc_now() -> datetime:
    return datetime.now(UTC)


def run_id(when: datetime, profile: str) -> str:
    return f"{when:%Y-%m-%dT%H-%M-%SZ}-{slug(profile)}"


def create_run_dir(results: Path, machine: str, profile: str, when: datetime) -> Path:
    """Make a new, empty run folder; never reuses one (a suffix tells same-second runs apart)."""
    base = results / slug(machine) / run_id(when, profile)
    base.parent.mkdir(parents=True, exist_ok=True)
    for n in range(1000):
        candidate = base if n == 0 else base.with_name(f"{base.name}-{n}")
        try:
            candidate.mkdir()
        except FileExistsError:
            continue
        return candidate
    raise RuntimeError(f"could not create a new run folder beside {base}")


#: Counts and outcomes pyperf cannot hold (it stores only positive numbers) live
#: beside the interpreter's suite file, in ``<interpreter>.outcomes.json``:
#: ``{"kind", "schema_version", "run_id", "interpreter", "records": [record, ...]}``
#: where a record is ``{"benchmark", "metric", "unit", "values", "metadata"}`` and
#: the metadata carries the same keys as a pyperf benchmark's (params, round, machine).
OUTCOMES_SUFFIX = ".outcomes.json"
OUTCOMES_KIND = "threads-or-processes/outcomes"


def outcome_record(
    benchmark: str, metric: str, unit: str, values: list[Any], metadata: dict[str, Any]
) -> dict[str, Any]:
    return {
        "benchmark": benchmark,
        "metric": metric,
        "unit": unit,
        "values": list(values),
        "metadata": dict(metadata),
    }


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
