"""``multiprocessing.Process`` per worker, for one start method: started and joined per batch.

Each worker gets its share of the tasks as arguments and sends its results back
through its own pipe. The parent waits on the pipes and on the processes'
sentinels together, so a worker that dies without a word is noticed at once
instead of leaving the parent waiting forever.
"""

from __future__ import annotations

import multiprocessing
import time
import traceback
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from multiprocessing.connection import Connection, wait
from typing import Any, cast

from bench.models.base import (
    JOIN_TIMEOUT_S,
    READY_TIMEOUT_S,
    ArgList,
    Task,
    TaskError,
    WorkerDied,
    WorkerFailed,
    deal,
)


def _work(conn: Connection, func: Task, items: list[tuple[int, tuple[Any, ...]]]) -> None:
    try:
        conn.send(("ok", [(i, func(*args)) for i, args in items]))
    except BaseException:
        conn.send(("error", traceback.format_exc()))
    finally:
        conn.close()


class ProcessesExecutor:
    def __init__(self, workers: int, start_method: str) -> None:
        self.workers = workers
        self.start_method = start_method
        self._context = multiprocessing.get_context(start_method)

    def run(self, func: Task, arglist: ArgList) -> list[Any]:
        results: list[Any] = [None] * len(arglist)
        pending: dict[Connection, Any] = {}
        try:
            for chunk in deal(len(arglist), self.workers):
                reader, process = self._start(func, [(i, tuple(arglist[i])) for i in chunk])
                pending[reader] = process
            while pending:
                for ready in wait(list(pending)):
                    done = cast(Connection, ready)
                    for i, value in self._collect(done, pending.pop(done)):
                        results[i] = value
        finally:
            for reader, process in pending.items():
                reader.close()
                if process.is_alive():
                    process.kill()
                process.join()
        return results

    def _start(
        self, func: Task, items: list[tuple[int, tuple[Any, ...]]]
    ) -> tuple[Connection, Any]:
        reader, writer = self._context.Pipe(duplex=False)
        process = self._context.Process(target=_work, args=(writer, func, items))  # type: ignore[attr-defined]
        try:
            process.start()
        except BaseException:
            reader.close()
            raise
        finally:
            writer.close()  # the child holds its own copy; EOF then means it is gone
        return reader, process

    def _collect(self, reader: Connection, process: Any) -> list[tuple[int, Any]]:
        """The worker's results, once it has sent them; raise if it failed or died."""
        try:
            message = reader.recv()
        except EOFError:
            message = None
        finally:
            reader.close()
            process.join()
        if message is None:
            raise WorkerDied(
                f"worker process {process.pid} ({self.start_method}) died with exit "
                f"code {process.exitcode} before sending its results",
                process.exitcode,
            )
        status, payload = message
        if status == "error":
            raise TaskError.from_traceback(payload)
        return payload  # type: ignore[no-any-return]

    def close(self) -> None:
        pass


def open_executor(workers: int, start_method: str | None = None) -> ProcessesExecutor:
    if start_method is None:
        raise ValueError("the processes model needs a start method")
    return ProcessesExecutor(workers, start_method)


# --- held workers (Capability.HOLDS_WORKERS) ----------------------------------------------


def _hold(conn: Connection, task: Task, args: tuple[Any, ...]) -> None:
    """A held worker: run the task, say so, block until the parent releases it."""
    try:
        task(*args)
        conn.send(("ready", None))
        conn.recv_bytes()
    except EOFError:  # the parent is gone or closed its end: that releases too
        pass
    except BaseException:
        conn.send(("error", traceback.format_exc()))
    finally:
        conn.close()


def start_held(context: Any, task: Task, args: tuple[Any, ...]) -> tuple[Connection, Any]:
    """One started held worker and the parent's end of its pipe."""
    mine, theirs = context.Pipe()
    process = context.Process(target=_hold, args=(theirs, task, args), daemon=True)
    try:
        process.start()
    except BaseException:
        mine.close()
        raise
    finally:
        theirs.close()  # the child has its own copy: EOF then means the child is gone
    return mine, process


def _wait_ready(started: list[tuple[Connection, Any]]) -> None:
    """Wait for every worker's "ready"; raise as soon as one fails or dies."""
    pending: dict[Any, Any] = dict(started)
    deadline = time.monotonic() + READY_TIMEOUT_S
    while pending:
        left = deadline - time.monotonic()
        if left <= 0:
            raise TimeoutError(
                f"{len(pending)} of {len(started)} workers not ready after {READY_TIMEOUT_S} s"
            )
        for conn in wait(list(pending), timeout=left):
            process = pending.pop(conn)
            try:
                status, payload = cast(Connection, conn).recv()
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
def hold_workers(
    workers: int, start_method: str | None, task: Task, args: tuple[Any, ...]
) -> Iterator[None]:
    """``workers`` processes, each having run ``task(*args)``, blocked until the context
    ends. ``args`` reach them as a ``Process``'s arguments: inherited under fork, pickled
    under spawn and forkserver."""
    if start_method is None:
        raise ValueError("the processes model needs a start method")
    context = multiprocessing.get_context(start_method)
    started: list[tuple[Connection, Any]] = []
    try:
        for _ in range(workers):
            started.append(start_held(context, task, args))
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
