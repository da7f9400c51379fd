"""Fault isolation: what one task that crashes or leaks does to the others, per model.

The guide's claim: a process is a wall, a thread is not. Two kinds of fault test it, each
run by the case's model, through its own executor (``bench.models``).

* **Crash** (variants ``os_exit`` and ``segfault``): task number ``tasks // 2``
  dies hard, with ``os._exit(70)`` or a segmentation fault through ctypes (core
  dumps off first); every other task sleeps 20-50 ms and returns its index.

  - a pool (``process_pool``, loky): one batch of every task; each task that finishes
    leaves a mark, so what finished is known even when the batch fails. Recorded:
    ``tasks_finished``, ``tasks_failed``, the exception the batch raised, by its cause
    (``raised``: ``BrokenProcessPool`` when the dead worker breaks the whole pool) and
    whether a new pool runs a task (``recovered``).
  - a model that starts its workers per batch (``processes``): each task a batch of its
    own, so only the crashing one's process dies. Recorded: ``tasks_finished``, its
    ``crashed_exitcode`` (-11 for SIGSEGV, 70 for ``os._exit``) and ``recovered``.
  - models whose workers share the process (isolation ``SHARED``: threads, the thread
    pool; ``INTERPRETER``: subinterpreters): the crash takes the whole program down,
    so the case runs in a child interpreter (this module with ``--child``) that
    opens the model's module and prints a line per finished task. Recorded:
    ``tasks_finished`` (lines seen before it died), ``program_exitcode`` (negative:
    killed by that signal) and ``program_survived``.

* **Leak** (variant ``leak``): every task allocates ``size`` MiB and keeps it in a
  module-level list. Recorded: the calling process's ``parent_rss_growth_bytes``
  over the run (threads: about tasks x size; processes: about 0, the leak dies
  with the children) and, for a model that names its workers
  (``Capability.LISTS_WORKERS``), ``workers_rss_bytes_at_end``. The thread variants (and
  the subinterpreters, whose leak closes with them) leak into this very process, so the
  blocks are freed once measured; repeated runs then start from the same footprint.

Hard crashes only ever happen in child processes, every wait has a deadline
(``TIMEOUT_S``: a pool's batch is waited for on a thread of its own, a batch that ends by
itself is timed after it) and every child is reaped. The top level imports only the
standard library's smallest pieces: spawned pool workers import this module by name to
run its tasks.
"""

from __future__ import annotations

import contextlib
import os
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import mmap

    from bench.cases import Case
    from bench.measurement import Measurement
    from bench.models import ModelSpec

#: Exit status of the ``os_exit`` variant: distinct from 0, 1 (an exception) and signals.
EXIT_CODE = 70
CRASH_VARIANTS = ("os_exit", "segfault")
VARIANTS = (*CRASH_VARIANTS, "leak")
#: The most any one run (one of ``repeat``) may take, child start-up included.
TIMEOUT_S = 60.0
#: How long a batch whose workers were killed gets to end.
KILLED_S = 10.0
MIB = 1 << 20

UNITS = {
    "tasks_finished": "count",
    "tasks_failed": "count",
    "raised": "text",
    "recovered": "flag",
    "crashed_exitcode": "count",
    "program_exitcode": "count",
    "program_survived": "flag",
    "parent_rss_growth_bytes": "byte",
    "workers_rss_bytes_at_end": "byte",
}

#: What the leak tasks keep, in whichever process runs them. Anonymous private
#: mappings rather than bytes objects: closing one gives its pages back to the OS at
#: once, whereas malloc may keep freed blocks of this size in its arenas, and the
#: next run would then reuse them without growing at all.
_LEAKED: list[mmap.mmap] = []
_PRINT_LOCK = threading.Lock()


# --- tasks: module level, so that pool workers and child processes can run them ---


def crash(variant: str) -> None:
    """End this process at once, the way a bug in C code or a stray ``os._exit`` would."""
    if variant == "os_exit":
        os._exit(EXIT_CODE)
    if variant == "segfault":
        import ctypes
        import resource

        resource.setrlimit(resource.RLIMIT_CORE, (0, 0))  # no core file
        try:
            import faulthandler
        except ImportError:  # a subinterpreter cannot load it: the main one's handles it
            pass
        else:
            faulthandler.disable()  # a forked worker inherits pytest's: no traceback noise
        ctypes.string_at(0)  # reads address 0: SIGSEGV
    raise ValueError(f"unknown crash variant {variant!r}")


def crash_task(index: int, crash_at: int, variant: str) -> int:
    """Task ``crash_at`` crashes; the others sleep 20-50 ms and return their index."""
    if index == crash_at:
        crash(variant)
    time.sleep(0.020 + 0.010 * (index % 4))
    return index


def marking_task(index: int, crash_at: int, variant: str, folder: str) -> int:
    """``crash_task``, then a mark in ``folder``: the parent counts what finished."""
    result = crash_task(index, crash_at, variant)
    Path(folder, f"done-{index}").touch()
    return result


def reporting_task(index: int, crash_at: int, variant: str) -> int:
    """``crash_task``, then a line on stdout, flushed: the parent counts what finished."""
    result = crash_task(index, crash_at, variant)
    with _PRINT_LOCK:
        sys.stdout.write(f"done {index}\n")
        sys.stdout.flush()
    return result


def leak_task(index: int, size_mib: int) -> int:
    """Allocate ``size_mib`` MiB of non-zero pages and keep them for good."""
    import mmap

    block = mmap.mmap(-1, size_mib * MIB, flags=mmap.MAP_PRIVATE)
    chunk = b"\xa5" * MIB  # written, so that every page is resident
    for _ in range(size_mib):
        block.write(chunk)
    _LEAKED.append(block)
    return index


def free_leaked() -> int:
    """Give back what ``leak_task`` kept in this process; return how many blocks."""
    count = len(_LEAKED)
    while _LEAKED:
        _LEAKED.pop().close()
    return count


# --- the measurement ---


def measure(case: Case, repeat: int = 1) -> list[Measurement]:
    """Run the fault ``repeat`` times; one Measurement per metric, ``repeat`` values each."""
    from bench.measurement import Measurement

    if case.variant not in VARIANTS:
        raise ValueError(f"fault: unknown variant {case.variant!r}; expected one of {VARIANTS}")
    spec = _spec(case)
    if spec.uses_processes != (case.start_method is not None):
        raise ValueError(f"fault: model {case.model!r} with start method {case.start_method!r}")
    if case.tasks < 1 or case.workers < 1:
        raise ValueError("fault: needs at least one task and one worker")
    if case.variant == "leak" and case.size < 1:
        raise ValueError("fault: the leak variant needs a size in MiB")

    runs = [run_once(case) for _ in range(repeat)]
    params: dict[str, Any] = (
        {"leaked_bytes": case.tasks * case.size * MIB}
        if case.variant == "leak"
        else {"crash_task": case.tasks // 2}
    )
    if case.variant == "leak" and in_this_process(spec):
        params["freed_after_measuring"] = True
    return [
        Measurement(metric, UNITS[metric], [run[metric] for run in runs], params=dict(params))
        for metric in runs[0]
    ]


def _spec(case: Case) -> ModelSpec:
    """The case's model, if it has workers of its own on this machine to crash."""
    from bench.models import MODELS

    spec = MODELS.get(case.model)
    if spec is None or not (spec.local and spec.parallel) or spec.is_async:
        raise ValueError(f"fault: model {case.model!r} is not measured")
    return spec


def in_this_process(spec: ModelSpec) -> bool:
    """Its workers live in the calling process: a crash there ends the whole program."""
    from bench.models import Isolation

    return spec.isolation in (Isolation.SHARED, Isolation.INTERPRETER)


def run_once(case: Case) -> dict[str, Any]:
    spec = _spec(case)
    deadline = time.monotonic() + TIMEOUT_S
    if case.variant == "leak":
        return _leak(case, spec, deadline)
    if in_this_process(spec):
        return crash_in_child(case, spec, deadline)
    if spec.starts_per_run:
        return crash_each_alone(case, deadline)
    return crash_pool(case, spec, deadline)


def _left(deadline: float) -> float:
    return max(0.0, deadline - time.monotonic())


def _timed_out(case: Case) -> TimeoutError:
    return TimeoutError(f"fault: {case.model} gave no result within {TIMEOUT_S:.0f} s")


def _within(case: Case, spec: ModelSpec, executor: Any, deadline: float, batch: list[Any]) -> None:
    """``executor.run(*batch)`` for at most the time left, in a thread of its own (nothing
    interrupts the model's code); past it, the workers the executor names are killed, which
    ends the batch, and ``TimeoutError`` is raised. The pool is warm before: no worker
    starts on that thread."""
    from bench.models import Capability

    failed: list[BaseException] = []

    def run() -> None:
        try:
            executor.run(*batch)
        except BaseException as exc:  # the model's own error: the caller reads it
            failed.append(exc)

    thread = threading.Thread(target=run, name="fault-batch", daemon=True)
    thread.start()
    thread.join(_left(deadline))
    if thread.is_alive():
        if spec.has(Capability.LISTS_WORKERS):
            _kill(executor.worker_pids())
        thread.join(KILLED_S)
        raise _timed_out(case)
    if failed:
        raise failed[0]


def _kill(pids: list[int]) -> None:
    import signal

    for pid in pids:
        with contextlib.suppress(OSError):
            os.kill(pid, signal.SIGKILL)


def _cause(error: BaseException) -> str:
    """What broke, by name: the model's own error says the worker died; its cause, what
    the library raised (``BrokenProcessPool``, loky's ``TerminatedWorkerError``)."""
    return type(error.__cause__ or error).__name__


def _recovers(case: Case) -> bool:
    """Whether a new executor of the same model runs a task correctly."""
    from bench.models import open_executor

    again = open_executor(case.model, case.workers, case.start_method)
    try:
        return again.run(crash_task, [(0, -1, case.variant)]) == [0]
    except Exception:
        return False
    finally:
        again.close()


def crash_pool(case: Case, spec: ModelSpec, deadline: float) -> dict[str, Any]:
    """Every task in one batch of the model's warm pool; the marks say what finished."""
    from bench.models import open_executor
    from bench.models.base import SCRATCH_DIR_ENV

    crash_at = case.tasks // 2
    raised = "none"
    # In the run's scratch, which the watchdog deletes should this case be killed.
    scratch = os.environ.get(SCRATCH_DIR_ENV) or None
    with tempfile.TemporaryDirectory(prefix="bench-files-fault-", dir=scratch) as folder:
        arglist = [(i, crash_at, case.variant, folder) for i in range(case.tasks)]
        executor = open_executor(case.model, case.workers, case.start_method)
        try:
            executor.run(crash_task, [(i, -1, case.variant) for i in range(case.workers)])
            _within(case, spec, executor, deadline, [marking_task, arglist])
        except TimeoutError:
            raise
        except Exception as exc:
            raised = _cause(exc)
        finally:
            executor.close()
        finished = sum(1 for _ in Path(folder).iterdir())
    return {
        "tasks_finished": finished,
        "tasks_failed": case.tasks - finished,
        "raised": raised,
        "recovered": _recovers(case),
    }


def crash_each_alone(case: Case, deadline: float) -> dict[str, Any]:
    """Each task a batch of its own on the model's executor (a process of its own for a
    model that starts its workers per batch): only the crashing one dies."""
    from bench.models import WorkerDied, open_executor

    crash_at = case.tasks // 2
    finished, crashed_exitcode = 0, None
    executor = open_executor(case.model, case.workers, case.start_method)
    try:
        for index in range(case.tasks):
            try:
                executor.run(crash_task, [(index, crash_at, case.variant)])
            except WorkerDied as exc:
                if index == crash_at:
                    crashed_exitcode = exc.exitcode
            else:
                finished += index != crash_at
            if not _left(deadline):  # each batch ends by itself: the time is checked between
                raise _timed_out(case)
    finally:
        executor.close()
    return {
        "tasks_finished": finished,
        "crashed_exitcode": crashed_exitcode,
        "recovered": _recovers(case),
    }


def crash_in_child(case: Case, spec: ModelSpec, deadline: float) -> dict[str, Any]:
    """Run the case in a child interpreter, on the model's own executor, and watch it die."""
    import subprocess

    from bench.interpreters import case_environment, interpreter_options

    command = [
        sys.executable,
        *interpreter_options(),
        "-m",
        "bench.families.fault.measure",
        "--child",
        spec.module,  # the model the case names, which the child opens
        case.variant,
        str(case.tasks),
        str(case.workers),
    ]
    with subprocess.Popen(
        command,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=case_environment({}),
    ) as child:
        try:
            out, err = child.communicate(timeout=_left(deadline))
        except subprocess.TimeoutExpired:
            child.kill()
            child.communicate()
            raise _timed_out(case) from None
    lines = out.splitlines()
    if not lines or lines[0] != "ready":
        raise RuntimeError(
            f"fault: the {case.model} child failed to start (exit {child.returncode}): "
            f"{err.strip()[-500:]}"
        )
    return {
        "tasks_finished": sum(line.startswith("done ") for line in lines),
        "program_exitcode": child.returncode,
        "program_survived": child.returncode == 0 and lines[-1] == "survived",
    }


def _rss(pid: int | None = None) -> int:
    import psutil

    return int(psutil.Process(pid).memory_info().rss)


def _leak(case: Case, spec: ModelSpec, deadline: float) -> dict[str, Any]:
    """Every task leaks through the model's executor; the parent's growth over the batch,
    and the workers' memory where the executor names them."""
    from bench.models import Capability, open_executor

    arglist = [(i, case.size) for i in range(case.tasks)]
    result: dict[str, Any] = {}
    executor = open_executor(case.model, case.workers, case.start_method)
    before = _rss()
    try:
        executor.run(leak_task, arglist)
        if not _left(deadline):  # the batch ended, late: the measure's limit holds anyway
            raise _timed_out(case)
        result["parent_rss_growth_bytes"] = _rss() - before
        if spec.has(Capability.LISTS_WORKERS):
            result["workers_rss_bytes_at_end"] = _workers_rss(executor.worker_pids())  # type: ignore[attr-defined]
    finally:
        executor.close()  # a subinterpreter's leak goes with it
        if in_this_process(spec):
            free_leaked()  # the leak is in this process: give it back for the next run
    return result


def _workers_rss(pids: list[int]) -> int:
    import psutil

    total = 0
    for pid in pids:
        with contextlib.suppress(psutil.NoSuchProcess):
            total += _rss(pid)
    return total


# --- the child interpreter of the models that share this process ---


def child_main(argv: list[str]) -> int:
    """``--child MODEL_MODULE VARIANT TASKS WORKERS``: run the crash case on that model's
    executor, here."""
    if len(argv) != 5 or argv[0] != "--child":
        sys.stderr.write(
            "usage: python -m bench.families.fault.measure --child MODULE VARIANT N W\n"
        )
        return 2
    import importlib

    module, variant, tasks, workers = argv[1], argv[2], int(argv[3]), int(argv[4])
    print("ready", flush=True)
    executor = importlib.import_module(module).open_executor(workers, None)
    try:
        executor.run(reporting_task, [(i, tasks // 2, variant) for i in range(tasks)])
    finally:
        executor.close()
    print("survived", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(child_main(sys.argv[1:]))
