"""Executor.map over a long input: eager, as every Python before 3.14 does it (every task
submitted before the first result comes back), against 3.14's ``buffersize`` (at most
that many tasks in flight). What a reader streaming a large input through a pool needs:
the time to the first result, the time to all of them and the memory the parent holds."""

from __future__ import annotations

from bench.cases import Family, Pick, ResultsPage, Size
from bench.families.profiles import FORK
from bench.models import Capability, model_names
from bench.workloads.catalog import Workload

ORDER = 45

WORKLOADS = (
    # Items mapped through a pool by Executor.map (the identity function): no task
    # function of its own, the measure runs it.
    Workload("long_input", None, "items in the input", measure="map_buffer"),
)

#: The pools whose executor maps an iterable as it goes (``Capability.STREAMS``).
STREAMERS = model_names(lambda m: m.has(Capability.STREAMS))
#: Every task submitted at once, and at most ``BUFFER_PER_WORKER`` x workers in flight.
MAP_VARIANTS = ("eager", "buffered")

# 20,000 items: about 0.1 s eagerly in a thread pool and about a second in a process pool
# (fork) on this 2-core VM, enough for the pending tasks to dominate the parent's memory.
MAP_BUFFER = Family("map_buffer", "map_buffer", "long_input", (Size("20k items", 20_000, 0),),
                    STREAMERS, (2,), measure="map_buffer", variants=MAP_VARIANTS)  # fmt: skip
FAMILIES = (MAP_BUFFER,)

PICKS = {
    "smoke": (Pick("map_buffer", models=("thread_pool",)),),
    "standard": (Pick("map_buffer", start_methods=FORK),),
}

PAGE = ResultsPage(
    "results/communication.md",
    families=("map_buffer",),
    tables=("map_buffer",),
)
