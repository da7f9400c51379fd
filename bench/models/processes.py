"""``multiprocessing.Process`` per worker, for one start method: started and joined per batch.

Each worker gets its share of the tasks as arguments and sends its results back
through its own pipe. The parent waits on the pipes and on the processes'
sentinels together, so a worker that dies without a word is noticed at once
instead of leaving the parent waiting forever.
"""

from __future__ import annotations

import multiprocessing
import traceback
from multiprocessing.connection import Connection, wait
from typing import Any, cast

from bench.models.base import ArgList, Task, TaskError, WorkerDied, deal


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
                f"code {process.exitcode} before sending its results"
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
