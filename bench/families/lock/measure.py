"""Lock cost: ``repeat`` runs of the race's counter (``bench.families.race.measure``), with
no lock or under a ``threading.Lock``, timed from the workers' common start to the last
one's end; seconds per million increments of all threads together.

A locked run must lose no update: one that does means the harness is broken, and the case
fails rather than time it. Standard library only: the free-threaded build runs it bare.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from bench.families.race.measure import VARIANTS, run_once
from bench.measurement import Measurement

if TYPE_CHECKING:
    from bench.cases import Case


def measure(case: Case, repeat: int = 1) -> list[Measurement]:
    """``repeat`` runs of ``case.workers`` threads x ``case.size`` increments each."""
    from bench.models import MODELS, Isolation

    spec = MODELS.get(case.model)
    if spec is None or spec.isolation is not Isolation.SHARED or not spec.parallel or spec.is_async:
        raise ValueError(f"lock: {case.model!r} has no parallel workers sharing one counter")
    if case.variant not in VARIANTS:
        raise ValueError(f"lock: unknown variant {case.variant!r}, expected one of {VARIANTS}")
    if repeat < 1 or case.size < 1:
        raise ValueError(f"lock: repeat and the increments must be positive, got {repeat}")
    expected = case.workers * case.size
    seconds = []
    for _ in range(repeat):
        final, elapsed = run_once(case.model, case.workers, case.size, case.variant)
        if case.variant == "locked" and final != expected:
            raise RuntimeError(f"lock: the locked counter reached {final} of {expected}")
        seconds.append(elapsed / (expected / 1e6))
    return [Measurement("seconds_per_million_increments", "second", seconds,
                        {"expected": expected})]  # fmt: skip
