"""The article's example: start, run and join 5 workers, threads against processes.

No loop as baseline: five greetings in a loop take a microsecond; a speedup over that
would say nothing. Threads and processes are compared with each other.
"""

from __future__ import annotations

from bench.cases import Family, Pick, ResultsPage, Size
from bench.families.profiles import FORK
from bench.models import model_names
from bench.workloads.catalog import Workload

ORDER = 10

WORKLOADS = (
    # The article's worker: one greeting per worker, 5 workers started and joined.
    Workload("article", "bench.families.article.workload:quiet_worker", "unused"),
)

ARTICLE = Family(
    "article", "article", "article", (Size("5 workers", 0, 5),),
    model_names(lambda m: m.starts_per_run), (5,), calibrate=True,
)  # fmt: skip
FAMILIES = (ARTICLE,)

PICKS = {
    "smoke": (Pick("article", models=("threads", "processes"), start_methods=FORK),),
    "quick": (Pick("article"),),
    "standard": (Pick("article"),),
}
KEY_FAMILIES = {"standard": ("article",)}

EXCLUDED = {
    ("article", "pools"): "the article's example starts and joins its own workers",
}

PAGE = ResultsPage("results/startup.md", families=("article",))
