"""Reading files that anyone may have planted (a restored CI cache, a shared folder).

A cache entry or a cached figure is read only as a regular file of bounded size,
never through a symbolic link and never by blocking on a pipe; whatever is wrong
with it makes it absent (``None``), so the caller computes it again.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path


def read_regular_file(path: Path, limit: int) -> bytes | None:
    """The bytes of ``path`` if it is a regular file of at most ``limit`` bytes, not
    reached through a symbolic link (its last part); otherwise None."""
    flags = os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_NONBLOCK", 0)
    try:
        fd = os.open(path, flags | getattr(os, "O_BINARY", 0))
    except OSError:
        return None
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode) or info.st_size > limit:
            return None
        with os.fdopen(os.dup(fd), "rb") as f:
            data = f.read(limit + 1)
    except (OSError, ValueError):
        return None
    finally:
        os.close(fd)
    return data if len(data) <= limit else None  # grown since the stat: not ours
