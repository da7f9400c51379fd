"""``python -m dummies.run_joined KIND``: register the dummy model KIND, build the matrix
with it, and run one case of every kind it joins (each family's workload or measure,
variant, timing and payload) at a small size, as the case script runs it. Prints one
line of JSON: case name -> whether the dummy's workers left marks (they ran it).

Run in a child interpreter of its own: the families take their models from the registry
when the catalogue is imported, so the dummy must be registered first.
"""

from __future__ import annotations

import dataclasses
import json
import os
import sys
import tempfile
from pathlib import Path
from typing import Any

from bench.models import MODELS, START_METHODS, Capability, Isolation, ModelSpec
from dummies import MARKS_ENV

HOLDS = frozenset({Capability.HOLDS_WORKERS})
#: One dummy of each isolation kind and shape, the model module it runs behind it.
KINDS: dict[str, ModelSpec] = {
    spec.name: spec
    for spec in (
        ModelSpec("dummy_threads", "dummies.threads", "dummy threads", "#102030",
                  Isolation.SHARED, starts_per_run=True, capabilities=HOLDS),
        ModelSpec("dummy_thread_pool", "dummies.thread_pool", "dummy thread pool", "#102031",
                  Isolation.SHARED, pool=True),
        ModelSpec("dummy_interpreters", "dummies.thread_pool", "dummy interpreters",
                  "#102032", Isolation.INTERPRETER, pool=True, capabilities=HOLDS),
        ModelSpec("dummy_processes", "dummies.processes", "dummy processes", "#102033",
                  Isolation.PROCESS, start_methods=START_METHODS, starts_per_run=True,
                  capabilities=HOLDS),
        ModelSpec("dummy_process_pool", "dummies.process_pool", "dummy process pool",
                  "#102034", Isolation.PROCESS, start_methods=START_METHODS, pool=True,
                  chunksize=True, capabilities=HOLDS),
        ModelSpec("dummy_forked_pool", "dummies.forked_pool", "dummy forked pool", "#102035",
                  Isolation.PROCESS, pool=True, capabilities=HOLDS),
        ModelSpec("dummy_cluster", "dummies.forked_pool", "dummy cluster", "#102036",
                  Isolation.REMOTE, pool=True),
    )
}  # fmt: skip

#: A small size for each workload or measure, so that every case takes a moment.
SMALL = {
    "count_primes": 500, "sha256": 1, "zlib": 1, "sleep": 1, "tcp": 1, "file": 4,
    "spin": 100, "noop": 0, "article": 0, "numpy_matmul": 32, "numpy_ufuncs": 1,
    "numpy_sort": 1, "numpy_python_loop": 4, "counter": 1000, "locked_counter": 1000, "fault": 1,
    "cpu_limits": 2000, "live_workers": 1, "shared_objects": 1,
}  # fmt: skip


def representatives(name: str) -> list[Any]:
    """One case per way the dummy is run: workload, measure, variant, timing, payload and
    chunking; fork where a start method applies; the fewest workers; a small size."""
    from bench.families.catalogue import PROFILES

    chosen: dict[tuple[Any, ...], Any] = {}
    cases = [c for c in PROFILES["full"].cases() if c.model == name]
    for case in sorted(cases, key=lambda c: (c.workers, c.start_method != "fork", c.name)):
        key = (case.workload, case.measure, case.variant, case.timed, case.payload > 0,
               case.chunksize > 1, case.size_label == "idle")  # fmt: skip
        if key not in chosen and case.start_method in (None, "fork"):
            size = (
                case.size
                if case.size == 0 and case.workload == "live_workers"
                else SMALL[case.workload]
            )
            chosen[key] = dataclasses.replace(
                case, size=size, tasks=min(case.tasks, 4), workers=min(case.workers, 2)
            )
    return list(chosen.values())


def run(case: Any) -> None:
    """The case, as the case script runs it (no pyperf): a batch timed once, or its
    measure once."""
    from bench.case_script import batch_timer
    from bench.families.catalogue import WORKLOADS, measure_module

    if case.measure == "batch":
        timer, _, cleanup = batch_timer(case, WORKLOADS[case.workload], MODELS[case.model])
        try:
            timer(1)
        finally:
            cleanup()
    else:
        measure_module(case.measure).measure(case, repeat=1)


def main(kind: str) -> int:
    from bench.processes import Supervisor
    from bench.services import services

    MODELS[kind] = KINDS[kind]
    cases = representatives(kind)
    ran: dict[str, bool] = {}
    with tempfile.TemporaryDirectory() as marks, Supervisor() as sup, services(sup, {}) as env:
        os.environ.update(env | {MARKS_ENV: marks})
        for case in cases:
            for mark in Path(marks).iterdir():
                mark.unlink()
            run(case)
            ran[case.name] = any(Path(marks).iterdir())
    print(json.dumps(ran))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
