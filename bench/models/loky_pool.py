"""loky's reusable process pool: ``loky.get_reusable_executor``, opened fresh and reused.

loky starts its workers its own way (fork then exec, "loky"), so no multiprocessing
start method applies. Its executor is one per process, reused across calls: ``open``
asks for a new one (``reuse=False``), so that a case never inherits another's workers
and a "lifecycle" timing starts new workers; ``close`` shuts it down for real.

A worker that dies fails its task (``TerminatedWorkerError``, raised here as
``WorkerDied``), but unlike ``ProcessPoolExecutor`` the pool is not lost: the next
``run`` asks loky again and gets a replacement with fresh workers, in the same call.
"""

from __future__ import annotations

from typing import Any

from bench.models.base import ArgList, Task, WorkerDied, x_option_environment

#: Idle workers would retire after loky's default 10 s and be started again inside a
#: timed batch; a benchmark's pauses must not cost a restart.
IDLE_TIMEOUT_S = None


class LokyPool:
    def __init__(self, workers: int) -> None:
        self.workers = workers
        self.recoveries = 0  # replacements after a dead worker: the robustness measured
        self._broken = False
        self._pool: Any = self._executor(reuse=False)

    def _executor(self, *, reuse: bool) -> Any:
        from loky import get_reusable_executor

        # loky starts its workers as a bare `python -m ...`: the case's -X options (-X gil=1)
        # reach them as the variables that say the same, or they run another interpreter.
        return get_reusable_executor(
            max_workers=self.workers, timeout=IDLE_TIMEOUT_S, reuse=reuse,
            env=x_option_environment(),
        )  # fmt: skip

    def run(self, func: Task, arglist: ArgList) -> list[Any]:
        from loky.process_executor import BrokenProcessPool

        if self._broken:
            # loky sees the broken executor and starts a new one: no error for this batch.
            self._pool = self._executor(reuse=True)
            self._broken = False
            self.recoveries += 1
        columns = zip(*arglist, strict=True)
        try:
            return list(self._pool.map(func, *columns))
        except BrokenProcessPool as exc:  # TerminatedWorkerError is one
            self._broken = True
            raise WorkerDied(f"loky worker died: {type(exc).__name__}: {exc}") from exc

    def close(self) -> None:
        self._pool.shutdown(wait=True, kill_workers=True)


def open_executor(workers: int, start_method: str | None = None) -> LokyPool:
    if start_method is not None:
        raise ValueError("loky starts its workers its own way: no start method applies")
    return LokyPool(workers)
