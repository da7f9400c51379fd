"""A watchdog that kills a run's process groups if the runner dies, even by SIGKILL.

The runner starts it with a pipe on its standard input and writes ``+PGID`` when a
process group starts and ``-PGID`` once it has ended it, and ``@PATH`` for each
scratch folder of the run. When the pipe closes, whether the runner exited or was
killed, the guardian kills every group still listed, then deletes the scratch folders
still there, and exits. So no benchmark process and no scratch folder outlives the
run, whatever ends it.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import sys
import tempfile
from pathlib import Path

#: The scratch folders the runner makes (``tempfile.mkdtemp(prefix=...)``); the folders a
#: case makes (a Dask cluster's) lie inside ``bench-out-*`` (``models.base.scratch_folder``).
SCRATCH_PREFIXES = ("bench-files-", "bench-out-")


def is_scratch_folder(path: Path) -> bool:
    """A folder the runner made in the temporary folder; nothing else is ever deleted.

    The guardian deletes whole trees on the word of a pipe, so it holds them to the
    names and the place the runner uses.
    """
    return (
        path.is_absolute()
        and path.name.startswith(SCRATCH_PREFIXES)
        and path.parent == Path(tempfile.gettempdir())
        and path.is_dir()
        and not path.is_symlink()
    )


def main() -> int:
    groups: set[int] = set()
    scratch: list[Path] = []
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the runner decides; EOF ends us
    for raw in sys.stdin:
        line = raw.rstrip("\n")
        if line[:1] in "+-" and line[1:].isdigit():
            (groups.add if line[0] == "+" else groups.discard)(int(line[1:]))
        elif line.startswith("@"):
            scratch.append(Path(line[1:]))
    for pgid in groups:
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(pgid, signal.SIGKILL)
    # After the kills, so no benchmark process is still writing into them.
    for folder in scratch:
        if is_scratch_folder(folder):
            shutil.rmtree(folder, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
