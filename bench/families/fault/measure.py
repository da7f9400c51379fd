"""Fault isolation: what one task that crashes or leaks does to the others, per model.

The guide's claim: a process is a wall, a thread is not. Two kinds of fault test it.

* **Crash** (variants ``os_exit`` and ``segfault``): task number ``tasks // 2``
  dies hard, with ``os._exit(70)`` or a segmentation fault through ctypes (core
  dumps off first); every other task sleeps 20-50 ms and returns its index.

  - ``process_pool``: the dead worker breaks the whole pool, so the other tasks
    in flight and queued fail too. Recorded: ``tasks_finished``, ``tasks_failed``,
    the exception the crashing task's future raised (``raised``, e.g.
    ``BrokenProcessPool``) and whether a new pool runs a task (``recovered``).
  - ``processes`` (one process per task, ``workers`` at a time): only the crashing
    process dies. Recorded: ``tasks_finished``, its ``crashed_exitcode`` (-11 for
    SIGSEGV, 70 for ``os._exit``) and ``recovered`` (a new process runs fine).
  - a process pool with no multiprocessing start method (its own way of starting
    workers): each task is its own ``run``, a few at a time, so each outcome is known.
    Recorded as for ``process_pool``; ``raised`` is what the model's executor raised.
  - models whose workers share the process (isolation ``SHARED``: threads, the thread
    pool; ``INTERPRETER``: subinterpreters): the crash takes the whole program down,
    so the case runs in a child interpreter (this module with ``--child``) that
    prints a line per finished task. Recorded: ``tasks_finished`` (lines seen before
    it died), ``program_exitcode`` (negative: killed by that signal) and
    ``program_survived``.

  Which applies is read from the model's traits in ``bench.models.MODELS``.

* **Leak** (variant ``leak``): every task allocates ``size`` MiB and keeps it in a
  module-level list. Recorded: the calling process's ``parent_rss_growth_bytes``
  over the run (threads: about tasks x size; processes: about 0, the leak dies
  with the children) and, for the pool, ``workers_rss_bytes_at_end``. The thread
  variants (and the subinterpreters, whose leak closes with them) leak into this
  very process, so the blocks are freed once measured; repeated runs then start from
  the same footprint.

Hard crashes only ever happen in child processes, every wait has a deadline
(``TIMEOUT_S``), and every child is reaped, killed first if it overstays. The top
level imports only the standard library's smallest pieces: spawned pool workers
import this module by name to run its tasks. Over 400 lines on purpose: the crashing
tasks must live in the module the workers import.
"""

from __future__ import annotations

import contextlib
import os
import sys
import threading
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, cast

if TYPE_CHECKING:
    import mmap
    from concurrent.futures import ProcessPoolExecutor

    from bench.cases import Case
    from bench.measurement import Measurement
    from bench.models import ModelSpec

#: Exit status of the ``os_exit`` variant: distinct from 0, 1 (an exception) and signals.
EXIT_CODE = 70
CRASH_VARIANTS = ("os_exit", "segfault")
VARIANTS = (*CRASH_VARIANTS, "leak")
#: The most any one run (one of ``repeat``) may take, child start-up included.
TIMEOUT_S = 60.0
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


def reporting_task(index: int, crash_at: int, variant: str) -> int:
    """``crash_task``, then a line on stdout, flushed: the parent counts what finished."""
    result = crash_task(index, crash_at, variant)
    with _PRINT_LOCK:
        sys.stdout.write(f"done {index}\n")
        sys.stdout.flush()
    return result


def process_task(index: int, crash_at: int, variant: str) -> None:
    """A ``Process`` target: exit status 0 means the task finished."""
    crash_task(index, crash_at, variant)


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


def pid_task() -> int:
    return os.getpid()


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

    runs = [_run_once(case) for _ in range(repeat)]
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


def _run_once(case: Case) -> dict[str, Any]:
    deadline = time.monotonic() + TIMEOUT_S
    spec = _spec(case)
    if case.variant == "leak":
        return _leak(case, spec, deadline)
    if in_this_process(spec):
        return _crash_in_child(case, deadline)
    if spec.starts_per_run:
        return _crash_processes(case, deadline)
    if spec.uses_processes:
        return _crash_pool(case, deadline)
    return _crash_executor(case, deadline)


def _left(deadline: float) -> float:
    return max(0.0, deadline - time.monotonic())


def _open_pool(case: Case) -> ProcessPoolExecutor:
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    context = multiprocessing.get_context(case.start_method)
    return ProcessPoolExecutor(max_workers=case.workers, mp_context=context)


def _pool_processes(pool: ProcessPoolExecutor) -> list[Any]:
    """The pool's worker processes. ``_processes`` is private, but the only way in before
    3.14's ``kill_workers``; an empty list if a future version drops it."""
    return list((getattr(pool, "_processes", None) or {}).values())


def _close_pool(pool: ProcessPoolExecutor, *, kill: bool) -> None:
    if kill:
        for process in _pool_processes(pool):
            if process.is_alive():
                process.kill()
    pool.shutdown(wait=True, cancel_futures=True)


def _crash_pool(case: Case, deadline: float) -> dict[str, Any]:
    from concurrent.futures import Future

    crash_at = case.tasks // 2
    pool = _open_pool(case)
    finished = failed = 0
    raised = "none"
    hung = False
    try:
        submitted: list[Future[int] | Exception] = []
        for i in range(case.tasks):
            try:
                submitted.append(pool.submit(crash_task, i, crash_at, case.variant))
            except Exception as exc:  # the pool broke before everything was submitted
                submitted.append(exc)
        for i, item in enumerate(submitted):
            try:
                error = item if isinstance(item, Exception) else item.exception(_left(deadline))
            except TimeoutError:
                hung = True
                raise TimeoutError(
                    f"fault: process pool ({case.start_method}) gave no result within "
                    f"{TIMEOUT_S:.0f} s"
                ) from None
            if error is None:
                finished += 1
            else:
                failed += 1
                if i == crash_at:
                    raised = type(error).__name__
    finally:
        _close_pool(pool, kill=hung)
    return {
        "tasks_finished": finished,
        "tasks_failed": failed,
        "raised": raised,
        "recovered": _pool_recovers(case, deadline),
    }


def _pool_recovers(case: Case, deadline: float) -> bool:
    """Whether a fresh pool of the same kind runs a task correctly."""
    pool = _open_pool(case)
    ok = hung = False
    try:
        ok = pool.submit(crash_task, 0, -1, case.variant).result(timeout=_left(deadline)) == 0
    except TimeoutError:
        hung = True
    except Exception:
        ok = False
    finally:
        _close_pool(pool, kill=hung)
    return ok


def _crash_executor(case: Case, deadline: float) -> dict[str, Any]:
    """A process pool that starts its workers its own way: one ``run`` per task,
    ``workers`` at a time, through the model's own executor."""
    from concurrent.futures import ThreadPoolExecutor

    from bench.models import open_executor

    crash_at = case.tasks // 2
    executor = open_executor(case.model, case.workers)
    outcomes: list[BaseException | None] = []
    try:
        with ThreadPoolExecutor(case.workers) as submitters:
            futures = [
                submitters.submit(executor.run, crash_task, [(i, crash_at, case.variant)])
                for i in range(case.tasks)
            ]
            for future in futures:
                try:
                    outcomes.append(future.exception(_left(deadline)))
                except TimeoutError:
                    raise TimeoutError(
                        f"fault: {case.model} gave no result within {TIMEOUT_S:.0f} s"
                    ) from None
    finally:
        executor.close()
    error = outcomes[crash_at]
    again = open_executor(case.model, case.workers)
    try:
        recovered = again.run(crash_task, [(0, -1, case.variant)]) == [0]
    except Exception:
        recovered = False
    finally:
        again.close()
    return {
        "tasks_finished": sum(outcome is None for outcome in outcomes),
        "tasks_failed": sum(outcome is not None for outcome in outcomes),
        "raised": "none" if error is None else type(error).__name__,
        "recovered": recovered,
    }


def _run_processes(
    case: Case, target: Callable[..., Any], arglist: list[tuple[Any, ...]], deadline: float
) -> list[int | None]:
    """One process per argument tuple, ``case.workers`` at a time; their exit codes."""
    import multiprocessing
    from multiprocessing.connection import wait

    context = multiprocessing.get_context(case.start_method)
    codes: list[int | None] = [None] * len(arglist)
    todo = list(enumerate(arglist))
    todo.reverse()
    running: dict[int, tuple[int, Any]] = {}  # sentinel -> (index, process)
    try:
        while todo or running:
            while todo and len(running) < case.workers:
                index, args = todo.pop()
                process = context.Process(target=target, args=args)  # type: ignore[attr-defined]
                process.start()
                running[process.sentinel] = (index, process)
            ready = wait(list(running), timeout=_left(deadline))
            if not ready:
                raise TimeoutError(
                    f"fault: {len(running)} process(es) ({case.start_method}) still running "
                    f"after {TIMEOUT_S:.0f} s"
                )
            for sentinel in ready:
                index, process = running.pop(cast(int, sentinel))
                process.join()
                codes[index] = process.exitcode
                process.close()
    finally:
        for _, process in running.values():
            if process.is_alive():
                process.kill()
            process.join()
            process.close()
    return codes


def _crash_processes(case: Case, deadline: float) -> dict[str, Any]:
    crash_at = case.tasks // 2
    arglist = [(i, crash_at, case.variant) for i in range(case.tasks)]
    codes = _run_processes(case, process_task, arglist, deadline)
    again = _run_processes(case, process_task, [(0, -1, case.variant)], deadline)
    return {
        "tasks_finished": sum(code == 0 for i, code in enumerate(codes) if i != crash_at),
        "crashed_exitcode": codes[crash_at],
        "recovered": again == [0],
    }


def _crash_in_child(case: Case, deadline: float) -> dict[str, Any]:
    """Run the threads case in a child interpreter and watch it die."""
    import subprocess

    from bench.interpreters import case_environment, interpreter_options

    command = [
        sys.executable,
        *interpreter_options(),
        "-m",
        "bench.families.fault.measure",
        "--child",
        case.model,
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
            raise TimeoutError(
                f"fault: the {case.model} child ran past {TIMEOUT_S:.0f} s and was killed"
            ) from None
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


def _rss() -> int:
    import psutil

    return int(psutil.Process().memory_info().rss)


def _leak(case: Case, spec: ModelSpec, deadline: float) -> dict[str, Any]:
    arglist = [(i, case.size) for i in range(case.tasks)]
    result: dict[str, Any] = {}
    if in_this_process(spec) or not spec.uses_processes:
        # Also a pool that starts its workers its own way: measured through its executor.
        from bench.models import open_executor

        executor = open_executor(case.model, case.workers)
        before = _rss()
        try:
            executor.run(leak_task, arglist)
            result["parent_rss_growth_bytes"] = _rss() - before
        finally:
            executor.close()  # a subinterpreter's leak goes with it
            free_leaked()  # the leak is in this process: give it back for the next run
    elif spec.starts_per_run:
        before = _rss()
        codes = _run_processes(case, leak_task, arglist, deadline)
        result["parent_rss_growth_bytes"] = _rss() - before
        if any(codes):
            raise RuntimeError(f"fault: leaking processes exited with {codes}")
    else:
        before = _rss()
        pool = _open_pool(case)
        hung = False
        try:
            futures = [pool.submit(leak_task, *args) for args in arglist]
            try:
                for future in futures:
                    future.result(timeout=_left(deadline))
            except TimeoutError:
                hung = True
                raise
            result["parent_rss_growth_bytes"] = _rss() - before
            result["workers_rss_bytes_at_end"] = _processes_rss(_pool_processes(pool))
        finally:
            _close_pool(pool, kill=hung)
    return result


def _processes_rss(processes: list[Any]) -> int:
    import psutil

    total = 0
    for process in processes:
        with contextlib.suppress(psutil.NoSuchProcess):
            total += psutil.Process(process.pid).memory_info().rss
    return total


# --- the child interpreter of the thread variants ---


def child_main(argv: list[str]) -> int:
    """``--child MODEL VARIANT TASKS WORKERS``: run the crash case on threads, here."""
    if len(argv) != 5 or argv[0] != "--child":
        sys.stderr.write(
            "usage: python -m bench.families.fault.measure --child MODEL VARIANT N W\n"
        )
        return 2
    model, variant, tasks, workers = argv[1], argv[2], int(argv[3]), int(argv[4])
    from bench.models import open_executor

    print("ready", flush=True)
    executor = open_executor(model, workers)
    try:
        executor.run(reporting_task, [(i, tasks // 2, variant) for i in range(tasks)])
    finally:
        executor.close()
    print("survived", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(child_main(sys.argv[1:]))
