"""Races: N threads increment one shared counter, unsynchronised and under a lock."""

from __future__ import annotations

from bench.cases import Family, Pick, ResultsPage, Size
from bench.models import Isolation, model_names
from bench.workloads.catalog import Workload

ORDER = 70

WORKLOADS = (
    # Threads incrementing one shared counter, with and without a lock.
    Workload("counter", None, "increments per thread", measure="race"),
)

#: Workers started for the batch that share this interpreter's objects: threads. (A pool's
#: threads are the same threads; the claim is about starting threads on shared state.)
RACERS = model_names(lambda m: m.starts_per_run and m.isolation is Isolation.SHARED)

RACE = Family("race", "race", "counter", (Size("200k", 200_000, 0),), RACERS, (2, 4, 8),
              measure="race", variants=("racy", "locked"))  # fmt: skip
FAMILIES = (RACE,)
#: Its outcomes (not pyperf values), in reading order: the outcomes table follows it.
OUTCOME_METRICS = {
    "race": ("lost_updates", "lost_updates_per_million", "seconds_per_million_increments",
             "final_count"),
}  # fmt: skip

PICKS = {
    "smoke": (Pick("race", workers=(2,)),),
    "quick": (Pick("race", workers=(2,)),),
    "standard": (Pick("race", workers=(2, 4)),),
}

PAGE = ResultsPage(
    "results/races-and-faults.md",
    families=("race",),
    figures=("races",),
    tables=("outcomes",),
    intro="Lost updates of an unsynchronised counter, the cost of the lock, what a "
    "crashing or leaking task does to threads and processes, and what breaks where: "
    "classic multiprocessing mistakes per start method and process API.",
    order=60,
)
