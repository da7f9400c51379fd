"""The article's two worker examples, corrected: every worker is started and joined.

The original snippets built the workers but never started or joined them (and
never appended them to their lists), so they printed nothing. Run this module to
see both versions work::

    python -m bench.families.article.workload
"""

from __future__ import annotations

import multiprocessing
import sys
import threading

# --8<-- [start:worker]
WORKERS = 5


def greeting(num: int) -> str:
    return f"Worker {num}"


def worker(num: int) -> None:
    """The article's worker: print one line.

    Written in one call, newline included, so lines from concurrent workers never
    interleave mid-line (``print`` writes the text and the newline separately).
    """
    print(f"{greeting(num)}\n", end="", flush=True)
    # --8<-- [end:worker]


def quiet_worker(size: int, index: int) -> str:
    """The benchmarked task: the same line, returned instead of printed.

    Printing thousands of lines would measure the terminal, not the workers.
    ``size`` is unused; it keeps the shape every task shares.
    """
    del size
    return greeting(index)


# --8<-- [start:processes]
def run_processes(count: int = WORKERS, start_method: str | None = None) -> None:
    """The multiprocessing example: start ``count`` processes, then join them all."""
    context = multiprocessing.get_context(start_method)
    processes = []
    for i in range(count):
        p = context.Process(target=worker, args=(i,))  # type: ignore[attr-defined]
        p.start()
        processes.append(p)
    for p in processes:
        p.join()
    # --8<-- [end:processes]


# --8<-- [start:threads]
def run_threads(count: int = WORKERS) -> None:
    """The threading example: start ``count`` threads, then join them all."""
    threads = []
    for i in range(count):
        t = threading.Thread(target=worker, args=(i,))
        t.start()
        threads.append(t)
    for t in threads:
        t.join()
    # --8<-- [end:threads]


# --8<-- [start:main]
def main() -> int:
    print("multiprocessing:", flush=True)
    run_processes()
    print("threading:", flush=True)
    run_threads()
    return 0


if __name__ == "__main__":
    sys.exit(main())
# --8<-- [end:main]
