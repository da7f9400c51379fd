"""NumPy work: a matrix product, elementwise ufuncs and a sort, C code that releases the GIL,
and a pure-Python loop over a small array that holds it, for contrast.

The parent makes the arrays once (``operands``), outside the timed batch, and every task
gets its own slice along the first axis: as the array itself (a thread reads it where it
lies, a process pool pickles it) or, in the ``shared_memory`` variant, as a ``SharedSlice``
(the name, shape and dtype of a block the parent filled once, and the slice's index) that
the task maps. Each task returns one small number, so results cost nothing to send back.

BLAS runs on one thread in every worker (``limit_blas_threads``): the models, not BLAS,
supply the parallelism. numpy and threadpoolctl are imported inside the functions, so
the rest of the suite (and every spawned child of another workload) never pays for them.
"""

from __future__ import annotations

import math
import os
import sys
import time
from typing import Any

#: The variant of the array families whose tasks read their slice from shared memory.
SHARED_MEMORY = "shared_memory"
#: Name prefix of the blocks made here (tests look for leftovers under /dev/shm).
SHM_PREFIX = "bench_arrays_"
#: BLAS threads per worker while the tasks run.
BLAS_THREADS = 1

# What threadpoolctl saw once BLAS was limited, and in which pid: a forked child inherits
# it, and limits again (its pid differs) so that the facts are its own.
_blas_seen: dict[str, Any] = {}


def limit_blas_threads() -> dict[str, Any]:
    """Limit BLAS to ``BLAS_THREADS`` in this process (once per process; the limit is
    process-wide, so threads share it) and return the library as threadpoolctl saw it:
    ``blas_library`` (internal_api), ``blas_version``, ``blas_threads`` (0: none found)."""
    if _blas_seen.get("pid") != os.getpid():
        from threadpoolctl import threadpool_info, threadpool_limits

        threadpool_limits(BLAS_THREADS, user_api="blas")
        blas = [lib for lib in threadpool_info() if lib.get("user_api") == "blas"]
        _blas_seen.update(
            blas_library=",".join(sorted({str(lib["internal_api"]) for lib in blas}))
            or "none found",
            blas_version=",".join(sorted({str(lib.get("version")) for lib in blas})) or "n/a",
            blas_threads=max((int(lib["num_threads"]) for lib in blas), default=0),
            pid=os.getpid(),
        )
    return {key: value for key, value in _blas_seen.items() if key != "pid"}


def blas_facts(hold_ms: int, index: int = 0) -> dict[str, Any]:
    """The BLAS library and its thread count in the process running this task, after the
    limit; holds ``hold_ms`` so that a pool spreads the probes across its workers."""
    del index
    facts = limit_blas_threads()
    time.sleep(hold_ms / 1000)
    return facts | {"pid": os.getpid()}


class SharedSlice:
    """Where a task's operand lies: slice ``index`` (along the first axis) of the array
    of ``shape`` and ``dtype`` held by the shared-memory block ``block``."""

    __slots__ = ("block", "dtype", "index", "shape")

    def __init__(self, block: str, shape: tuple[int, ...], dtype: str, index: int) -> None:
        self.block, self.shape, self.dtype, self.index = block, shape, dtype, index

    def __getstate__(self) -> tuple[str, tuple[int, ...], str, int]:
        return (self.block, self.shape, self.dtype, self.index)

    def __setstate__(self, state: tuple[str, tuple[int, ...], str, int]) -> None:
        self.block, self.shape, self.dtype, self.index = state


def _apply(work: Any, operand: Any) -> float:
    """``work(array)`` on the task's operand: the array itself, or its slice of a
    shared-memory block mapped for the call and released after."""
    limit_blas_threads()
    if not isinstance(operand, SharedSlice):
        return float(work(operand))
    from multiprocessing.shared_memory import SharedMemory

    import numpy as np

    # The parent owns the block and unlinks it; a task only maps it (3.13+: untracked, so
    # no resource tracker claims it).
    options: dict[str, Any] = {"track": False} if sys.version_info >= (3, 13) else {}
    block = SharedMemory(name=operand.block, **options)
    try:
        whole = np.ndarray(operand.shape, dtype=operand.dtype, buffer=block.buf)
        result = float(work(whole[operand.index]))
        del whole  # the view must go before the block can close
    finally:
        block.close()
    return result


def _product(pair: Any) -> Any:
    return (pair[0] @ pair[1]).sum()


def _ufuncs(values: Any) -> Any:
    import numpy as np

    return np.exp(np.sin(values)).sum()


def _sorted_checksum(values: Any) -> Any:
    import numpy as np

    ordered = np.sort(values)
    # a sum of every 64th quantile: one that an unsorted copy would not give
    return ordered[:: max(1, len(ordered) // 64)].sum()


def _python_sum_of_squares(values: Any) -> float:
    total = 0.0
    for value in values.tolist():  # Python floats: the loop is bytecode, holding the GIL
        total += value * value
    return total


def matmul(size: int, index: int, operand: Any) -> float:
    """Sum of the product of two ``size`` x ``size`` matrices (BLAS, one thread)."""
    del size, index
    return _apply(_product, operand)


def ufuncs(size: int, index: int, operand: Any) -> float:
    """Sum of exp(sin(x)) over ``size`` MiB of float64: two ufuncs and a reduction."""
    del size, index
    return _apply(_ufuncs, operand)


def sort(size: int, index: int, operand: Any) -> float:
    """np.sort of ``size`` MiB of float64, checked by a strided sum of the result."""
    del size, index
    return _apply(_sorted_checksum, operand)


def python_loop(size: int, index: int, operand: Any) -> float:
    """Sum of squares of ``size`` KiB of float64 in a Python loop: holds the GIL."""
    del size, index
    return _apply(_python_sum_of_squares, operand)


def slice_shape(workload: str, size: int) -> tuple[int, ...]:
    """The shape of one task's operand: two ``size`` x ``size`` matrices for the product,
    ``size`` MiB (ufuncs, sort) or KiB (the Python loop) of float64 otherwise."""
    if workload == "numpy_matmul":
        return (2, size, size)
    if workload == "numpy_python_loop":
        return ((size << 10) // 8,)
    return ((size << 20) // 8,)


class Operands:
    """The arguments of one batch, made once in the parent, and the shared-memory block
    that holds them in the ``shared_memory`` variant (unlinked by ``close``)."""

    def __init__(self, workload: str, size: int, tasks: int, variant: str = "") -> None:
        import numpy as np

        shape = (tasks, *slice_shape(workload, size))
        dtype = np.dtype(np.float64)
        fill = np.random.default_rng(size).random  # the same numbers in every variant
        self.block: Any = None
        if variant == SHARED_MEMORY:
            from multiprocessing.shared_memory import SharedMemory

            name = f"{SHM_PREFIX}{os.getpid()}_{os.urandom(4).hex()}"
            self.block = SharedMemory(name=name, create=True, size=math.prod(shape) * 8)
            fill(out=np.ndarray(shape, dtype=dtype, buffer=self.block.buf))
            self.arglist: list[tuple[Any, ...]] = [
                (size, i, SharedSlice(name, shape, dtype.str, i)) for i in range(tasks)
            ]
        elif variant:
            raise ValueError(f"unknown variant {variant!r} of {workload!r}")
        else:
            # views, one per task: a thread reads it in place, a process pool pickles it
            data = fill(shape)
            self.arglist = [(size, i, data[i]) for i in range(tasks)]

    def worker_metadata(self, executor: Any, hold_ms: int = 30) -> dict[str, Any]:
        """The BLAS library and the most threads it had in any worker of ``executor``, and
        OPENBLAS_CORETYPE as the workers inherit it (set or not, left as it is)."""
        probes = [(hold_ms, i) for i in range(executor.workers)]
        seen = executor.run(blas_facts, probes)
        return {
            "blas_library": seen[0]["blas_library"],
            "blas_version": seen[0]["blas_version"],
            "blas_threads": max(int(f["blas_threads"]) for f in seen),
            "openblas_coretype": os.environ.get("OPENBLAS_CORETYPE") or "unset",
        }

    def close(self) -> None:
        """Unlink the block (idempotent)."""
        block, self.block = self.block, None
        if block is not None:
            block.close()
            block.unlink()


def operands(workload: str, size: int, tasks: int, variant: str = "") -> Operands:
    """The arguments of a batch of ``tasks`` tasks of ``workload`` (see ``Operands``)."""
    return Operands(workload, size, tasks, variant)
