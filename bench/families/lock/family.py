"""Lock cost: the race's counter incremented with no lock and under a ``threading.Lock``, by
one thread (uncontended: the lock's own cost) and by 2 or 4 (contended: what waiting for it
adds), on every interpreter (a free-threaded build's lock is its own)."""

from __future__ import annotations

from bench.cases import Family, Pick, ResultsPage, Size
from bench.models import Isolation, model_names
from bench.workloads.catalog import Workload

ORDER = 75

WORKLOADS = (
    # The race's counter, timed: increments per thread with no lock and under one.
    Workload("locked_counter", None, "increments per thread", measure="lock"),
)

#: Threads started for the batch on this interpreter's objects, as the race family's.
LOCKERS = model_names(lambda m: m.starts_per_run and m.isolation is Isolation.SHARED)
#: No lock, and a threading.Lock around the read, the call and the write.
LOCK_VARIANTS = ("racy", "locked")

# 100k increments a thread: about 5 ms with no lock and 20 ms to 0.1 s under a contended
# lock on 3.11 here, so that a run of 4 threads stays well under a second.
LOCK = Family("lock", "lock", "locked_counter", (Size("100k", 100_000, 0),), LOCKERS, (1, 2, 4),
              measure="lock", variants=LOCK_VARIANTS)  # fmt: skip
FAMILIES = (LOCK,)

PICKS = {
    "smoke": (Pick("lock", workers=(1,)),),
    "quick": (Pick("lock", workers=(1, 2)),),
    "standard": (Pick("lock", workers=(1, 2, 4)),),
}

PAGE = ResultsPage("results/races-and-faults.md", families=("lock",), tables=("lock_cost",))
