"""The guide's claims as data, each judged by a rule over the measurements.

``core`` holds verdicts, ``Claim``, the registry and ``evaluate``; each other module
registers one group of claims. To add a claim, write its rule in the module of its
group (or a new one, imported here) under ``@claim(...)``. How verdicts are reached:
docs/methodology.md, "How a verdict is reached".
"""

from __future__ import annotations

# Importing a group registers its claims; the order of the imports does not matter.
from bench.report.claims import arrays as arrays
from bench.report.claims import (
    cluster,
    communication,
    costs,
    cpu,
    faults,
    free_threading,
    io,
    races,
)
from bench.report.claims import http as http  # HTTP at scale (issue 14)
from bench.report.claims import subinterpreters as subinterpreters
from bench.report.claims.communication import (
    IPC_SLOWER,
    ipc_slower,
    threads_suit_frequent_communication,
)
from bench.report.claims.core import (
    COLUMNS,
    DEPENDS,
    DOES_NOT_HOLD,
    HOLDS,
    NO_DATA,
    NO_GAIN,
    VERDICTS,
    Claim,
    Rule,
    Verdict,
    claim,
    decide,
    evaluate,
    figures_json,
    registered,
)
from bench.report.claims.costs import (
    MEMORY_GAP_BYTES,
    MEMORY_RATIO,
    MEMORY_SAME_BYTES,
    PAGE,
    STARTUP_CHEAPER,
    processes_cost_memory,
    threads_start_faster,
)
from bench.report.claims.cpu import (
    CPU_TASK,
    SCALES_FRACTION,
    gil_limits_threads,
    processes_sidestep_gil,
)
from bench.report.claims.faults import CRASH_VARIANTS, processes_isolate_faults
from bench.report.claims.io import IO_GAIN, IO_WORKLOADS, threads_suit_io
from bench.report.claims.races import races_lose_updates

#: Every claim, in the guide's order.
CLAIMS: tuple[Claim, ...] = registered()
CLAIMS_BY_ID = {each.id: each for each in CLAIMS}

__all__ = [
    "CLAIMS",
    "CLAIMS_BY_ID",
    "COLUMNS",
    "CPU_TASK",
    "CRASH_VARIANTS",
    "DEPENDS",
    "DOES_NOT_HOLD",
    "HOLDS",
    "IO_GAIN",
    "IO_WORKLOADS",
    "IPC_SLOWER",
    "MEMORY_GAP_BYTES",
    "MEMORY_RATIO",
    "MEMORY_SAME_BYTES",
    "NO_DATA",
    "NO_GAIN",
    "PAGE",
    "SCALES_FRACTION",
    "STARTUP_CHEAPER",
    "VERDICTS",
    "Claim",
    "Rule",
    "Verdict",
    "claim",
    "cluster",
    "communication",
    "costs",
    "cpu",
    "decide",
    "evaluate",
    "faults",
    "figures_json",
    "free_threading",
    "gil_limits_threads",
    "io",
    "ipc_slower",
    "processes_cost_memory",
    "processes_isolate_faults",
    "processes_sidestep_gil",
    "races",
    "races_lose_updates",
    "registered",
    "threads_start_faster",
    "threads_suit_frequent_communication",
    "threads_suit_io",
]
