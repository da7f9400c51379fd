"""CPU-bound work: pure Python (holds the GIL) and C code that releases it."""

from __future__ import annotations

import functools
import hashlib
import zlib


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

    Cached so that the timed work is the C call, not building its input. Random
    bytes give zlib no long matches, so it does its full search on every block.
    """
    import random  # lazily: only the C workloads need it

    return random.Random(mib).randbytes(mib * 1024 * 1024)


def sha256_digest(mib: int, index: int = 0) -> str:
    """SHA-256 of a ``mib`` MiB buffer; hashlib releases the GIL for large inputs."""
    del index
    return hashlib.sha256(pattern_buffer(mib)).hexdigest()


def zlib_compressed_size(mib: int, index: int = 0) -> int:
    """Size of a ``mib`` MiB buffer after zlib level 6; zlib releases the GIL while it works."""
    del index
    return len(zlib.compress(pattern_buffer(mib), 6))
