"""Process APIs: the subjects of the pitfalls families, each a standard-library way to run
a task in another process. A mistake is tried with each, in a program of its own.

``attempt`` is the source of that program's ``attempt(context)``: it runs ``TASK(*ARGS)``
once with the API, waiting at most ``WAIT_S`` for a result, and returns ``(kind, detail)``
(``checked(result)`` for a result, ``("hangs", "")`` past the wait).
"""

from __future__ import annotations

from dataclasses import dataclass

from bench.cases import Subject, SubjectKind
from bench.models import START_METHODS, Role


@dataclass(frozen=True)
class ProcessApi:
    name: str  # Case.model of the pitfalls families
    label: str  # what a reader calls it
    attempt: str
    returns_result: bool = True  # a Process has no result to pickle
    starts_per_run: bool = False  # a process started for the one attempt, not a pool

    @property
    def subject(self) -> Subject:
        # a worker like a Process of that start method answers the probe
        return Subject(
            self.name, self.label, start_methods=START_METHODS,
            starts_per_run=self.starts_per_run, peer=Role.PROCESSES,
        )  # fmt: skip


_PROCESS = """
def attempt(context):
    process = context.Process(target=TASK, args=ARGS)
    process.start()
    process.join(WAIT_S)
    if process.exitcode is None:
        process.kill()
        process.join()
        return "hangs", ""
    return ("works", "") if process.exitcode == 0 else ("exit", str(process.exitcode))
"""

_PROCESS_POOL = """
def attempt(context):
    from concurrent.futures import ProcessPoolExecutor

    pool = ProcessPoolExecutor(1, mp_context=context)
    hung = False
    try:
        result = pool.submit(TASK, *ARGS).result(timeout=WAIT_S)
    except TimeoutError:
        hung = True
        return "hangs", ""
    finally:
        if hung:  # the pool's own table of workers is the one way to stop them
            for worker in list((getattr(pool, "_processes", None) or {}).values()):
                worker.kill()
        pool.shutdown(wait=True, cancel_futures=True)
    return checked(result)
"""

_MP_POOL = """
def attempt(context):
    pool = context.Pool(1)
    try:
        result = pool.apply_async(TASK, ARGS).get(WAIT_S)
    except multiprocessing.TimeoutError:
        return "hangs", ""
    finally:
        pool.terminate()
    return checked(result)
"""

PROCESS_APIS: dict[str, ProcessApi] = {
    api.name: api
    for api in (
        ProcessApi(
            "processes",
            "multiprocessing.Process",
            _PROCESS,
            returns_result=False,
            starts_per_run=True,
        ),
        ProcessApi("process_pool", "ProcessPoolExecutor", _PROCESS_POOL),
        ProcessApi("mp.Pool", "multiprocessing.Pool", _MP_POOL),
    )
}

PROCESS_API = SubjectKind("process API", lambda: {a.name: a.subject for a in PROCESS_APIS.values()})
