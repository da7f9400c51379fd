"""Generic work functions: no pyperf, no timing, deterministic, checkable results.

Every task function has the same shape, ``func(size, index) -> result``, so that
each concurrency model can run any workload without knowing what it does. The
workloads of a family live in its folder (``bench/families/<name>/``); here are the
ones no family owns: the worker probe, the no-op, the faults the runner's tests use,
and the serving loop the suite's servers share.
"""
