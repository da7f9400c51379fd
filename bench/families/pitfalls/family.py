"""What breaks where: classic multiprocessing mistakes tried in a child interpreter, per
process API and start method; the size is how long the child waits for a result before
calling it a hang."""

from __future__ import annotations

from bench.cases import Family, Pick, ResultsPage, Size
from bench.families.pitfalls.apis import PROCESS_API, PROCESS_APIS
from bench.families.profiles import FORK
from bench.workloads.catalog import Workload

ORDER = 100
#: The mistakes of ``measure.py`` tried with every API (Process included);
#: "generator_result" needs a pool (a Process has no result), so has a family of its own.
PITFALL_VARIANTS = ("main_script", "lambda", "closure", "repl", "no_guard",
                    "fork_threads_warned", "fork_threads", "lock_argument")  # fmt: skip

WORKLOADS = (
    # A classic multiprocessing mistake, tried in a child interpreter (what breaks where).
    Workload("pitfall", None, "s waited for a result", measure="pitfalls"),
)
WAIT = (Size("wait 5s", 5, 1),)
EVERY_API = tuple(PROCESS_APIS)
RESULT_APIS = tuple(name for name, api in PROCESS_APIS.items() if api.returns_result)

PITFALLS = Family(
    "pitfalls",
    "pitfalls",
    "pitfall",
    WAIT,
    EVERY_API,
    (1,),
    measure="pitfalls",
    variants=PITFALL_VARIANTS,
    once=True,
    kind=PROCESS_API,
)
PITFALLS_RESULT = Family(
    "pitfalls_result",
    "pitfalls",
    "pitfall",
    WAIT,
    RESULT_APIS,
    (1,),
    measure="pitfalls",
    variants=("generator_result",),
    once=True,
    kind=PROCESS_API,
)
# A fork after a subinterpreter was created (a fatal error in the child on 3.13); "n/a"
# with the reason where this interpreter has no subinterpreters.
PITFALLS_SUBINTERPRETERS = Family(
    "pitfalls_subinterpreters",
    "pitfalls",
    "pitfall",
    WAIT,
    EVERY_API,
    (1,),
    measure="pitfalls",
    variants=("fork_after_subinterpreters",),
    once=True,
    kind=PROCESS_API,
)
FAMILIES = (PITFALLS, PITFALLS_RESULT, PITFALLS_SUBINTERPRETERS)

PICKS = {
    "smoke": (
        Pick("pitfalls", variants=("lambda",), start_methods=FORK),
        Pick("pitfalls_result", models=("mp.Pool",), start_methods=FORK),
    ),
    "quick": (
        # What breaks, for the process pool under fork and spawn (every API and start
        # method, with the hangs of multiprocessing.Pool, in standard).
        Pick("pitfalls", models=("process_pool",), start_methods=("fork", "spawn"),
             variants=("lambda", "repl", "no_guard", "fork_threads_warned",
                       "lock_argument")),
        Pick("pitfalls_result", models=("process_pool",), start_methods=("fork", "spawn")),
    ),
    "standard": (
        Pick("pitfalls"),
        Pick("pitfalls_result"),
        Pick("pitfalls_subinterpreters", start_methods=("fork", "spawn")),
    ),
}  # fmt: skip

EXCLUDED = {
    ("pitfalls", "processes/generator_result"): "a Process has no return value: only pools "
                                                "pickle a result",
}  # fmt: skip

PAGE = ResultsPage("results/races-and-faults.md", families=("pitfalls",), tables=("pitfalls",))
