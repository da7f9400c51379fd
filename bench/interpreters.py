"""The interpreters a run measures: parsing ``--python``, probing, preparing.

An interpreter is given as a command line, its options included
(``"/opt/py313t/bin/python3.13t -X gil=1"``). It does not need this project
installed: the suite's source reaches it through ``PYTHONPATH``, and when it
lacks pyperf or psutil a virtual environment with them is made for it once and
cached.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import shlex
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from bench.environment import PROJECT_ROOT
from bench.results.layout import slug

#: What the suite needs inside every interpreter it measures (the ranges of pyproject.toml).
REQUIREMENTS = ("pyperf>=2.11,<3", "psutil>=5.9,<8")
#: Each module and the oldest (major, minor) that will do: pyperf measures in the case's
#: own process (``--in-process``) only from 2.11. Older counts as missing.
REQUIRED_MODULES = {"pyperf": (2, 11), "psutil": (5, 9)}
#: The optional extras of pyproject.toml a made venv gets too, each on its own, so that
#: one that does not install there (a package with no wheel for a new build) costs only
#: its own models, which are then skipped with the reason.
OPTIONAL_EXTRAS = ("interpreters", "loky", "dask", "io")
#: How the suite runs pip in a venv it makes. A wheel of an older release beats building the
#: newest from source (NumPy's newest has no wheel for 3.13t: minutes of compiling).
PIP_OPTIONS = ("--quiet", "--disable-pip-version-check", "--prefer-binary")
#: In a made venv: the extras' requirements last installed, and how each went.
EXTRAS_STAMP = ".bench-extras.json"


def interpreter_options() -> list[str]:
    """The running interpreter's own options (``-X gil=1`` ...), for the processes it starts
    (a child that must crash, pyperf's workers when run by hand): they must run as it does."""
    argv = list(getattr(sys, "orig_argv", []))
    if "-m" in argv:
        return argv[1 : argv.index("-m")]
    return []


_PROBE_TEMPLATE = r"""
import json, multiprocessing, sys, sysconfig, importlib.util
try:
    from bench.models import unavailable_models
except Exception as exc:  # the suite's source must reach the interpreter; say so if not
    def unavailable_models(reason=f"bench.models did not import: {exc}"):
        return {"*": reason}
try:  # a channel whose peer is a missing model's worker is skipped as the model is
    from bench.families.ipc.channels import unavailable_channels
except Exception:
    def unavailable_channels(models):
        return {}
try:
    from bench.results.build_flags import build_optimisations
except Exception:  # said above, through the models
    def build_optimisations(config):
        return {}
try:
    from bench.families.catalogue import unavailable_workloads
except Exception:  # said above, through the models
    def unavailable_workloads():
        return {}
REQUIRED = {required!r}
def missing_extras():  # the extras whose modules a model or workload needs and lacks here
    found = {}
    try:
        from bench.models import MODELS
        from bench.families.catalogue import WORKLOADS
    except Exception:  # said above, through the models
        return found
    for needs in (*MODELS.values(), *WORKLOADS.values()):
        for module in needs.requires:
            try:
                there = importlib.util.find_spec(module) is not None
            except ImportError:  # its parent package is missing
                there = False
            if not there and needs.extra:
                found.setdefault(needs.extra, sorted({module, *found.get(needs.extra, [])}))
    return found
def lacks(module, oldest):
    if importlib.util.find_spec(module) is None:
        return True
    try:
        from importlib.metadata import version
        have = tuple(int(part) for part in version(module).split(".")[:2])
    except Exception:  # no distribution metadata, or a version we cannot read: trust it
        return False
    return have < tuple(oldest)
print(json.dumps({
    "executable": sys.executable,
    "version": ".".join(map(str, sys.version_info[:3])),
    "implementation": sys.implementation.name,
    "free_threaded_build": bool(sysconfig.get_config_var("Py_GIL_DISABLED")),
    "config_args": sysconfig.get_config_var("CONFIG_ARGS") or "",
    **build_optimisations(sysconfig.get_config_vars()),
    "gil_enabled": sys._is_gil_enabled() if hasattr(sys, "_is_gil_enabled") else True,
    "start_methods": multiprocessing.get_all_start_methods(),
    "default_start_method": multiprocessing.get_start_method(),
    "missing": [m for m, oldest in REQUIRED.items() if lacks(m, oldest)],
    "in_venv": sys.prefix != sys.base_prefix,
    "missing_extras": missing_extras(),
    "unavailable_models": (lambda m: {**m, **unavailable_channels(m)})(unavailable_models()),
    "unavailable_workloads": unavailable_workloads(),
}))
"""


def probe_source(required: dict[str, tuple[int, int]] = REQUIRED_MODULES) -> str:
    """The script an interpreter runs to describe itself, checking for ``required``."""
    return _PROBE_TEMPLATE.replace("{required!r}", repr(required))


class InterpreterError(RuntimeError):
    """An interpreter cannot be used; the message says which and what to do."""


@dataclass(frozen=True)
class Interpreter:
    argv: tuple[str, ...]  # executable and its options
    spec: str  # as the user gave it
    info: dict[str, Any] = field(default_factory=dict, compare=False)

    @property
    def executable(self) -> str:
        return self.argv[0]

    @property
    def options(self) -> tuple[str, ...]:
        return self.argv[1:]

    @property
    def build_label(self) -> str:
        """Implementation and version, ``t`` for a free-threaded build: ``cpython-3.13.5t``."""
        info = self.info
        name = f"{info.get('implementation', 'python')}-{info.get('version', 'unknown')}"
        return slug(name + ("t" if info.get("free_threaded_build") else ""))

    @property
    def label(self) -> str:
        """The build label plus the options, file-name-safe: ``cpython-3.13.5t-x-gil-1``."""
        options = f" {' '.join(self.options)}" if self.options else ""
        return slug(self.build_label + options)


def parse(spec: str) -> Interpreter:
    argv = tuple(shlex.split(spec))
    if not argv:
        raise InterpreterError("an empty --python was given")
    return Interpreter(argv=argv, spec=spec)


def current() -> Interpreter:
    return Interpreter(argv=(sys.executable,), spec=sys.executable)


#: How long the probe may take before the interpreter counts as hung: it imports the suite,
#: compiling it the first time, and a loaded 2-core machine took over 60 s for a new venv.
PROBE_TIMEOUT_S = 600
#: How long asking a venv's pip for its version may take before the venv is remade.
PIP_CHECK_TIMEOUT_S = 600


def probe(interp: Interpreter) -> Interpreter:
    """Ask the interpreter about itself; a missing or broken one is an ``InterpreterError``."""
    try:
        out = subprocess.run(
            [*interp.argv, "-c", probe_source()],
            env=case_environment({}),
            capture_output=True,
            text=True,
            timeout=PROBE_TIMEOUT_S,
            check=False,
        )
    except FileNotFoundError:
        raise InterpreterError(f"interpreter not found: {interp.executable!r}") from None
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise InterpreterError(f"interpreter {interp.spec!r} did not start: {exc}") from None
    if out.returncode != 0:
        raise InterpreterError(
            f"interpreter {interp.spec!r} failed to start (exit {out.returncode}): "
            f"{out.stderr.strip()[-500:]}"
        )
    return replace(interp, info=json.loads(out.stdout.strip().splitlines()[-1]))


def cache_dir() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "threads-or-processes" / "venvs"


def _venv_python(venv: Path) -> Path:
    return venv / ("Scripts/python.exe" if os.name == "nt" else "bin/python")


def prepare(interp: Interpreter, *, allow_install: bool = True) -> Interpreter:
    """Return an interpreter that has what the suite needs, making a cached venv if it must.

    A venv is made for an interpreter that lacks pyperf or psutil, or, outside a venv of its
    own (a system's or a distribution's Python), lacks the packages of an optional extra. A
    venv the user made is measured as it is: what it lacks is skipped with the command that
    installs it.
    """
    interp = probe(interp)
    missing = interp.info.get("missing") or []
    extras_wanted = bool(interp.info.get("missing_extras")) and not interp.info.get("in_venv")
    if not missing and not (extras_wanted and allow_install):
        return interp
    how = f"{interp.executable} -m pip install {' '.join(shlex.quote(r) for r in REQUIREMENTS)}"
    if not allow_install:
        raise InterpreterError(f"{interp.spec!r} lacks {', '.join(missing)}; install with: {how}")
    missing = missing or [f"the extras {', '.join(interp.info['missing_extras'])}"]
    key = hashlib.sha256(
        f"{Path(interp.executable).resolve()}|{interp.info.get('version')}".encode()
    ).hexdigest()[:12]
    venv = cache_dir() / f"{interp.build_label}-{key}"
    python = _venv_python(venv)
    with _only_one_at_a_time(venv):
        try:
            if not _has_pip(python):
                make_venv(interp.executable, venv)
            _pip_install(python, REQUIREMENTS, f"install {', '.join(REQUIREMENTS)} into {venv}")
        except InterpreterError as exc:
            raise InterpreterError(
                f"{interp.spec!r} lacks {', '.join(missing)}. {exc}. "
                f"Install them yourself with: {how}"
            ) from None
        extras = install_extras(python, venv)
    prepared = probe(replace(interp, argv=(str(python), *interp.options)))
    if prepared.info.get("missing"):
        raise InterpreterError(f"{venv} still lacks {prepared.info['missing']}; try: {how}")
    return replace(prepared, info={**prepared.info, "extras": extras})


def extra_requirements() -> dict[str, list[str]]:
    """The packages of every optional extra of ``OPTIONAL_EXTRAS``, from pyproject.toml."""
    import tomllib

    try:
        project = tomllib.loads((PROJECT_ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError):
        return {}
    optional = project.get("project", {}).get("optional-dependencies", {})
    return {extra: list(optional.get(extra, [])) for extra in OPTIONAL_EXTRAS}


def install_extras(python: Path, venv: Path) -> dict[str, str]:
    """Install each optional extra into ``venv``; ``{extra: "installed" | "failed: ..."}``.

    A failure is recorded, not fatal. The outcome is kept in the venv, so that the same
    requirements are tried once, not on every run."""
    wanted = extra_requirements()
    stamp = venv / EXTRAS_STAMP
    try:
        done = json.loads(stamp.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        done = {}
    if done.get("requirements") == wanted:
        return dict(done.get("outcome", {}))
    outcome = {}
    for extra, packages in wanted.items():
        if not packages:
            continue
        try:
            _pip_install(python, packages, f"install the extra [{extra}] ({', '.join(packages)})")
            outcome[extra] = "installed"
        except InterpreterError as exc:
            outcome[extra] = f"failed: {str(exc)[-300:]}"
    with contextlib.suppress(OSError):
        stamp.write_text(json.dumps({"requirements": wanted, "outcome": outcome}), "utf-8")
    return outcome


@contextlib.contextmanager
def _only_one_at_a_time(venv: Path) -> Iterator[None]:
    """Hold the venv's lock: two runs at once (or two test workers) must not make or fill
    one venv together. POSIX only; elsewhere runs are not made concurrently."""
    venv.parent.mkdir(parents=True, exist_ok=True)
    try:
        import fcntl
    except ImportError:
        yield
        return
    with (venv.parent / f"{venv.name}.lock").open("a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # released when the file closes
        yield


def _has_pip(python: Path) -> bool:
    """A venv made before, whole (one whose making was cut off is made again)."""
    if not python.exists():
        return False
    done = subprocess.run([str(python), "-m", "pip", "--version"], capture_output=True,
                          timeout=PIP_CHECK_TIMEOUT_S, check=False)  # fmt: skip
    return done.returncode == 0


def make_venv(executable: str, venv: Path) -> None:
    """A venv at ``venv`` with the newest pip in it, made by ``executable``.

    It is made without pip, and pip installs itself into it from its own wheel, run by the
    venv's interpreter: a distribution's build may lack ``ensurepip`` or break it (Debian's
    reads the system's older pip wheel), and an older pip (the suite's own) may not run on a
    newer Python (pip 23 fails on 3.15). The wheel is fetched by the suite's pip; where that
    fails, ``ensurepip`` is the fallback.
    """
    python = _venv_python(venv)
    _run([executable, "-m", "venv", "--clear", "--without-pip", str(venv)],
         f"create a venv at {venv}")  # fmt: skip
    with tempfile.TemporaryDirectory(prefix="bench-pip-") as folder:
        try:
            _run([sys.executable, "-m", "pip", "download", "--quiet", "--no-deps",
                  "--only-binary=:all:", "--dest", folder, "pip"], "download pip")  # fmt: skip
            (wheel,) = Path(folder).glob("pip-*.whl")
            _run([str(python), str(wheel / "pip"), "install", *PIP_OPTIONS, "--no-index",
                  str(wheel)], f"install pip into {venv}")  # fmt: skip
        except (InterpreterError, ValueError) as ours:
            try:
                _run([str(python), "-m", "ensurepip", "--upgrade"], f"install pip into {venv}")
            except InterpreterError as theirs:
                raise InterpreterError(f"{ours}; then with ensurepip: {theirs}") from None


def _pip_install(python: Path, packages: tuple[str, ...] | list[str], what: str) -> None:
    _run([str(python), "-m", "pip", "install", *PIP_OPTIONS, *packages], what)


def _run(cmd: list[str], what: str) -> None:
    try:
        out = subprocess.run(cmd, capture_output=True, text=True, timeout=900, check=False)
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise InterpreterError(f"could not {what}: {exc}") from None
    if out.returncode != 0:
        tail = (out.stderr or out.stdout).strip()[-800:]
        raise InterpreterError(f"could not {what} (exit {out.returncode}): {tail}")


def case_environment(extra: dict[str, str]) -> dict[str, str]:
    """The environment of a case's process: ours, the suite's source on PYTHONPATH, extras."""
    env = dict(os.environ)
    paths = [str(PROJECT_ROOT), *filter(None, env.get("PYTHONPATH", "").split(os.pathsep))]
    env["PYTHONPATH"] = os.pathsep.join(dict.fromkeys(paths))
    env.update(extra)
    return env
