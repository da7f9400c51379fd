"""The free-threaded build against the default build: the cost of one thread, and the same
work done the fastest way each build offers. No family of its own: it compares the CPU
and granularity families across the interpreters of one run."""

from __future__ import annotations

from bench.cases import ResultsPage

ORDER = 140

PAGE = ResultsPage(
    "results/cpu.md", figures=("free-threading-*",), tables=("free_threading_by_series",)
)
