"""Fault isolation: one task of 8 dies hard (``os._exit``, a segfault), or each of 8 tasks
leaks 16 MiB: what becomes of the other tasks, the pool and the parent's memory."""

from __future__ import annotations

from bench.cases import Family, Pick, ResultsPage, Size
from bench.families.profiles import FORK
from bench.models import model_names
from bench.workloads.catalog import Workload

ORDER = 80

WORKLOADS = (
    # One task of many crashes (os._exit, segfault) or every task leaks memory.
    Workload("fault", None, "MiB leaked per task", measure="fault"),
)

#: Parallel workers on this machine that run ordinary tasks (not the loop, not coroutines).
WORKERS = model_names(lambda m: m.local and m.parallel and not m.is_async)

FAULT = Family("fault", "fault", "fault", (Size("8 tasks", 16, 8),), WORKERS, (2,),
               measure="fault", variants=("os_exit", "segfault", "leak"), once=True)  # fmt: skip
FAMILIES = (FAULT,)
#: Its outcomes (not pyperf values), in reading order: the outcomes table follows it.
OUTCOME_METRICS = {
    "fault": ("tasks_finished", "tasks_failed", "raised", "recovered", "crashed_exitcode",
              "program_exitcode", "program_survived", "parent_rss_growth_bytes",
              "workers_rss_bytes_at_end"),
}  # fmt: skip

PICKS = {
    "smoke": (
        Pick("fault", models=("threads", "processes", "process_pool"), start_methods=FORK),
        Pick("fault", models=("subinterpreters",), variants=("os_exit",)),
    ),
    "quick": (
        Pick("fault", models=("threads", "processes", "process_pool"), start_methods=FORK),
        Pick("fault", models=("subinterpreters", "loky"), variants=("os_exit",)),
    ),
    "standard": (Pick("fault", start_methods=("fork", "spawn")),),
}

PAGE = ResultsPage("results/races-and-faults.md", families=("fault",))
