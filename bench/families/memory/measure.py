"""Memory per worker: what W live threads or processes cost, idle and sharing a structure.

RSS, USS and PSS of the whole process tree with W idle workers against its baseline,
per start method; the procedure and how to read the three figures are in
docs/methodology.md ("Memory per worker"). Spawned children import this module, so
its top level imports the standard library only.
"""

from __future__ import annotations

import gc
import multiprocessing
import threading
import time
import traceback
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager, suppress
from typing import TYPE_CHECKING, Any

from bench.measurement import Measurement

if TYPE_CHECKING:  # the case vocabulary imports every model: too much for a spawned worker
    from bench.cases import Case

MIB = 1 << 20
PAGE = 4096  # one byte read per page maps the page
READY_TIMEOUT_S = 120.0  # 16 spawned children each unpickling 50 MiB on 2 busy cores: seconds
JOIN_TIMEOUT_S = 10.0  # a released worker exits at once; past this it is killed
KINDS = ("rss", "uss", "pss")
HOLD_MS = 50  # how long each ``keep`` task holds its worker, so that W tasks take W workers

#: What every worker reads: one bytes object, or many small objects (ints in a list).
WorkingSet = bytes | list[int] | None
Crew = Callable[[int, WorkingSet], AbstractContextManager[None]]
#: Variants whose working set is many small objects; "_frozen": gc.freeze() before the start.
SMALL_OBJECTS = ("small_objects", "small_objects_frozen")
#: What one small object costs in a list: a 28-byte int in a 32-byte block, and its pointer.
SMALL_OBJECT_BYTES = 40


class WorkerFailed(RuntimeError):
    """A worker died or raised before it reported ready."""


def _touch(data: WorkingSet) -> int:
    """Read one byte per page of ``data``, so that every page is mapped in this process;
    small objects are each read, then a full collection runs."""
    if not data:
        return 0
    if isinstance(data, list):
        # Reading an object writes its reference count, so its page is copied; the full
        # collection is what a long-lived worker's collector does sooner or later, and
        # what gc.freeze() keeps away from the objects frozen.
        total = sum(data)
        gc.collect()
        return total & 0xFFFF
    return sum(memoryview(data)[::PAGE])


# --- in the workers -------------------------------------------------------------------


def _hold_in_process(conn: Any, data: WorkingSet) -> None:
    """A ``processes`` worker: read the data, say so, block until the parent releases."""
    try:
        conn.send(("ready", _touch(data)))
        conn.recv_bytes()
    except EOFError:  # the parent is gone or closed its end: that releases too
        pass
    except BaseException:
        conn.send(("error", traceback.format_exc()))
    finally:
        conn.close()


_pool_state: tuple[WorkingSet, Any, Any] | None = None


def _pool_init(data: WorkingSet, ready: Any, release: Any) -> None:
    """A ``process_pool`` worker's initializer: keep what ``initargs`` brought."""
    global _pool_state  # noqa: PLW0603 - a pool task can reach its worker's state only so
    _pool_state = (data, ready, release)


def _pool_hold() -> int:
    """A ``process_pool`` task: read the data, say so, block until released."""
    if _pool_state is None:
        raise RuntimeError("the pool's initializer did not run")
    data, ready, release = _pool_state
    touched = _touch(data)
    ready.release()
    release.wait()
    return touched


def _hold_in_thread(data: WorkingSet, ready: threading.Semaphore, release: threading.Event) -> int:
    touched = _touch(data)
    ready.release()
    release.wait()
    return touched


# --- in the parent: start W workers, wait until they are ready, release and reap them ---


def _acquire_all(ready: Any, count: int, check: Callable[[], None]) -> None:
    """Acquire ``ready`` ``count`` times; ``check`` raises if a worker failed meanwhile."""
    deadline = time.monotonic() + READY_TIMEOUT_S
    got = 0
    while got < count:
        if ready.acquire(timeout=0.1):
            got += 1
            continue
        check()
        if time.monotonic() > deadline:
            raise TimeoutError(
                f"{count - got} of {count} workers not ready after {READY_TIMEOUT_S} s"
            )


@contextmanager
def _threads(workers: int, data: WorkingSet) -> Iterator[None]:
    ready, release = threading.Semaphore(0), threading.Event()
    errors: list[str] = []

    def hold() -> None:
        try:
            _hold_in_thread(data, ready, release)
        except BaseException:
            errors.append(traceback.format_exc())

    def check() -> None:
        if errors:
            raise WorkerFailed(f"a thread failed before it was ready:\n{errors[0]}")

    threads: list[threading.Thread] = []
    try:
        for _ in range(workers):
            thread = threading.Thread(target=hold, daemon=True)
            thread.start()
            threads.append(thread)
        _acquire_all(ready, workers, check)
        yield
    finally:
        release.set()
        for thread in threads:
            thread.join()


@contextmanager
def _thread_pool(workers: int, data: WorkingSet) -> Iterator[None]:
    from concurrent.futures import ThreadPoolExecutor

    ready, release = threading.Semaphore(0), threading.Event()
    pool = ThreadPoolExecutor(max_workers=workers)
    try:
        # Every task blocks, so each of the W submits starts its own thread.
        futures = [pool.submit(_hold_in_thread, data, ready, release) for _ in range(workers)]
        _acquire_all(ready, workers, lambda: _raise_done(futures))
        yield
    finally:
        release.set()
        pool.shutdown(wait=True, cancel_futures=True)


def _raise_done(futures: list[Any]) -> None:
    """Raise if a held task ended before its release: its worker failed."""
    for future in futures:
        if future.done():
            future.result()  # raises the worker's error, or BrokenProcessPool
            raise WorkerFailed("a worker's task ended before it was released")


def _start_process(context: Any, data: WorkingSet) -> tuple[Any, Any]:
    """One started worker process and the parent's end of its pipe."""
    mine, theirs = context.Pipe()
    process = context.Process(target=_hold_in_process, args=(theirs, data), daemon=True)
    try:
        process.start()
    except BaseException:
        mine.close()
        raise
    finally:
        theirs.close()  # the child has its own copy: EOF then means the child is gone
    return mine, process


def _wait_ready(started: list[tuple[Any, Any]]) -> None:
    """Wait for every worker's "ready"; raise as soon as one fails or dies."""
    from multiprocessing.connection import wait

    pending: dict[Any, Any] = dict(started)
    deadline = time.monotonic() + READY_TIMEOUT_S
    while pending:
        left = deadline - time.monotonic()
        if left <= 0:
            raise TimeoutError(
                f"{len(pending)} of {len(started)} workers not ready after {READY_TIMEOUT_S} s"
            )
        readable: list[Any] = wait(list(pending), timeout=left)
        for conn in readable:
            process = pending.pop(conn)
            try:
                status, payload = conn.recv()
            except EOFError:
                process.join(JOIN_TIMEOUT_S)
                raise WorkerFailed(
                    f"worker process {process.pid} died (exit code {process.exitcode}) "
                    "before it was ready"
                ) from None
            if status != "ready":
                raise WorkerFailed(f"worker process {process.pid} failed:\n{payload}")


def _reap(processes: list[Any]) -> None:
    """Join every process; kill the ones that do not leave in time."""
    deadline = time.monotonic() + JOIN_TIMEOUT_S
    for process in processes:
        process.join(max(0.0, deadline - time.monotonic()))
    for process in processes:
        if process.is_alive():
            process.kill()
            process.join()


@contextmanager
def _processes(method: str, workers: int, data: WorkingSet) -> Iterator[None]:
    context = multiprocessing.get_context(method)
    started: list[tuple[Any, Any]] = []
    try:
        for _ in range(workers):
            started.append(_start_process(context, data))
        _wait_ready(started)
        yield
    finally:
        # Release by message, not by closing: fork children inherit the parent's ends
        # of the pipes of the workers started before them, so no EOF would come.
        for conn, _ in started:
            with suppress(OSError):  # that worker is gone already
                conn.send_bytes(b"go")
        _reap([process for _, process in started])
        for conn, process in started:
            conn.close()
            process.close()


@contextmanager
def _process_pool(method: str, workers: int, data: WorkingSet) -> Iterator[None]:
    from concurrent.futures import ProcessPoolExecutor
    from concurrent.futures import wait as futures_wait

    context = multiprocessing.get_context(method)
    ready, release = context.Semaphore(0), context.Event()
    pool = ProcessPoolExecutor(
        max_workers=workers,
        mp_context=context,
        initializer=_pool_init,
        initargs=(data, ready, release),
    )
    futures: list[Any] = []
    try:
        # Every task blocks, so the W tasks occupy W distinct workers, all started.
        futures = [pool.submit(_pool_hold) for _ in range(workers)]
        _acquire_all(ready, workers, lambda: _raise_done(futures))
        yield
    finally:
        release.set()
        # Idle workers leave at shutdown; one still busy after its release hangs, and
        # the pool's own table of workers is the one way to kill it (the pool then
        # breaks, which ends its manager thread, so shutdown returns).
        _, busy = futures_wait(futures, timeout=JOIN_TIMEOUT_S)
        if busy:
            for process in list(pool._processes.values()):
                process.kill()
        pool.shutdown(wait=True, cancel_futures=True)


_KEPT: list[WorkingSet] = []  # what ``keep`` holds, in whichever worker runs it


def keep(data: WorkingSet, hold_ms: int, index: int) -> int:
    """A task of a model measured through its own executor: keep ``data`` in this
    worker (a pool's worker outlives the task) and hold it long enough that the ``W``
    tasks spread over ``W`` workers."""
    del index
    touched = _touch(data)
    if data is not None:
        _KEPT.append(data)
    time.sleep(hold_ms / 1000)
    return touched


@contextmanager
def _executor_crew(
    model: str, method: str | None, workers: int, data: WorkingSet
) -> Iterator[None]:
    """Any other pool (subinterpreters; process pools that start workers their own way):
    its own executor, every worker started by a task that keeps the data there."""
    from bench.models import open_executor

    executor = open_executor(model, workers, method)
    try:
        executor.run(keep, [(data, HOLD_MS, i) for i in range(workers)])
        yield
    finally:
        executor.close()  # the workers, and what they kept, go with it


def _crew(case: Case) -> Crew:
    """What starts ``W`` workers of the case's model, chosen by its traits and checked
    before anything starts: threads or processes started here, or the model's executor."""
    from bench.models import MODELS, Isolation

    spec = MODELS.get(case.model)
    if spec is None or not (spec.local and spec.parallel) or spec.is_async:
        raise ValueError(f"memory: the model {case.model!r} has no workers of its own to measure")
    if spec.uses_processes != (case.start_method is not None):
        raise ValueError(f"memory: model {case.model!r} with start method {case.start_method!r}")
    if spec.isolation is Isolation.SHARED:
        return _threads if spec.starts_per_run else _thread_pool
    if spec.isolation is Isolation.PROCESS and case.start_method is not None:
        method = case.start_method
        multiprocessing.get_context(method)  # ValueError for an unknown one, before any start
        opener = _processes if spec.starts_per_run else _process_pool
        return lambda workers, data: opener(method, workers, data)
    if not spec.pool:
        raise ValueError(f"memory: no way to hold the workers of {case.model!r} alive")
    model, start = case.model, case.start_method
    return lambda workers, data: _executor_crew(model, start, workers, data)


# --- measuring ------------------------------------------------------------------------


def tree_memory() -> dict[str, int]:
    """RSS, USS and PSS in bytes, summed over this process and its live descendants.

    A kind is left out when psutil cannot read it for some process of the tree (no
    PSS on macOS; USS needs the right to read another process's map).
    """
    import psutil

    me = psutil.Process()
    totals = dict.fromkeys(KINDS, 0)
    missing: set[str] = set()
    for proc in [me, *me.children(recursive=True)]:
        try:
            try:
                info = proc.memory_full_info()
            except psutil.AccessDenied:
                info = proc.memory_info()
        except psutil.NoSuchProcess:  # ended between listing and reading: nothing to count
            continue
        for kind in KINDS:
            value = getattr(info, kind, None)
            if value is None:
                missing.add(kind)
            else:
                totals[kind] += value
    return {kind: total for kind, total in totals.items() if kind not in missing}


def working_set(case: Case) -> WorkingSet:
    """The structure the workers share: ``case.size`` MiB of real, non-zero pages as one
    bytes object (``working_set``), or as about as many bytes of distinct ints in a list
    (``small_objects``, ``small_objects_frozen``)."""
    if case.variant == "":
        return None
    if case.variant not in ("working_set", *SMALL_OBJECTS):
        raise ValueError(
            f"memory: no variant {case.variant!r} ('', 'working_set', {', '.join(SMALL_OBJECTS)})"
        )
    if case.size <= 0:
        raise ValueError(f"memory: the {case.variant} variant needs a size in MiB")
    if case.variant in SMALL_OBJECTS:
        first = 1 << 10  # past the small ints every interpreter shares
        return list(range(first, first + case.size * MIB // SMALL_OBJECT_BYTES))
    return b"\x01" * (case.size * MIB)


def measure(case: Case, repeat: int = 1) -> list[Measurement]:
    """Tree memory before and with ``case.workers`` live workers, ``repeat`` times."""
    if case.workers < 1 or repeat < 1:
        raise ValueError("memory: workers and repeat must be at least 1")
    crew = _crew(case)
    data = working_set(case)
    frozen = case.variant == "small_objects_frozen"
    if frozen:  # as the gc docs advise right before a fork: all objects so far made permanent
        gc.freeze()
    try:
        return _measure(case, repeat, crew, data)
    finally:
        if frozen:
            gc.unfreeze()


def _measure(case: Case, repeat: int, crew: Crew, data: WorkingSet) -> list[Measurement]:
    # Warm-up: what is set up once per parent lands in every baseline alike. Two
    # workers, because the second start of a spawn or forkserver worker with a working
    # set is the one that leaves the parent's heap grown by the pickled copy (malloc
    # serves the first from mmap and returns it, then raises its mmap threshold).
    with crew(2, data):
        pass
    rows: list[tuple[dict[str, int], dict[str, int]]] = []
    for _ in range(repeat):
        baseline = tree_memory()
        with crew(case.workers, data):
            live = tree_memory()
        rows.append((baseline, live))
    return _measurements(rows, case.workers, case.size * MIB if data is not None else None)


def _measurements(
    rows: list[tuple[dict[str, int], dict[str, int]]], workers: int, working_set_bytes: int | None
) -> list[Measurement]:
    def params() -> dict[str, Any]:
        return {} if working_set_bytes is None else {"working_set_bytes": working_set_bytes}

    kinds = [k for k in KINDS if all(k in base and k in live for base, live in rows)]
    out: list[Measurement] = []
    for kind in kinds:
        out.append(Measurement(f"{kind}_bytes", "byte", [live[kind] for _, live in rows], params()))
    for kind in kinds:
        values = [base[kind] for base, _ in rows]
        out.append(Measurement(f"baseline_{kind}_bytes", "byte", values, params()))
    for kind in kinds:
        extra = [(live[kind] - base[kind]) / workers for base, live in rows]
        out.append(Measurement(f"extra_{kind}_per_worker_bytes", "byte", extra, params()))
    return out
