"""The raw results files as the site offers them: without the home folder of the machine
that measured them.

A results file records where its interpreter lived (``python_executable``, the configure
arguments' ``--prefix``, the manifest's interpreter specs): under a home folder, that is a
user name and a layout of someone's machine, which the pages never show. The downloads get
a copy with each home folder written ``~``; the files in ``results/`` stay as measured.
"""

from __future__ import annotations

import re
from pathlib import Path

from bench.results import write

#: A home folder at the start of an absolute path: after a quote, a space, "=", ":", ","
#: or ";" (a PATH list, ``-Wl,-rpath,``), "(" or a compiler's ``-L``/``-I``, never in the
#: middle of a path ("/srv/root" stays). POSIX: /root, /home/<user>, /Users/<user>.
POSIX_HOME = re.compile(
    r"(?:^|(?<=[\s\"'=:,;(])|(?<=-[LI]))"
    r"(?:/root|/home/[^/\s\"'\\]+|/Users/[^/\s\"'\\]+)"
    r"(?=[/\s\"'\\]|$)",
    re.MULTILINE,
)
#: Windows: C:\Users\<user>, its backslashes escaped in JSON or not.
WINDOWS_HOME = re.compile(r"\b[A-Za-z]:(?:\\\\|\\)Users(?:\\\\|\\)[^\\/\s\"']+")
HOME = "~"


def without_home(text: str) -> str:
    """``text`` with every home folder at the start of a path written ``~``."""
    return WINDOWS_HOME.sub(HOME, POSIX_HOME.sub(HOME, text))


def shareable(source: Path, copy: Path) -> Path:
    """``source`` itself when it names no home folder; else ``copy``, written (only when it
    changed) with every home folder as ``~``. The copy is what a download offers.

    A stamp beside the copy (the source's size and modification time, and the answer)
    lets a warm build skip reading and rewriting a file that did not change."""
    stamp = copy.with_name(copy.name + ".stamp")
    info = source.stat()
    key = f"{info.st_size} {info.st_mtime_ns}"
    known = stamp.read_text(encoding="utf-8") if stamp.is_file() else ""
    if known == f"{key} same":
        return source
    if known == f"{key} copy" and copy.is_file():
        return copy
    text = source.read_text(encoding="utf-8")
    shared = without_home(text)
    if shared != text and (not copy.exists() or copy.read_text(encoding="utf-8") != shared):
        with write.atomic_writer(copy) as f:
            f.write(shared)
    with write.atomic_writer(stamp) as f:
        f.write(f"{key} {'same' if shared == text else 'copy'}")
    return source if shared == text else copy
