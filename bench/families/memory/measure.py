"""Memory per worker: what W live threads or processes cost, idle and sharing a structure.

RSS, USS and PSS of the whole process tree with W idle workers against its baseline,
per start method; the procedure and how to read the three figures are in
docs/methodology.md ("Memory per worker"). The workers are the case's model's own, held
alive by it (``bench.models.hold_workers``); each runs :func:`touch` on the working set.
Spawned children import this module, so its top level imports the standard library only.
"""

from __future__ import annotations

import gc
import multiprocessing
from collections.abc import Callable
from contextlib import AbstractContextManager
from typing import TYPE_CHECKING, Any

from bench.measurement import Measurement

if TYPE_CHECKING:  # the case vocabulary imports every model: too much for a spawned worker
    from bench.cases import Case

MIB = 1 << 20
PAGE = 4096  # one byte read per page maps the page
KINDS = ("rss", "uss", "pss")

#: What every worker reads: one bytes object, or many small objects (ints in a list).
WorkingSet = bytes | list[int] | None
Crew = Callable[[int, WorkingSet], AbstractContextManager[None]]
#: Variants whose working set is many small objects; "_frozen": gc.freeze() before the start.
SMALL_OBJECTS = ("small_objects", "small_objects_frozen")
#: What one small object costs in a list: a 28-byte int in a 32-byte block, and its pointer.
SMALL_OBJECT_BYTES = 40


def touch(data: WorkingSet) -> int:
    """What every held worker does: read one byte per page of ``data``, so that every page
    is mapped in this worker; small objects are each read, then a full collection runs."""
    if not data:
        return 0
    if isinstance(data, list):
        # Reading an object writes its reference count, so its page is copied; the full
        # collection is what a long-lived worker's collector does sooner or later, and
        # what gc.freeze() keeps away from the objects frozen.
        total = sum(data)
        gc.collect()
        return total & 0xFFFF
    return sum(memoryview(data)[::PAGE])


def _crew(case: Case) -> Crew:
    """``W`` live workers of the case's model, each having read the working set, held
    through the model's own ``hold_workers`` (``Capability.HOLDS_WORKERS``); checked
    before anything starts."""
    from bench.models import MODELS, Capability, hold_workers

    spec = MODELS.get(case.model)
    if spec is None or not spec.has(Capability.HOLDS_WORKERS):
        raise ValueError(f"memory: the model {case.model!r} cannot hold live workers")
    if spec.uses_processes != (case.start_method is not None):
        raise ValueError(f"memory: model {case.model!r} with start method {case.start_method!r}")
    if case.start_method is not None:
        multiprocessing.get_context(case.start_method)  # ValueError for an unknown one
    model, method = case.model, case.start_method
    return lambda workers, data: hold_workers(model, workers, method, touch, (data,))


# --- measuring ------------------------------------------------------------------------


def tree_memory() -> dict[str, int]:
    """RSS, USS and PSS in bytes, summed over this process and its live descendants.

    A kind is left out when psutil cannot read it for some process of the tree (no
    PSS on macOS; USS needs the right to read another process's map).
    """
    import psutil

    me = psutil.Process()
    totals = dict.fromkeys(KINDS, 0)
    missing: set[str] = set()
    for proc in [me, *me.children(recursive=True)]:
        try:
            try:
                info = proc.memory_full_info()
            except psutil.AccessDenied:
                info = proc.memory_info()
        except psutil.NoSuchProcess:  # ended between listing and reading: nothing to count
            continue
        for kind in KINDS:
            value = getattr(info, kind, None)
            if value is None:
                missing.add(kind)
            else:
                totals[kind] += value
    return {kind: total for kind, total in totals.items() if kind not in missing}


def working_set(case: Case) -> WorkingSet:
    """The structure the workers share: ``case.size`` MiB of real, non-zero pages as one
    bytes object (``working_set``), or as about as many bytes of distinct ints in a list
    (``small_objects``, ``small_objects_frozen``)."""
    if case.variant == "":
        return None
    if case.variant not in ("working_set", *SMALL_OBJECTS):
        raise ValueError(
            f"memory: no variant {case.variant!r} ('', 'working_set', {', '.join(SMALL_OBJECTS)})"
        )
    if case.size <= 0:
        raise ValueError(f"memory: the {case.variant} variant needs a size in MiB")
    if case.variant in SMALL_OBJECTS:
        first = 1 << 10  # past the small ints every interpreter shares
        return list(range(first, first + case.size * MIB // SMALL_OBJECT_BYTES))
    return b"\x01" * (case.size * MIB)


def measure(case: Case, repeat: int = 1) -> list[Measurement]:
    """Tree memory before and with ``case.workers`` live workers, ``repeat`` times."""
    if case.workers < 1 or repeat < 1:
        raise ValueError("memory: workers and repeat must be at least 1")
    crew = _crew(case)
    data = working_set(case)
    frozen = case.variant == "small_objects_frozen"
    if frozen:  # as the gc docs advise right before a fork: all objects so far made permanent
        gc.freeze()
    try:
        return _measure(case, repeat, crew, data)
    finally:
        if frozen:
            gc.unfreeze()


def _measure(case: Case, repeat: int, crew: Crew, data: WorkingSet) -> list[Measurement]:
    # Warm-up: what is set up once per parent lands in every baseline alike. Two
    # workers, because the second start of a spawn or forkserver worker with a working
    # set is the one that leaves the parent's heap grown by the pickled copy (malloc
    # serves the first from mmap and returns it, then raises its mmap threshold).
    with crew(2, data):
        pass
    rows: list[tuple[dict[str, int], dict[str, int]]] = []
    for _ in range(repeat):
        baseline = tree_memory()
        with crew(case.workers, data):
            live = tree_memory()
        rows.append((baseline, live))
    return _measurements(rows, case.workers, case.size * MIB if data is not None else None)


def _measurements(
    rows: list[tuple[dict[str, int], dict[str, int]]], workers: int, working_set_bytes: int | None
) -> list[Measurement]:
    def params() -> dict[str, Any]:
        return {} if working_set_bytes is None else {"working_set_bytes": working_set_bytes}

    kinds = [k for k in KINDS if all(k in base and k in live for base, live in rows)]
    out: list[Measurement] = []
    for kind in kinds:
        out.append(Measurement(f"{kind}_bytes", "byte", [live[kind] for _, live in rows], params()))
    for kind in kinds:
        values = [base[kind] for base, _ in rows]
        out.append(Measurement(f"baseline_{kind}_bytes", "byte", values, params()))
    for kind in kinds:
        extra = [(live[kind] - base[kind]) / workers for base, live in rows]
        out.append(Measurement(f"extra_{kind}_per_worker_bytes", "byte", extra, params()))
    return out
