"""What a measure returns: ``Measurement`` records, or a ``Timer`` that pyperf drives.

Two shapes, so that the case script can run any measure:

* **timers** (``ipc``): ``open_timer(case) -> Timer``; pyperf calls
  ``timer.run(loops)`` and gets seconds back, exactly like a batch benchmark,
  so the loop count is calibrated and every value is a pyperf value.
* **measurements** (memory, race, fault, capacity, pitfalls, cpu_limits, http...):
  ``measure(case, repeat)`` returns ``Measurement`` records. Those in seconds or bytes,
  all positive, are written as pyperf benchmarks (with that unit); counts and outcomes
  (lost updates, tasks finished, the exception a pool raised) go to the sibling outcomes
  file (``bench.results``), because pyperf only stores positive numbers.

Measures keep their own imports lazy where they can: spawned children re-import the
case script's main module, never a measure's module unless they run its code.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Protocol

#: Units a Measurement may carry; "second" and "byte" can become pyperf values.
UNITS = ("second", "byte", "count", "ratio", "flag", "text")
#: The functions a measure's module may define, by the shape it has (see above); the
#: capacity probe's ``run`` also returns the facts its processes saw.
ENTRY_POINTS = ("measure", "open_timer", "run")


@dataclass
class Measurement:
    """One metric of one case: e.g. ``rss_bytes`` = [1.2e7, 1.3e7] in ``byte``."""

    metric: str  # snake_case with the unit last where it has one: "uss_bytes", "tasks_finished"
    unit: str  # one of UNITS
    values: list[Any]
    params: dict[str, Any] = field(default_factory=dict)  # what the case alone does not say

    def __post_init__(self) -> None:
        if self.unit not in UNITS:
            raise ValueError(f"{self.metric}: unknown unit {self.unit!r}")
        if not self.values:
            raise ValueError(f"{self.metric}: no values")

    @property
    def fits_pyperf(self) -> bool:
        return self.unit in ("second", "byte") and all(
            isinstance(v, int | float) and not isinstance(v, bool) and v > 0 for v in self.values
        )


class Timer(Protocol):
    def run(self, loops: int) -> float:
        """Do the measured thing ``loops`` times; return the seconds it took."""
        ...

    def close(self) -> None: ...
