"""Task granularity measures what it says: a tiny task must lose in a process pool.

This is the one comparison of speeds in the tests, and it is built to be far from
any noise: ~10 us of work per task against a pickle, a pipe round trip and a
wake-up per task (hundreds of microseconds), checked with a 2x margin where the
gap is an order of magnitude. The crossover itself is measured by the suite.
"""

from __future__ import annotations

import time

from bench.cases import Pick
from bench.families.catalogue import FAMILIES
from bench.families.granularity.workload import spin
from bench.models import open_executor


def best_of(executor, arglist, repeats: int = 3) -> float:
    best = float("inf")
    for _ in range(repeats):
        start = time.perf_counter()
        executor.run(spin, arglist)
        best = min(best, time.perf_counter() - start)
    return best


def test_a_tiny_task_loses_in_a_process_pool_and_chunksize_helps() -> None:
    (tiny,) = [
        c
        for c in FAMILIES["granularity_none"].cases(Pick("granularity_none"), cores=2)
        if c.size_label == "10us" and c.model == "sequential"
    ]
    arglist = [(tiny.size, i) for i in range(tiny.tasks)]
    loop = open_executor("sequential", 1)
    pool = open_executor("process_pool", 2, "fork")
    chunked = open_executor("process_pool", 2, "fork", chunksize=tiny.tasks // 8)
    try:
        pool.run(spin, arglist[:4])  # start the workers outside the comparison
        chunked.run(spin, arglist[:4])
        sequential = best_of(loop, arglist)
        one_by_one = best_of(pool, arglist)
        in_chunks = best_of(chunked, arglist)
    finally:
        pool.close()
        chunked.close()
    assert one_by_one > 2 * sequential, (one_by_one, sequential)
    assert in_chunks < one_by_one, (in_chunks, one_by_one)
