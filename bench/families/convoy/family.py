"""The GIL convoy: the latency of an I/O-bound thread (a small message to a peer process
and back) while 1, 2 or 4 CPU-bound workers run, as threads of its process or as
processes of their own, with the default switch interval (5 ms) and a short one. On a
build with the GIL, a thread woken by its reply waits for a CPU-bound thread to let go
of the GIL; in processes, or on a free-threaded build, nothing holds it back."""

from __future__ import annotations

from bench.cases import Family, Pick, ResultsPage, Size
from bench.families.profiles import FORK
from bench.models import Role, model_of
from bench.workloads.catalog import Workload

ORDER = 62

WORKLOADS = (
    # Round trips of a small message to an echo process, timed one by one.
    Workload("echo_under_load", None, "bytes per message", measure="convoy"),
)

#: The CPU-bound workers: threads of the process that waits on I/O, or processes.
LOADERS = (model_of(Role.THREADS), model_of(Role.PROCESSES))
#: ``sys.setswitchinterval``: left at its default (5 ms), or set to 0.5 ms.
SWITCH_VARIANTS = ("switch_default", "switch_0.5ms")

CONVOY = Family("convoy", "convoy", "echo_under_load", (Size("64B", 64, 0),), LOADERS,
                (1, 2, 4), measure="convoy", variants=SWITCH_VARIANTS)  # fmt: skip
FAMILIES = (CONVOY,)

PICKS = {
    "smoke": (Pick("convoy", workers=(1,), models=LOADERS[:1], variants=SWITCH_VARIANTS[:1]),),
    "standard": (Pick("convoy", start_methods=FORK),),
}

PAGE = ResultsPage("results/io.md", families=("convoy",), tables=("convoy",))
