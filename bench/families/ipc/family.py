"""Communication: a payload sent to a peer and back, per channel; memcpy is the ceiling."""

from __future__ import annotations

from bench.cases import (
    Family,
    Pick,
    ResultsPage,
    Size,
    Trend,
    TrendPanel,
    binary_size_name,
    names_without,
    one_case,
)
from bench.families.ipc.channels import CHANNEL, CHANNELS, OBJECT_CHANNELS, OBJECT_PAYLOADS
from bench.families.profiles import FORK
from bench.workloads.catalog import Workload

ORDER = 60
IPC_PAYLOADS = (64, 4 << 10, 256 << 10, 1 << 20, 16 << 20)

WORKLOADS = (
    # A payload sent to a peer and back: the round trip of a channel.
    Workload("echo", None, "bytes", measure="ipc"),
    # The same with the data people pass (a list of dicts, dataclasses, a NumPy array)
    # pickling to about as many bytes.
    Workload(
        "echo_objects",
        None,
        "bytes pickled",
        measure="ipc_objects",
        requires=("numpy",),
        extra="io",
    ),
)

IPC = Family(
    "ipc", "ipc", "echo", tuple(Size(binary_size_name(n), n, 0) for n in IPC_PAYLOADS),
    tuple(CHANNELS), (1,), calibrate=True, measure="ipc", kind=CHANNEL,
)  # fmt: skip
IPC_OBJECTS = Family(
    "ipc_objects", "ipc_objects", "echo_objects",
    tuple(Size(binary_size_name(n), n, 0) for n in (4 << 10, 1 << 20)),
    OBJECT_CHANNELS, (1,), calibrate=True, measure="ipc_objects", kind=CHANNEL,
    variants=OBJECT_PAYLOADS,
)  # fmt: skip
FAMILIES = (IPC, IPC_OBJECTS)

PICKS = {
    "smoke": (
        Pick("ipc", sizes=("64B",), start_methods=FORK),
        Pick("ipc", sizes=("64B",), models=("interpreters.Queue",)),
        Pick("ipc_objects", sizes=("4KiB",), start_methods=FORK, models=("mp.Pipe",)),
    ),
    "quick": (
        # Every channel with 1 MiB; the hand-over of a small message where a peer answers.
        Pick("ipc", sizes=("1MiB",), start_methods=FORK,
             models=names_without(IPC, "mp.Manager", "interpreters.Queue")),
        Pick("ipc", sizes=("64B",), start_methods=FORK,
             models=("queue.Queue", "mp.Queue", "mp.Pipe")),
    ),
    "standard": (
        Pick("ipc", start_methods=FORK, models=names_without(IPC, "interpreters.Queue")),
        # A subinterpreter's queue small and large.
        Pick("ipc", sizes=("64B", "1MiB"), models=("interpreters.Queue",)),
        # Object graphs against bytes of the same size, through the same channels.
        Pick("ipc_objects", start_methods=FORK),
    ),
}  # fmt: skip

PAGE = ResultsPage(
    "results/communication.md",
    families=("ipc", "ipc_objects"),
    figures=("ipc",),
    tables=("ipc", "ipc_objects"),
    speedups=True,
    intro="Round trips of payloads between workers (shared memory copied, and read in place "
    "with no copy; a Manager's proxies for contrast), and how task length and payload "
    "decide whether a pool pays off.",
    order=50,
)


def _panel(channel: str) -> TrendPanel:
    pick = Pick("ipc", sizes=("64B",), models=(channel,), start_methods=FORK)
    return TrendPanel(f"{channel} (fork)", one_case(IPC, pick))


TRENDS = (
    Trend("trend-ipc", "Trend: round trip of 64 B", (_panel("mp.Pipe"), _panel("mp.Queue")),
          order=30),
)  # fmt: skip
