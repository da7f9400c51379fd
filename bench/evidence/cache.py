"""The evidence cache: a rebuild of the site reuses the verdicts and tables of a build
whose rows and code were the same (and what could not be made then), instead of judging
every claim again (about a second and a half of a warm build).

An entry is one JSON file (data, never code) under the cache folder, named by a key
that hashes the rows judged (their CSV and dtypes), the bytes of every module of
``bench`` and the versions of Python, pandas and numpy: a change to any of them is a
miss. The cache is a folder anyone may have written to, so an entry is served only if
it is of the shape written here, holds the key it is filed under, and its tables hold
no Markdown that the generator never writes (raw HTML, code, links, attribute lists):
anything else is a miss, recomputed and rewritten. Entries are written atomically.
Figures are not in the entry: they have their own cache (``figures.cache``).
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import math
import platform
import re
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

import bench
from bench.report import claims
from bench.report.skipped import Skipped
from bench.results import write
from bench.untrusted import read_regular_file

#: Part of every key: bump it when the entry's layout changes (2: what was not made).
VERSION = "2"
#: Largest entry read back (the baseline's is about 200 KB).
MAX_ENTRY_BYTES = 16 * 2**20
#: What a table made by the generator never holds: every text from the data passes
#: ``markdown.inert``, which escapes these (raw HTML, code, links and attribute lists: a
#: ``[`` or ``{`` after an even number of backslashes); a cached table holding one is not
#: served.
_FOREIGN_MARKDOWN = re.compile(r"[<>`]|(?<!\\)(?:\\\\)*[\[{]")


_ENTRY_NAME = re.compile(r"[0-9a-f]{64}\.json")


def code_fingerprint() -> bytes:
    """A hash of every module of ``bench``: verdicts and tables are made by its code."""
    root = Path(bench.__file__).parent
    digest = hashlib.sha256()
    for path in sorted(root.rglob("*.py")):
        digest.update(path.relative_to(root).as_posix().encode())
        digest.update(b"\0")
        digest.update(path.read_bytes())
        digest.update(b"\0")
    return digest.digest()


def entry_key(latest: pd.DataFrame) -> str:
    """The key of the evidence of ``latest``: its rows, dtypes and the code judging them."""
    digest = hashlib.sha256()
    for part in (VERSION, platform.python_version(), pd.__version__, np.__version__):
        digest.update(part.encode() + b"\0")
    digest.update(code_fingerprint())
    digest.update(json.dumps([[str(c), str(t)] for c, t in latest.dtypes.items()]).encode())
    digest.update(latest.to_csv(index=False, lineterminator="\n").encode())
    return digest.hexdigest()


def entry_path(folder: Path, key: str) -> Path:
    return folder / f"{key}.json"


def _verdicts(data: Any) -> pd.DataFrame | None:
    """The verdict frame in ``data``, if it has the claims' columns, text in every cell
    and a known verdict in each row (the pages take a verdict's kind and title from it)."""
    if not isinstance(data, dict):
        return None
    columns, records = data.get("columns"), data.get("records")
    if columns != list(claims.COLUMNS) or not isinstance(records, list):
        return None
    verdict_at = claims.COLUMNS.index("verdict")
    for record in records:
        if not isinstance(record, list) or len(record) != len(columns):
            return None
        if not all(isinstance(cell, str) for cell in record):
            return None
        if record[verdict_at] not in claims.VERDICTS:
            return None
    return pd.DataFrame(records, columns=columns)


def _tables(data: Any) -> dict[str, str] | None:
    if not isinstance(data, dict):
        return None
    for name, text in data.items():
        if not isinstance(text, str) or _FOREIGN_MARKDOWN.search(text) or "\r" in text:
            return None
        if not isinstance(name, str) or not name.isidentifier():
            return None
    return dict(data)


def _skipped(data: Any) -> list[Skipped] | None:
    """The claims and tables not made, as ``[kind, name, reason]`` texts, and nothing else."""
    if not isinstance(data, list):
        return None
    found = []
    for item in data:
        if not (
            isinstance(item, list) and len(item) == 3 and all(isinstance(t, str) for t in item)
        ):
            return None
        if any(_FOREIGN_MARKDOWN.search(text) or "\n" in text for text in item):
            return None
        found.append(Skipped(*item))
    return found


def load(folder: Path, key: str) -> tuple[pd.DataFrame, dict[str, str], list[Skipped]] | None:
    """The verdicts, tables and what was not made filed under ``key``, or None (missing,
    unreadable, foreign or of another shape: the caller judges again)."""
    raw = read_regular_file(entry_path(folder, key), MAX_ENTRY_BYTES)
    if raw is None:
        return None
    try:
        data = json.loads(raw)
    except (ValueError, RecursionError):
        return None
    if not isinstance(data, dict) or data.get("key") != key or data.get("version") != VERSION:
        return None
    verdicts, tables = _verdicts(data.get("verdicts")), _tables(data.get("tables"))
    skipped = _skipped(data.get("skipped"))
    if verdicts is None or tables is None or skipped is None:
        return None
    return verdicts, tables, skipped


def _plain_cell(value: Any) -> bool:
    """A cell JSON carries exactly: text, None, a bool, an int or a finite float."""
    if type(value) is float:  # not numpy's float64, which JSON would give back as a float
        return math.isfinite(value)
    return value is None or type(value) in (str, bool, int)


def store(
    folder: Path,
    key: str,
    verdicts: pd.DataFrame,
    tables: dict[str, str],
    skipped: Sequence[Skipped] = (),
) -> bool:
    """File the verdicts and tables under ``key``, if they read back the same: a verdict
    frame JSON cannot carry exactly (a NaN, a numpy value, a dtype that the frame rebuilt
    from JSON does not infer) or a table the reader would refuse is not cached. Whether
    it was written."""
    records = [list(row) for row in verdicts.itertuples(index=False)]
    if not all(_plain_cell(cell) for row in records for cell in row):
        return False
    data = {
        "version": VERSION,
        "key": key,
        "verdicts": {"columns": [str(c) for c in verdicts.columns], "records": records},
        "tables": tables,
        "skipped": [[why.kind, why.name, why.reason] for why in skipped],
    }
    back = _verdicts(data["verdicts"])
    if back is None or not back.equals(verdicts) or not back.index.equals(verdicts.index):
        return False
    if not back.dtypes.equals(verdicts.dtypes):
        return False
    if _tables(tables) is None or _skipped(data["skipped"]) is None:
        return False
    with write.atomic_writer(entry_path(folder, key)) as f:
        json.dump(data, f, ensure_ascii=False, separators=(",", ":"))
    for stale in folder.glob("*.json"):  # one entry per folder: older rows or code are gone
        if _ENTRY_NAME.fullmatch(stale.name) and stale.name != entry_path(folder, key).name:
            with contextlib.suppress(OSError):  # a folder planted there: left alone
                stale.unlink()
    return True
