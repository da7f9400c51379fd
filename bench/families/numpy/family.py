"""NumPy on arrays the parent made, 8 tasks of ~20-50 ms each, BLAS on one thread
(``workload.py``); a Python loop over a small array for contrast. The process pool gets
each task's array pickled or (variant ``shared_memory``) a block's slice."""

from __future__ import annotations

from bench.cases import THE_CORES, Family, Pick, Size
from bench.families.profiles import FORK
from bench.models import Isolation, model_names
from bench.workloads.catalog import Workload

ORDER = 130
KINDS = (
    ("matmul", "matrix side", Size("768x768", 768, 8)),  # the product of two square matrices
    ("ufuncs", "MiB", Size("16MiB", 16, 8)),  # exp(sin(x)) over a float64 array, and its sum
    ("sort", "MiB", Size("4MiB", 4, 8)),  # np.sort of a float64 array
    ("python_loop", "KiB", Size("2MiB", 2048, 8)),  # the contrast: a Python loop, small array
)

WORKLOADS = tuple(
    Workload(f"numpy_{name}", f"bench.families.numpy.workload:{name}", unit,
             operands="bench.families.numpy.workload:operands",
             requires=("numpy", "threadpoolctl"), extra="io")
    for name, unit, _ in KINDS
)  # fmt: skip

#: Threads and the process pool against the loop (extension modules such as NumPy do not
#: load in subinterpreters; a cluster's per-task cost is the granularity family's); only a
#: process pool with a start method reads arrays from shared memory.
ARRAY_MODELS = model_names(
    lambda m: m.baseline
    or (m.isolation is Isolation.SHARED and not m.is_async)
    or (m.uses_processes and m.pool)
)  # fmt: skip
ARRAY_SHM_MODELS = model_names(lambda m: m.uses_processes and m.pool)

FAMILIES = tuple(
    Family(f"numpy_{name}{'_shm' if shm else ''}", "numpy", f"numpy_{name}", (size,),
           ARRAY_SHM_MODELS if shm else ARRAY_MODELS, (2, 4),
           variants=("shared_memory",) if shm else ("",), needs_cores=True)
    for name, _, size in KINDS
    for shm in (False, True)
)  # fmt: skip

PICKS = {
    "smoke": (Pick("numpy_ufuncs_shm", workers=(2,), start_methods=FORK),),
    "quick": (
        # The copy claim on ufuncs, the thread-pool claim on ufuncs and matmul.
        Pick("numpy_ufuncs", workers=(THE_CORES,), start_methods=FORK,
             models=("sequential", "thread_pool", "process_pool")),
        Pick("numpy_ufuncs_shm", workers=(THE_CORES,), start_methods=FORK),
        Pick("numpy_matmul", workers=(THE_CORES,), models=("sequential", "thread_pool")),
    ),
    "standard": (
        # Every array workload with a worker per core against the loop; threads started per batch
        # are the thread pool's twins here (quick and full have them).
        *(Pick(f"numpy_{name}", workers=(THE_CORES,), start_methods=FORK,
               models=("sequential", "thread_pool", "process_pool"))
          for name in ("matmul", "ufuncs", "sort", "python_loop")),
        *(Pick(f"numpy_{name}_shm", workers=(THE_CORES,), start_methods=FORK)
          for name in ("matmul", "ufuncs", "sort")),
    ),
}  # fmt: skip
