"""What a workload is, as data, and the generic ones any family (or test) may use.

A family folder names its own workloads (``WORKLOADS`` in its ``family.py``); the
catalogue (``bench.families.catalogue``) gathers them with these. Functions are named by
dotted path and imported on demand, so that a benchmark (and every spawned child)
imports only the module it runs.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Workload:
    name: str
    func: str | None  # "module:function", called as function(size, index); None: see measure
    size_unit: str  # what the size parameter counts
    async_func: str | None = None  # coroutine version, where asyncio makes sense
    measure: str = "batch"  # workloads with no task function are run by their measure
    #: "module:function" making a batch's arguments once, in the parent (arrays), called as
    #: function(workload, size, tasks, variant): an object with ``arglist`` (replacing
    #: (size, index) per task), ``worker_metadata(executor)`` and ``close()``.
    operands: str | None = None
    #: Modules it imports that the project does not require, and the extra that has them.
    requires: tuple[str, ...] = ()
    extra: str = ""


#: Workloads of no family: the machinery's own cost, and faults for the runner's tests.
GENERIC: tuple[Workload, ...] = (
    # Does nothing: what remains is the cost of the concurrency machinery itself.
    Workload("noop", "bench.workloads.probe:noop", "unused"),
    # Raises an exception (for fault-handling tests).
    Workload("raise_error", "bench.workloads.faults:raise_error", "unused"),
    # Never returns (for timeout tests).
    Workload("hang", "bench.workloads.faults:hang", "unused"),
    # Kills its own process with os._exit (for crash tests).
    Workload("exit_hard", "bench.workloads.faults:exit_hard", "exit code"),
)


def resolve(dotted: str) -> Callable[..., Any]:
    """Import ``"package.module:function"`` and return the function."""
    module_name, _, attr = dotted.partition(":")
    return getattr(importlib.import_module(module_name), attr)  # type: ignore[no-any-return]
