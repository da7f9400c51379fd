"""Start-up: start and join N threads or processes, each running one no-op; create a pool,
run one no-op per worker and shut it down; the time from creating a pool to its first
result. Per start method."""

from __future__ import annotations

from bench.cases import (
    Family,
    Pick,
    ResultsPage,
    Size,
    Trend,
    TrendPanel,
    names_of,
    names_without,
    one_case,
)
from bench.families.profiles import FORK, OPTIONAL_MODELS, local_models
from bench.models import Role, model_names, model_of

ORDER = 40
POOL_WORKERS = (1, 2, 4, 8)

STARTUP = Family(
    "startup",
    "startup",
    "noop",
    (Size("1 task/worker", 0, 0),),
    model_names(lambda m: m.starts_per_run),
    (1, 5, 20),
    calibrate=True,
)
# Pool start-up apart from throughput: create, one no-op per worker, shut down; and the
# time from creating a pool to its first result.
POOL_STARTUP = Family(
    "pool_startup",
    "pool_startup",
    "noop",
    (Size("1 task/worker", 0, 0),),
    model_names(lambda m: m.pool),
    POOL_WORKERS,
    timed=("lifecycle",),
    calibrate=True,
)
POOL_FIRST_RESULT = Family(
    "pool_first_result",
    "pool_startup",
    "noop",
    (Size("first result", 0, 1),),
    model_names(lambda m: m.pool),
    (1, 2, 4),
    timed=("first_result",),
    calibrate=True,
)
FAMILIES = (STARTUP, POOL_STARTUP, POOL_FIRST_RESULT)

PICKS = {
    "smoke": (
        Pick("startup", workers=(1,), start_methods=FORK),
        Pick("pool_startup", workers=(2,), start_methods=FORK, models=local_models(POOL_STARTUP)),
        Pick("pool_first_result", workers=(1,), start_methods=FORK,
             models=local_models(POOL_FIRST_RESULT)),
        Pick("pool_first_result", models=("subinterpreters",), workers=(1,)),
    ),
    "quick": (
        Pick("startup", workers=(1,)),  # 5 workers: the article family
        Pick("pool_startup", workers=(2,), models=local_models(POOL_STARTUP),
             start_methods=("fork", "spawn")),
        Pick("pool_first_result", workers=(2,), models=local_models(POOL_FIRST_RESULT),
             start_methods=("fork", "spawn")),
    ),
    "standard": (
        Pick("startup"),
        Pick("pool_first_result", models=names_without(POOL_FIRST_RESULT, OPTIONAL_MODELS)),
        Pick("pool_startup", workers=(1, 2, 4),
             models=names_without(POOL_STARTUP, OPTIONAL_MODELS)),
        # Start-up of every optional pool and cluster, at 2 workers.
        Pick("pool_startup", workers=(2,), models=names_of(POOL_STARTUP, *OPTIONAL_MODELS)),
        Pick("pool_first_result", workers=(2,),
             models=names_of(POOL_FIRST_RESULT, *OPTIONAL_MODELS)),
    ),
}  # fmt: skip
KEY_FAMILIES = {"standard": ("startup",)}

PAGE = ResultsPage(
    "results/startup.md",
    families=("startup", "pool_startup", "pool_first_result"),
    figures=("startup",),
    tables=("start_methods",),
    intro="Starting and joining threads and processes, creating pools and waiting for a "
    "new pool's first result, per start method; the article's example as written, "
    "with its workers started and joined. The table gives each interpreter's default "
    "start method (on Linux, forkserver from Python 3.14, fork before) and what a "
    "process pool pays under each method against fork, paired within each round.",
    order=30,
)


def _panel(label: str, role: Role, start_methods: tuple[str, ...] = ()) -> TrendPanel:
    pick = Pick("startup", models=(model_of(role),), workers=(1,), start_methods=start_methods)
    return TrendPanel(label, one_case(STARTUP, pick))


TRENDS = (
    Trend(
        "trend-startup",
        "Trend: start and join one worker",
        (
            _panel("thread", Role.THREADS),
            _panel("process (fork)", Role.PROCESSES, ("fork",)),
            _panel("process (spawn)", Role.PROCESSES, ("spawn",)),
        ),
        order=20,
    ),
)
