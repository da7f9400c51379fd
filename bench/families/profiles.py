"""The profiles: how long a run takes and how many rounds and values it gets. What each
profile runs is chosen by the family folders themselves (``PICKS`` in their ``family.py``),
from the shared vocabulary here.
"""

from __future__ import annotations

from dataclasses import dataclass

from bench.cases import Family
from bench.models import MODELS, model_names

#: The start method where how the workers started does not matter (waiting, a warm
#: pool's steady state): the cheapest one.
FORK = ("fork",)
#: Models an optional extra brings (subinterpreters on 3.12-3.13, loky, Dask): profiles
#: measure them where their claims need them, the standard library's models everywhere.
OPTIONAL_MODELS = model_names(lambda m: bool(m.extra))


def local_models(family: Family) -> tuple[str, ...]:
    """The family's models on this machine: a cluster takes seconds to start."""
    return tuple(m for m in family.models if MODELS[m].local)


@dataclass(frozen=True)
class ProfileSettings:
    """A profile's own settings; its picks come from the family folders."""

    name: str
    description: str
    rounds: int  # shuffled rounds; ratios are taken within a round
    values: int  # pyperf values per round (one process per case and round)
    warmups: int
    timeout_s: float  # per case and round, start-up included
    min_time: float = 0.1  # pyperf's calibration target for sub-millisecond cases
    #: Rounds of the families that are no key family of the profile (None: every round).
    other_rounds: int | None = None
    #: Every family whole: no folder picks for it.
    everything: bool = False


PROFILES: tuple[ProfileSettings, ...] = (
    ProfileSettings(
        "smoke", "Seconds: every model and every measurement once, tiny sizes. For tests.",
        rounds=1, values=1, warmups=0, timeout_s=60, min_time=0.02,
    ),
    ProfileSettings(
        "quick", "Minutes: the key comparisons at 1, half, all and twice the cores, and every "
                 "measurement.",
        # The key speedups in 4 rounds of one value (the rounds carry the interval), the
        # rest in 3.
        rounds=4, values=1, warmups=1, timeout_s=120, min_time=0.05, other_rounds=3,
    ),
    ProfileSettings(
        "standard", "The nightly (15 minutes an interpreter on 2 cores): the key CPU, I/O "
                    "and start-up comparisons in 5 rounds, the rest in 3; every worker count, "
                    "start methods where they matter.",
        # One value a round: the rounds, not the values within one, carry the interval.
        rounds=5, values=1, warmups=1, timeout_s=300, min_time=0.05, other_rounds=3,
    ),
    ProfileSettings(
        "full", "Everything, more rounds and values: for a quiet machine and an hour.",
        rounds=7, values=5, warmups=1, timeout_s=600, everything=True,
    ),
)  # fmt: skip
