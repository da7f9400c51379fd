"""CPU-bound work: pure Python (holds the GIL) and C code that releases it.

The C workloads hash or compress a buffer of fixed pseudo-random bytes. The parent builds
it once, before any worker starts and before the clock (``inputs``), and puts a copy in a
shared-memory block: a task gets the block's name (``SharedInput``) and reads the buffer
where its process finds it, without building it (``input_of``). Threads and the loop read
the parent's own bytes; forked children inherit them; spawn and forkserver children and
subinterpreters map the block, once per process or interpreter.
"""

from __future__ import annotations

import functools
import hashlib
import os
import sys
import time
import zlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from multiprocessing.shared_memory import SharedMemory

#: Name prefix of the input blocks made here (tests look for leftovers under /dev/shm).
SHM_PREFIX = "bench_input_"


def count_primes(limit: int, index: int = 0) -> int:
    """Count the primes below ``limit`` by trial division: pure-Python bytecode only.

    Only local variables are touched, so free-threaded builds can run copies of it
    side by side without contending on a shared object.
    """
    del index
    count = 0
    for n in range(2, limit):
        d = 2
        while d * d <= n:
            if n % d == 0:
                break
            d += 1
        else:
            count += 1
    return count


@functools.lru_cache(maxsize=4)
def pattern_buffer(mib: int) -> bytes:
    """``mib`` MiB of fixed pseudo-random bytes, built once per process.

    Random bytes give zlib no long matches, so it does its full search on every block.
    A batch builds it in the parent (``inputs``); only a direct call with no input
    (a test, a look by hand) builds it where it runs.
    """
    import random  # lazily: only the C workloads need it

    return random.Random(mib).randbytes(mib * 1024 * 1024)


class SharedInput:
    """Where a task's input lies: the shared-memory block ``block``, ``nbytes`` long, that
    the process ``owner`` built and filled once. Only this crosses to a worker, never the
    bytes."""

    __slots__ = ("block", "nbytes", "owner")

    def __init__(self, block: str, nbytes: int, owner: int) -> None:
        self.block, self.nbytes, self.owner = block, nbytes, owner

    def __getstate__(self) -> tuple[str, int, int]:
        return (self.block, self.nbytes, self.owner)

    def __setstate__(self, state: tuple[str, int, int]) -> None:
        self.block, self.nbytes, self.owner = state


#: This process's inputs, by block name: the parent's own bytes (which its threads read and
#: its forked children inherit), or the block mapped here (kept mapped while it lives).
_INPUTS: dict[str, bytes | memoryview] = {}
_MAPPED: list[Any] = []  # the SharedMemory objects behind the mapped views
_BUILT: set[str] = set()  # the inputs this process had to build itself (another machine)

#: How a worker found its input (``touch_input``): the parent's own bytes (the loop, threads),
#: inherited from it (fork), the block mapped (spawn, forkserver, a subinterpreter), or built
#: itself (a worker on another machine).
OWN, INHERITED, MAPPED, BUILT = "own", "inherited", "mapped", "built"


def input_of(source: SharedInput) -> bytes | memoryview:
    """The bytes ``source`` names, as this process finds them: the parent's (inherited
    under fork), or the block mapped once in this process or interpreter."""
    found = _INPUTS.get(source.block)
    if found is None:
        from multiprocessing.shared_memory import SharedMemory

        # The parent owns the block and unlinks it; a reader only maps it (3.13+:
        # untracked, so no resource tracker claims it).
        options: dict[str, Any] = {"track": False} if sys.version_info >= (3, 13) else {}
        try:
            block = SharedMemory(name=source.block, **options)
        except FileNotFoundError:
            # A worker on another machine (a remote Dask worker) cannot map it: it builds
            # the same bytes, once, when the batch's set-up reaches it (before the clock).
            found = _INPUTS[source.block] = pattern_buffer(source.nbytes >> 20)
            _BUILT.add(source.block)
            return found
        if block.buf is None or len(block.buf) != source.nbytes:
            block.close()
            raise ValueError(f"input block {source.block} is not {source.nbytes} bytes long")
        _MAPPED.append(block)
        found = _INPUTS[source.block] = block.buf
    return found


def forget_input(block: str) -> None:
    """Drop this process's entry for the input of ``block`` (its owner's, at ``close``)."""
    _INPUTS.pop(block, None)
    _BUILT.discard(block)


def _data(mib: int, source: SharedInput | None) -> bytes | memoryview:
    return pattern_buffer(mib) if source is None else input_of(source)


def sha256_digest(mib: int, index: int = 0, source: SharedInput | None = None) -> str:
    """SHA-256 of a ``mib`` MiB buffer; hashlib releases the GIL for large inputs."""
    del index
    return hashlib.sha256(_data(mib, source)).hexdigest()


def zlib_compressed_size(mib: int, index: int = 0, source: SharedInput | None = None) -> int:
    """Size of a ``mib`` MiB buffer after zlib level 6; zlib releases the GIL while it works."""
    del index
    return len(zlib.compress(_data(mib, source), 6))


def touch_input(hold_ms: int, index: int, source: SharedInput) -> str:
    """Find the input in this worker and read a byte of every page (what maps them), then
    hold the worker so that a pool spreads these calls over all its workers. Returns how
    the worker found it (``OWN``, ``INHERITED``, ``MAPPED`` or ``BUILT``)."""
    del index
    data = input_of(source)
    sum(memoryview(data)[::4096])
    time.sleep(hold_ms / 1000)
    if source.block in _BUILT:
        return BUILT
    if isinstance(data, memoryview):
        return MAPPED
    return OWN if os.getpid() == source.owner else INHERITED


class Inputs:
    """One batch's arguments: the buffer built once in the parent, a block holding a copy
    (unlinked by ``close``), and per task its size, index and the block's name."""

    def __init__(self, workload: str, mib: int, tasks: int, variant: str = "") -> None:
        from multiprocessing.shared_memory import SharedMemory

        if variant:
            raise ValueError(f"unknown variant {variant!r} of {workload!r}")
        data = pattern_buffer(mib)
        name = f"{SHM_PREFIX}{os.getpid()}_{os.urandom(4).hex()}"
        block = SharedMemory(name=name, create=True, size=len(data))
        self.block: SharedMemory | None = block
        if block.buf is not None:  # None only once closed
            block.buf[: len(data)] = data  # the OS may round the block up to a page
        _INPUTS[name] = data
        self.source = SharedInput(name, len(data), os.getpid())
        self.arglist: list[tuple[Any, ...]] = [(mib, i, self.source) for i in range(tasks)]

    def worker_metadata(self, executor: Any, hold_ms: int = 30) -> dict[str, Any]:
        """Make every worker of ``executor`` find the input now, before the clock: a
        spawned worker maps the block here rather than in its first timed task."""
        executor.run(touch_input, [(hold_ms, i, self.source) for i in range(executor.workers)])
        return {}

    def close(self) -> None:
        """Unlink the block (idempotent)."""
        block, self.block = self.block, None
        if block is not None:
            forget_input(block.name)
            block.close()
            block.unlink()


def inputs(workload: str, mib: int, tasks: int, variant: str = "") -> Inputs:
    """The arguments of a batch of ``tasks`` tasks of ``workload`` (see ``Inputs``)."""
    return Inputs(workload, mib, tasks, variant)
