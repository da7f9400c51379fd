"""What breaks, where: classic multiprocessing mistakes, per start method and process API.

Each case writes a small program, exactly as a user would (a lambda as the task, a
function typed at a REPL, a script without its ``if __name__ == "__main__"`` guard, a
fork while a thread runs, an argument or result that cannot be pickled), and runs it
in a child interpreter of the interpreter under test, with a deadline. The REPL is the
real one: the interpreter on a pseudo-terminal, its function typed at the prompt. The program
tries the mistake once with one process API (``apis.py``: ``multiprocessing.Process``,
``ProcessPoolExecutor``, ``multiprocessing.Pool``) and one start method, and prints what
happened. Recorded:
``outcome``, a text, "works" or the exception's type and first line (plus what a
worker printed when it died, and any warning the program showed), and ``works``, a flag.

The child runs with the user's default warning filters, except the case that turns
warnings on (``-W default``): the fork ``DeprecationWarning`` is shown only then.
Standard library only at the top: the case script imports this module in the
interpreter under test. Over 400 lines on purpose: most of it is the mistakes
themselves, each a small program kept as data.
"""

from __future__ import annotations

import contextlib
import os
import re
import subprocess
import sys
import tempfile
import textwrap
import time
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from bench.families.pitfalls import prompt
from bench.families.pitfalls.apis import PROCESS_APIS, ProcessApi
from bench.measurement import Measurement
from bench.models.base import SCRATCH_DIR_ENV

if TYPE_CHECKING:
    from bench.cases import Case
#: How much longer than its own wait for a result the whole program may take (start-up
#: of the interpreter and its workers on a busy machine) before it is killed.
STARTUP_GRACE_S = 30.0
#: The prefix of the program's one line of report on its stdout.
REPORT = "PITFALL"
#: The longest outcome text kept (a results file allows 2,000 characters).
MAX_TEXT = 400
SCRIPT_NAME = "pitfall.py"


@dataclass(frozen=True)
class Pitfall:
    """One mistake: how to write it, and how to run the program that makes it."""

    name: str  # Case.variant
    label: str  # what a reader sees in the table
    definitions: str  # module-level code that defines TASK, ARGS, EXPECTED
    guarded: bool = True  # the attempt sits under ``if __name__ == "__main__":``
    #: Typed at the interactive prompt (``definitions`` one line a statement), the rest of
    #: the program run there from its file: the REPL's ``__main__`` has no file to import.
    interactive: bool = False
    warnings_on: bool = False  # run with ``-W default``
    needs_result: bool = False  # tried only with the APIs that return a result
    #: Tried only where this interpreter runs subinterpreters (else the outcome says why).
    needs_subinterpreters: bool = False


_WORK = """
def work(x):
    return x * 2

TASK, ARGS, EXPECTED = work, (21,), 42
"""

_THREAD_RUNNING = (
    _WORK
    + """
threading.Thread(target=time.sleep, args=(60,), daemon=True).start()
"""
)

#: A subinterpreter made (and used) before the workers start; it stays alive. The
#: spawned or forkserver child re-imports this program, but under another __name__.
_SUBINTERPRETER_MADE = (
    _WORK
    + """
import sys

if sys.version_info >= (3, 14):
    from concurrent import interpreters
else:
    from backports import interpreters

if __name__ == "__main__":
    SUBINTERPRETER = interpreters.create()
    SUBINTERPRETER.exec("answer = 6 * 7")
"""
)

PITFALLS: dict[str, Pitfall] = {
    p.name: p
    for p in (
        Pitfall(
            "main_script",
            "a function defined in __main__, run as a script (the reference)",
            _WORK,
        ),
        Pitfall(
            "lambda",
            "a lambda as the target or task",
            "TASK, ARGS, EXPECTED = (lambda x: x * 2), (21,), 42\n",
        ),
        Pitfall(
            "closure",
            "a closure (a function defined in a function)",
            """
def make_task(factor):
    def task(x):
        return x * factor
    return task

TASK, ARGS, EXPECTED = make_task(2), (21,), 42
""",
        ),
        Pitfall(
            "repl",
            "a function typed at the interactive prompt (a REPL on a pseudo-terminal)",
            "def work(x): return x * 2\nTASK, ARGS, EXPECTED = work, (21,), 42\n",
            interactive=True,
        ),
        Pitfall(
            "no_guard",
            "no if __name__ == '__main__' guard",
            _WORK,
            guarded=False,
        ),
        Pitfall(
            "fork_threads_warned",
            "a thread running when the workers start, warnings on (-W default)",
            _THREAD_RUNNING,
            warnings_on=True,
        ),
        Pitfall(
            "fork_threads",
            "a thread running when the workers start, default warning filters",
            _THREAD_RUNNING,
        ),
        Pitfall(
            "lock_argument",
            "an unpicklable argument (a threading.Lock)",
            """
def use(lock):
    return 42

TASK, ARGS, EXPECTED = use, (threading.Lock(),), 42
""",
        ),
        Pitfall(
            "generator_result",
            "an unpicklable result (a generator)",
            """
def numbers(n):
    return (i for i in range(n))

TASK, ARGS, EXPECTED = numbers, (3,), None
""",
            needs_result=True,
        ),
        Pitfall(
            "fork_after_subinterpreters",
            "a subinterpreter created before the workers start",
            _SUBINTERPRETER_MADE,
            needs_subinterpreters=True,
        ),
    )
}

#: What every program starts with. The try/except reports only in the program itself:
#: a spawned child that re-imports an unguarded script must fail as the user's would.
_PROLOGUE = """
import multiprocessing, threading, time

METHOD, WAIT_S = {method!r}, {wait!r}
"""

_REPORTING = """
def report(kind, detail=""):
    print("PITFALL", kind, detail.replace("\\n", " "), sep="\\t", flush=True)


def describe(exc):
    lines = [line.strip() for line in str(exc).splitlines() if line.strip()]
    return type(exc).__name__ + (": " + lines[0] if lines else "")


def checked(result):
    if EXPECTED is None or result == EXPECTED:
        return "works", ""
    return "wrong", repr(result)[:80]
"""

_MAIN = """
def main():
    context = multiprocessing.get_context(METHOD)
    if __name__ != "__main__":  # a child re-running this program: fail as the user's would
        attempt(context)
        return
    try:
        kind, detail = attempt(context)
    except Exception as exc:
        kind, detail = "raised", describe(exc)
    report(kind, detail)
"""


def applies(pitfall: Pitfall, api: ProcessApi) -> bool:
    """Whether ``pitfall`` is tried with ``api`` (a result needs an API that returns one)."""
    return api.returns_result or not pitfall.needs_result


def program(pitfall: Pitfall, api: ProcessApi, method: str, wait_s: float) -> str:
    """The whole program of one attempt: what a user would have written, then the try. At
    the interactive prompt, what is typed there (``typed``) is left out."""
    call = 'if __name__ == "__main__":\n    main()\n' if pitfall.guarded else "main()\n"
    if pitfall.interactive:
        return "".join((_PROLOGUE.format(method=method, wait=wait_s), _REPORTING, api.attempt,
                        _MAIN))  # fmt: skip
    return "".join(
        (
            _PROLOGUE.format(method=method, wait=wait_s),
            textwrap.dedent(pitfall.definitions),
            _REPORTING,
            api.attempt,
            _MAIN,
            "\n",
            call,
        )
    )


def typed(pitfall: Pitfall, script: Path) -> list[str]:
    """The lines a user types at the prompt: the rest of the program run from its file, the
    definitions (one statement a line), then the attempt."""
    run_file = f"exec(open({str(script)!r}, encoding='utf-8').read())"
    lines = [run_file]
    for line in textwrap.dedent(pitfall.definitions).strip().splitlines():
        # a compound statement on one line ("def f(x): ...") ends with an empty line
        lines += [line, ""] if line.rstrip().endswith(":") or line.startswith(COMPOUND) else [line]
    return [*lines, "main()"]


#: Statements whose one-line form the prompt completes only at an empty line.
COMPOUND = ("def ", "class ", "if ", "for ", "while ", "with ", "try:", "async ")


# --- reading what the program printed ---------------------------------------------------

_TRACEBACK = "Traceback (most recent call last):"
_WARNING = re.compile(r"\b([A-Z]\w*Warning): (.+)$")
#: The child's scratch folder, wherever the temporary folder is: not part of the outcome.
_FOLDER = re.compile(r"[^\s'\"]*bench-files-pitfall-[^\\/\s'\"]+[\\/]")


def normalise(text: str) -> str:
    """One line, with what differs run to run (addresses, pids, folders) made constant."""
    text = re.sub(r"0x[0-9a-fA-F]+", "0x...", text)
    text = re.sub(r"pid=\d+", "pid=N", text)
    text = _FOLDER.sub("", text)
    text = " ".join(text.split())
    return text if len(text) <= MAX_TEXT else text[: MAX_TEXT - 3] + "..."


def last_error(stderr: str) -> str | None:
    """The last exception a traceback on ``stderr`` ended with: ``Type: first line``."""
    lines = stderr.splitlines()
    found = None
    for i, line in enumerate(lines):
        if not line.startswith(_TRACEBACK):
            continue
        rest = lines[i + 1 :]
        at = next((j for j, ln in enumerate(rest) if ln and not ln[0].isspace()), None)
        if at is None:
            continue
        kind, _, message = rest[at].partition(":")
        message = message.strip()
        if not message:  # a message on the next lines (spawn's RuntimeError): its paragraph
            paragraph: list[str] = []
            for ln in rest[at + 1 :]:
                if not ln.strip():
                    if paragraph:
                        break
                    continue
                paragraph.append(ln.strip())
            message = " ".join(paragraph)
        found = kind.strip().rsplit(".", 1)[-1] + (f": {message}" if message else "")
    return found


_FATAL = re.compile(r"^Fatal Python error: (.+)$", re.MULTILINE)


def fatal_error(stderr: str) -> str | None:
    """The interpreter's own abort message (no traceback comes with it), if it printed one."""
    match = _FATAL.search(stderr)
    return f"Fatal Python error: {match.group(1).strip()}" if match else None


def first_warning(stderr: str) -> str | None:
    """The first warning the program showed, but for the resource tracker's leaked
    semaphores: those come from the hung pools this module kills, not from the mistake."""
    for line in stderr.splitlines():
        if "resource_tracker" in line:
            continue
        if match := _WARNING.search(line):
            return f"{match.group(1)}: {match.group(2).strip()}"
    return None


def describe_outcome(stdout: str, stderr: str, returncode: int | None, wait_s: float) -> str:
    """The table's text for one attempt, from what its program printed."""
    report = next((ln for ln in stdout.splitlines() if ln.startswith(REPORT + "\t")), None)
    kind, detail = "", ""
    if report is not None:
        kind, detail = ([*report.split("\t", 2), ""])[1:3]
    if returncode is None:
        text = f"the program hung past {wait_s + STARTUP_GRACE_S:g} s and was killed"
    elif report is None:
        text = f"the program failed (exit code {returncode})"
    else:
        text = {
            "works": "works",
            "raised": detail,
            "exit": f"the process exited with code {detail}",
            "hangs": f"no result in {wait_s:g} s (hangs)",
            "wrong": f"a wrong result: {detail}",
        }.get(kind, f"unknown report {kind!r}")
    # What a worker (or the program) printed when it died says why; a pool's own
    # exception (BrokenProcessPool) often does not.
    error = fatal_error(stderr) or last_error(stderr)  # an abort says more than a traceback
    if error and kind != "works" and error.split(":")[0] != detail.split(":")[0]:
        text += f"; printed {error}"
    warning = first_warning(stderr)
    if warning:
        text += f"; warned {warning}"
    return normalise(text)


def works(text: str) -> bool:
    return text == "works" or text.startswith("works; warned")


# --- running one attempt ----------------------------------------------------------------


def run_attempt(pitfall: Pitfall, api: ProcessApi, method: str, wait_s: float) -> str:
    """Write the program, run it in a child interpreter, return the outcome's text."""
    import multiprocessing

    from bench.interpreters import case_environment, interpreter_options

    if method not in multiprocessing.get_all_start_methods():
        return f"n/a: no {method} start method on this platform"
    if pitfall.needs_subinterpreters and (reason := _no_subinterpreters()):
        return f"n/a: {reason}"
    if pitfall.interactive and (reason := prompt.unavailable()):
        return f"n/a: {reason}"
    source = program(pitfall, api, method, wait_s)
    options = [*interpreter_options(), *(["-W", "default"] if pitfall.warnings_on else [])]
    env = case_environment({})
    env.pop("PYTHONWARNINGS", None)  # the user's defaults, not those of whoever runs us
    # In the run's scratch, which the watchdog deletes should this case be killed.
    scratch = os.environ.get(SCRATCH_DIR_ENV) or None
    with tempfile.TemporaryDirectory(prefix="bench-files-pitfall-", dir=scratch) as folder:
        script = Path(folder, SCRIPT_NAME)
        script.write_text(source, encoding="utf-8")
        if pitfall.interactive:
            # The terminal merges what the program and its workers print: both are read.
            shown, code = prompt.session([sys.executable, *options], typed(pitfall, script),
                                         env=env | PLAIN_TERMINAL, cwd=folder, done=REPORT,
                                         timeout_s=wait_s + STARTUP_GRACE_S)  # fmt: skip
            return describe_outcome(at_prompt(shown), at_prompt(shown), code, wait_s)
        stdout, stderr, code = _run([sys.executable, *options, str(script)], env, folder,
                                    wait_s + STARTUP_GRACE_S)  # fmt: skip
    return describe_outcome(stdout, stderr, code, wait_s)


#: A terminal a user might have, without colours (no control sequences in the output).
PLAIN_TERMINAL = {"TERM": "xterm", "NO_COLOR": "1", "PYTHON_COLORS": "0"}


def at_prompt(shown: str) -> str:
    """What a session showed, each line without the prompt it may follow (a worker's
    traceback can start on the prompt's line)."""
    return "\n".join(re.sub(r"^(?:(?:>>>|\.\.\.) ?)+", "", line) for line in shown.splitlines())


def _no_subinterpreters() -> str | None:
    """Why this interpreter runs no subinterpreters, or None (the registry's own check)."""
    from bench.models import Role, model_of, unavailable_models

    try:
        model = model_of(Role.SUBINTERPRETERS)
    except LookupError:
        return "no registered model runs subinterpreters"
    return unavailable_models().get(model)


def _run(
    command: list[str], env: dict[str, str], cwd: str, timeout_s: float
) -> tuple[str, str, int | None]:
    """Run ``command``; kill it and whatever it started once it reports or overstays.
    The exit code is None when it was killed for overstaying."""
    with subprocess.Popen(
        command,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
        cwd=cwd,
    ) as child:
        try:
            out, err = child.communicate("", timeout=timeout_s)
            code: int | None = child.returncode
        except subprocess.TimeoutExpired:
            _kill_tree(child.pid)
            child.kill()
            out, err = child.communicate()
            code = None
        _kill_tree(child.pid)  # workers it left behind (a pool it could not shut down)
    return out, err, code


def _kill_tree(pid: int) -> None:
    """Kill the descendants of ``pid`` (psutil where installed; the runner's process group
    catches the rest at the end of the case)."""
    try:
        import psutil
    except ImportError:
        return
    try:
        children = psutil.Process(pid).children(recursive=True)
    except psutil.NoSuchProcess:
        children = []
    for process in children:
        with contextlib.suppress(psutil.NoSuchProcess):
            process.kill()
    psutil.wait_procs(children, timeout=5)


# --- the measurement ----------------------------------------------------------------------


def measure(case: Case, repeat: int = 1) -> list[Measurement]:
    """Try ``case.variant`` with ``case.model`` under ``case.start_method``, ``repeat``
    times; ``case.size`` is how many seconds the program waits for a result."""
    pitfall = PITFALLS.get(case.variant)
    if pitfall is None:
        raise ValueError(f"pitfalls: no variant {case.variant!r}; known: {', '.join(PITFALLS)}")
    api = PROCESS_APIS.get(case.model)
    if api is None or not applies(pitfall, api):
        raise ValueError(f"pitfalls: {case.variant!r} does not apply to {case.model!r}")
    if case.start_method is None:
        raise ValueError("pitfalls: a start method is needed")
    if repeat < 1 or case.size <= 0:
        raise ValueError("pitfalls: repeat and the wait (size) must be positive")
    outcomes = []
    for _ in range(repeat):
        started = time.monotonic()
        outcomes.append(run_attempt(pitfall, api, case.start_method, float(case.size)))
        if time.monotonic() - started > case.size:
            break  # one hang is enough evidence; do not wait for it again
    return [
        Measurement("outcome", "text", outcomes),
        Measurement("works", "flag", [works(text) for text in outcomes]),
    ]


if __name__ == "__main__":  # print the table of this interpreter, for a quick look
    for each in PITFALLS.values():
        for api in PROCESS_APIS.values():
            for start in ("fork", "forkserver", "spawn"):
                if applies(each, api):
                    print(each.name, api.name, start, run_attempt(each, api, start, 5.0))
    sys.exit(0)
