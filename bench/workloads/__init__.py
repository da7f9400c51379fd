"""Pure work functions: no pyperf, no timing, deterministic, checkable results.

Every task function has the same shape, ``func(size, index) -> result``, so that
each concurrency model can run any workload without knowing what it does. The
catalogue of workloads (``bench.workloads.catalog``) names them by dotted path,
so a benchmark imports only the module it runs.
"""
