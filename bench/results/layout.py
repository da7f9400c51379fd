"""Where results live: ``<results>/<machine>/<run>/<file>.json``, and paths kept inside it.

Identifiers that become folder or file names (machine, run id, interpreter label)
match :data:`IDENTIFIER`; a path built for writing or copying is checked with
:func:`inside` against the root it must stay in.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from pathlib import Path

MANIFEST_NAME = "run.json"

#: Counts and outcomes pyperf cannot hold (it stores only positive numbers) live
#: beside the interpreter's suite file, in ``<interpreter>.outcomes.json``.
OUTCOMES_SUFFIX = ".outcomes.json"

#: Path depth of a results file below a results folder: ``<machine>/<run>/<file>.json``.
LAYOUT_DEPTH = 3

#: What a machine, run id or interpreter label may be: it names a folder or a file.
IDENTIFIER = re.compile(r"[A-Za-z0-9][A-Za-z0-9._+-]{0,127}")


def is_identifier(text: object) -> bool:
    """True when ``text`` can safely name a folder or file (no ``/``, no ``..``, no dot first)."""
    return isinstance(text, str) and IDENTIFIER.fullmatch(text) is not None and ".." not in text


def inside(root: Path, path: Path) -> Path:
    """``path`` resolved, or ValueError when it leads outside ``root`` (links followed)."""
    resolved = path.resolve()
    if not resolved.is_relative_to(root.resolve()):
        raise ValueError(f"{path} leads outside {root}")
    return resolved


def slug(text: str, limit: int = 60) -> str:
    """A lower-case file-name-safe form of ``text``."""
    cleaned = re.sub(r"[^a-z0-9.]+", "-", text.lower()).strip("-.")
    return cleaned[:limit].rstrip("-.") or "unknown"


def utc_now() -> datetime:
    return datetime.now(UTC)


#: How a run id spells its start (UTC, to the second), before ``-<profile>``.
RUN_START_FORMAT = "%Y-%m-%dT%H-%M-%SZ"
#: A run id as the runner makes it: its start, the profile's slug, and a ``-<n>`` suffix
#: for a second run started in the same second.
RUN_ID = re.compile(r"(?P<start>\d{4}-\d\d-\d\dT\d\d-\d\d-\d\dZ)-[a-z0-9][a-z0-9.-]*")


def run_id(when: datetime, profile: str) -> str:
    return f"{when:{RUN_START_FORMAT}}-{slug(profile)}"


def run_start(run: str) -> datetime | None:
    """When the run named ``run`` started (UTC), as its id spells it; None for a name
    that is not a run id the runner makes."""
    match = RUN_ID.fullmatch(run)
    if match is None:
        return None
    try:
        return datetime.strptime(match["start"], RUN_START_FORMAT).replace(tzinfo=UTC)
    except ValueError:  # 2026-13-45: the shape of a date, not a date
        return None


def create_run_dir(results: Path, machine: str, profile: str, when: datetime) -> Path:
    """Make a new, empty run folder; never reuses one (a suffix tells same-second runs apart).

    The machine folder is named ``machine`` itself, the name the files record: the reader
    refuses a file whose folders name another machine."""
    if not is_identifier(machine):
        raise ValueError(f"machine {machine!r} is not a plain name (letters, digits, ._+-)")
    base = results / machine / run_id(when, profile)
    base.parent.mkdir(parents=True, exist_ok=True)
    for n in range(1000):
        candidate = base if n == 0 else base.with_name(f"{base.name}-{n}")
        try:
            candidate.mkdir()
        except FileExistsError:
            continue
        return candidate
    raise RuntimeError(f"could not create a new run folder beside {base}")
