"""The interactive prompt on a pseudo-terminal: an interpreter that sees a terminal on its
standard input, as a person's REPL does, and lines typed at its prompt.

``python -`` (a program piped to standard input) is not a REPL: its ``__main__`` is read
from ``<stdin>``, and a spawned child fails another way (it tries to open that file). Only
a terminal makes the interpreter interactive, with a ``__main__`` that no child can import
(``<module '__main__' (built-in)>``). Standard library only; POSIX only (``pty``).
"""

from __future__ import annotations

import contextlib
import os
import re
import select
import signal
import subprocess
import time

#: The prompts, as both REPLs (3.13's new one and the basic one) print them: the primary
#: one, and the one that asks for more of a statement (an empty line ends it).
PROMPTS = (">>> ", "... ")
#: Terminal control sequences (colours, cursor moves, bracketed paste...): not text.
_CONTROL = re.compile(
    r"\x1b\[[0-?]*[ -/]*[@-~]|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)|\x1b[()=>][0-9A-Za-z]?"
)
#: How long the interpreter may take to leave once its input has ended.
EXIT_WAIT_S = 10.0
#: The terminal's size: wide enough that a typed line never wraps.
ROWS, COLUMNS = 50, 400


def unavailable() -> str | None:
    """Why this platform runs no REPL on a pseudo-terminal, or None."""
    try:
        import pty  # noqa: F401  (only its presence matters: os.openpty does the work)
        import termios  # noqa: F401
    except ImportError:
        return "no pseudo-terminal on this platform"
    return None


def plain(raw: bytes) -> str:
    """What a terminal shows as text: control sequences and carriage returns removed."""
    text = raw.decode("utf-8", errors="replace")
    return _CONTROL.sub("", text).replace("\r", "")


def _open_terminal() -> tuple[int, int]:
    import fcntl
    import struct
    import termios

    main, side = os.openpty()
    fcntl.ioctl(side, termios.TIOCSWINSZ, struct.pack("HHHH", ROWS, COLUMNS, 0, 0))
    return main, side


def session(
    command: list[str],
    lines: list[str],
    *,
    env: dict[str, str],
    cwd: str,
    timeout_s: float,
    done: str,
) -> tuple[str, int | None]:
    """Start ``command`` on a pseudo-terminal, type each of ``lines`` at the next prompt, read
    until ``done`` and a line end follow the last one (or ``timeout_s`` passes), then end
    the input (Ctrl-D) and wait for the exit. Returns what the terminal showed, as text,
    and the exit code: None when it had to be killed (its whole session)."""
    main, side = _open_terminal()
    try:
        child = subprocess.Popen(command, stdin=side, stdout=side, stderr=side, env=env,
                                 cwd=cwd, start_new_session=True)  # fmt: skip
    except BaseException:
        os.close(main)
        raise
    finally:
        os.close(side)  # the child holds its own: the end of its output reads as EOF here
    shown = bytearray()
    try:
        deadline = time.monotonic() + timeout_s
        pending, seen = list(lines), 0
        while time.monotonic() < deadline:
            if not _read(main, shown, 0.05):
                break  # every holder of the terminal is gone
            text = plain(bytes(shown))
            if pending and any(p in text[seen:] for p in PROMPTS):
                seen = len(text)
                os.write(main, pending.pop(0).encode() + b"\r")
            elif not pending and _line_of(done, text[seen:]):
                # Ctrl-D ends the input only at an empty prompt: typed while the last line
                # still runs, it is read as part of that line's input and lost.
                _read_until_prompt(main, shown, after=len(text), deadline=deadline)
                break
        os.write(main, b"\x04")  # Ctrl-D at the prompt: the end of the input
        code = _wait(child, main, shown)
    finally:
        os.close(main)
    return plain(bytes(shown)), code


def _read_until_prompt(main: int, shown: bytearray, *, after: int, deadline: float) -> None:
    """Read until the primary prompt shows after the first ``after`` characters of text."""
    limit = min(deadline, time.monotonic() + EXIT_WAIT_S)
    while time.monotonic() < limit:
        if PROMPTS[0] in plain(bytes(shown))[after:] or not _read(main, shown, 0.05):
            return


def _line_of(start: str, text: str) -> bool:
    """Whether ``text`` holds a whole line that begins with ``start``."""
    at = text.find(start)
    return at >= 0 and "\n" in text[at:]


def _read(main: int, into: bytearray, wait_s: float) -> bool:
    """Append what the terminal has within ``wait_s``; False once nobody holds it."""
    ready, _, _ = select.select([main], [], [], wait_s)
    if not ready:
        return True
    try:
        chunk = os.read(main, 65536)
    except OSError:  # EIO: the other side is closed
        return False
    into += chunk
    return bool(chunk)


def _wait(child: subprocess.Popen[bytes], main: int, shown: bytearray) -> int | None:
    """The exit code once the interpreter leaves (reading on, so it never blocks on a full
    terminal), or None after killing its session (it, and the workers it started)."""
    deadline = time.monotonic() + EXIT_WAIT_S
    next_eof = time.monotonic() + 1.0
    while child.poll() is None and time.monotonic() < deadline:
        _read(main, shown, 0.05)
        if time.monotonic() >= next_eof:  # a Ctrl-D lost to a line still running: again
            with contextlib.suppress(OSError):
                os.write(main, b"\x04")
            next_eof += 1.0
    code = child.poll()
    with contextlib.suppress(ProcessLookupError):
        os.killpg(child.pid, signal.SIGKILL)  # its workers too, whatever it left
    if code is None:
        child.wait()
    return code
