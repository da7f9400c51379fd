"""The other Pythons on this machine that tests run the suite in, found the way a user would.

Each is looked up where this project's tools put it (``BENCH_FT_PYTHON``, set by
``.ci/run``; pyenv's versions; ``../shared/tools/debian-python``'s wrappers), and the
suite's own venv for it (``bench.interpreters.prepare``, with the extras) is what a test
runs: so a test never depends on a venv an earlier run happened to leave. A test that
needs one where it is absent skips, saying which and how to get it.
"""

from __future__ import annotations

import functools
import os
from pathlib import Path

import pytest

from bench import interpreters

#: The free-threaded 3.13 that ``../shared/tools/build-free-threaded-python`` builds.
FREE_THREADED = Path(os.environ.get("BENCH_FT_PYTHON", "/opt/py313t/bin/python3.13t"))
#: A GIL build of 3.13 (pyenv's), where subinterpreters need ``backports.interpreters``.
GIL_313 = Path.home() / ".pyenv" / "versions" / "3.13.0" / "bin" / "python3.13"
#: Debian's builds (``../shared/tools/debian-python 3.14 3.15``).
DEBIAN = {series: Path(f"/opt/py{series.replace('.', '')}/bin/python{series}")
          for series in ("3.14", "3.15")}  # fmt: skip

HOW_TO_GET = {
    FREE_THREADED: "../shared/tools/build-free-threaded-python (or set BENCH_FT_PYTHON)",
    GIL_313: "pyenv install 3.13.0",
    **{path: f"../shared/tools/debian-python {series}" for series, path in DEBIAN.items()},
}


def require(python: Path) -> Path:
    """``python`` itself, or skip the test saying how to get it."""
    if not python.exists():
        pytest.skip(f"no {python} here: {HOW_TO_GET.get(python, 'install it')}")
    return python


@functools.cache
def _prepared(python: Path) -> Path:
    found = interpreters.prepare(interpreters.parse(str(python)))
    return Path(found.executable)


def prepared(python: Path) -> Path:
    """The interpreter the suite runs for ``python``: its venv with pyperf, psutil and the
    extras (made once per machine, shared by the test workers), or ``python`` itself when
    it has them already. Skips where ``python`` is absent."""
    return _prepared(require(python))
