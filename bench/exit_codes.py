"""The exit codes of ``python -m bench``, in one place (the README has the table).

Scripts tell the outcomes apart by these numbers: ``scripts/nightly.sh`` records a run
that exited ``FAILURES`` (it is whole; what failed is in its manifest) and never one
that exited ``NOT_WRITTEN``, ``USAGE`` or ``INTERRUPTED``.
"""

from __future__ import annotations

#: Everything asked was done and nothing failed.
OK = 0
#: The work was done and found failures: cases that failed (``run``; they are in
#: ``run.json``), bad or no results files (``validate``), a run refused (``record``).
FAILURES = 1
#: Bad usage: argparse's own code for a bad option, also a selection matching no case,
#: an unusable interpreter, a folder that does not exist.
USAGE = 2
#: Results could not be written (disk full, read-only folder, any OSError writing
#: them): the run is not whole and must not be recorded.
NOT_WRITTEN = 3
#: Stopped by Ctrl-C, SIGTERM or SIGHUP (128 + SIGINT, as a shell reports it); what
#: was measured before is kept, but the run is not complete.
INTERRUPTED = 130

__all__ = ["FAILURES", "INTERRUPTED", "NOT_WRITTEN", "OK", "USAGE"]
