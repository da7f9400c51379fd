"""A watchdog that kills a run's process groups if the runner dies, even by SIGKILL.

The runner starts it with a pipe on its standard input and writes ``+PGID`` when a
process group starts and ``-PGID`` once it has ended it. When the pipe closes,
whether the runner exited or was killed, the guardian kills every group still
listed and exits. So no benchmark process outlives the run, whatever ends it.
"""

from __future__ import annotations

import contextlib
import os
import signal
import sys


def main() -> int:
    groups: set[int] = set()
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the runner decides; EOF ends us
    for raw in sys.stdin:
        line = raw.strip()
        if line[:1] in "+-" and line[1:].isdigit():
            (groups.add if line[0] == "+" else groups.discard)(int(line[1:]))
    for pgid in groups:
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(pgid, signal.SIGKILL)
    return 0


if __name__ == "__main__":
    sys.exit(main())
