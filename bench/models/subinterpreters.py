"""Subinterpreters: one interpreter per worker, each with its own GIL, in this one process.

On Python 3.14+ this is ``concurrent.futures.InterpreterPoolExecutor``. On 3.12 and 3.13
it is the ``backports.interpreters`` package (PEP 734's API): one worker thread per
interpreter, opened once and reused, each running its tasks with ``Interpreter.call``.
Tasks are dealt round-robin, so ``workers`` tasks land on ``workers`` distinct
interpreters (the memory measure relies on it).

What crosses to a subinterpreter: the backport marshals the *code* of the function it
is given and runs it against the subinterpreter's ``__main__``, without the function's
module globals or defaults. So every task goes through ``call_by_name``, which needs
nothing but builtins: it sets ``sys.path`` to the parent's (the project may sit on a
path only the parent was given) and imports the task function by module and name. The
arguments and the result are pickled both ways.
"""

from __future__ import annotations

import queue
import sys
import threading
from typing import Any

from bench.models.base import ArgList, Task, TaskError, deal

#: The first Python whose interpreters each have a GIL of their own (PEP 684).
OWN_GIL_SINCE = (3, 12)
#: From this Python on the standard library has the executor (PEP 734).
STDLIB_SINCE = (3, 14)


def call_by_name(module: str, qualname: str, args: tuple[Any, ...], path: list[str]) -> Any:
    """Run in a subinterpreter: import ``module``, call its ``qualname`` with ``args``.
    Self-contained (no globals, no defaults): only its code crosses over."""
    import importlib
    import sys

    if sys.path != path:
        sys.path[:] = path
    target: Any = importlib.import_module(module)
    for part in qualname.split("."):
        target = getattr(target, part)
    return target(*args)


def interpreters_module() -> Any:
    """The PEP 734 module: the standard library's from 3.14, else the backport."""
    if sys.version_info >= STDLIB_SINCE:
        import concurrent.interpreters as stdlib_interpreters  # type: ignore[import-not-found]

        return stdlib_interpreters
    import backports.interpreters as backport  # type: ignore[import-not-found]

    return backport


def unavailable() -> str | None:
    """Why this interpreter cannot run the model, or None. Creates one subinterpreter,
    calls into it and closes it (about 10 ms), so a build that cannot is caught here."""
    if sys.version_info < OWN_GIL_SINCE:
        return "subinterpreters with their own GIL need 3.12+"
    interpreters = interpreters_module()  # ImportError: the registry names the package
    return _try_one(interpreters)


def _try_one(interpreters: Any) -> str | None:
    # In a function of its own: the interpreter object is dropped on return, so no closed
    # object is left for shutdown (its __del__ then prints a TypeError on 3.13t).
    try:
        interpreter = interpreters.create()
    except Exception as exc:
        return f"creating a subinterpreter fails here: {type(exc).__name__}: {exc}"
    try:
        answer = interpreter.call(call_by_name, "operator", "add", (40, 2), list(sys.path))
    except Exception as exc:
        return f"a call into a subinterpreter fails here: {type(exc).__name__}: {exc}"
    finally:
        interpreter.close()
    return None if answer == 42 else f"a call into a subinterpreter returned {answer!r}"


def importable_module(func: Task) -> str:
    """The module a subinterpreter imports ``func`` from: a module run with ``-m`` is
    ``__main__`` here, but its own name there (where importing it runs no main code)."""
    module = str(func.__module__)
    if module == "__main__":
        spec = getattr(sys.modules["__main__"], "__spec__", None)
        if spec is not None and spec.name:
            return str(spec.name)
    return module


def _task_error(exc: BaseException) -> TaskError:
    """The task's own traceback where the interpreter module gives it."""
    excinfo = getattr(exc, "excinfo", None)
    text = getattr(excinfo, "formatted", None) or f"{type(exc).__name__}: {exc}"
    return TaskError.from_traceback(str(text))


class _Worker:
    """One interpreter and the one thread that calls into it."""

    def __init__(self, interpreters: Any, index: int) -> None:
        self.interpreter = interpreters.create()
        self.inbox: queue.SimpleQueue[Any] = queue.SimpleQueue()
        self.thread = threading.Thread(target=self._serve, name=f"subinterpreter-{index}")
        self.thread.start()

    def _serve(self) -> None:
        while (job := self.inbox.get()) is not None:
            module, qualname, path, calls, results, done = job
            error: BaseException | None = None
            try:
                for index, args in calls:
                    results[index] = self.interpreter.call(
                        call_by_name, module, qualname, tuple(args), path
                    )
            except BaseException as exc:  # reported to run(), which raises it
                error = exc
            done.put(error)

    def stop(self) -> None:
        if self.thread.is_alive():
            self.inbox.put(None)
            self.thread.join()
        self.interpreter.close()


class InterpreterWorkers:
    """3.12 and 3.13: ``workers`` interpreters, each behind a thread of its own."""

    def __init__(self, workers: int) -> None:
        self.workers = workers
        interpreters = interpreters_module()
        self._workers: list[_Worker] = []
        try:
            for index in range(workers):
                self._workers.append(_Worker(interpreters, index))
        except BaseException:
            self.close()
            raise

    def run(self, func: Task, arglist: ArgList) -> list[Any]:
        path = list(sys.path)
        results: list[Any] = [None] * len(arglist)
        done: queue.SimpleQueue[BaseException | None] = queue.SimpleQueue()
        shares = deal(len(arglist), self.workers) if arglist else []
        module = importable_module(func)
        for worker, indices in zip(self._workers, shares, strict=False):
            calls = [(i, arglist[i]) for i in indices]
            worker.inbox.put((module, func.__qualname__, path, calls, results, done))
        errors = [error for _ in shares if (error := done.get()) is not None]
        if errors:
            raise _task_error(errors[0]) from errors[0]
        return results

    def close(self) -> None:
        workers, self._workers = self._workers, []
        for worker in workers:
            worker.stop()


class InterpreterPool:
    """3.14+: the standard library's ``InterpreterPoolExecutor``."""

    def __init__(self, workers: int) -> None:
        from concurrent.futures import InterpreterPoolExecutor  # type: ignore[attr-defined]

        self.workers = workers
        # A builtin as initializer: it crosses by reference, before the project can be
        # imported there; it gives the workers the parent's sys.path.
        self._pool = InterpreterPoolExecutor(
            max_workers=workers,
            initializer=exec,
            initargs=(f"import sys; sys.path[:] = {list(sys.path)!r}",),
        )

    def run(self, func: Task, arglist: ArgList) -> list[Any]:
        try:
            return list(self._pool.map(func, *zip(*arglist, strict=True)))
        except Exception as exc:
            if type(exc).__name__ == "ExecutionFailed":
                raise _task_error(exc) from exc
            raise

    def close(self) -> None:
        self._pool.shutdown(wait=True, cancel_futures=True)


def open_executor(
    workers: int, start_method: str | None = None
) -> InterpreterWorkers | InterpreterPool:
    if start_method is not None:
        raise ValueError("subinterpreters take no start method")
    if sys.version_info >= STDLIB_SINCE:
        return InterpreterPool(workers)
    return InterpreterWorkers(workers)
