"""Races: threads that change shared data without a lock lose updates."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from bench.families.race.figures import RACES_FIGURE
from bench.report.claims import DOES_NOT_HOLD, HOLDS, Verdict, claim, inconclusive, no_data
from bench.report.format import format_number
from bench.report.select import numbers, where


@claim(
    "races_lose_updates",
    order=70,
    from_article=True,
    statement="Threads that change shared data without a lock lose updates.",
    measured_by="lost updates of a shared counter, unsynchronised and locked",
    criteria="holds when the unlocked counter loses updates in some run and the locked one in "
    "none; does not hold when no run loses any; inconclusive when the lock loses some (the "
    "harness is then suspect)",
    figures=(RACES_FIGURE,),
)
def races_lose_updates(frame: pd.DataFrame) -> Verdict:
    """Holds when the unsynchronised counter lost updates in some run and the locked
    one in none; does not hold when no run lost any; inconclusive when the lock lost some."""
    race = where(frame, measure="race", metric="lost_updates")
    racy = numbers(where(race, variant="racy"))
    locked = numbers(where(race, variant="locked"))
    if not racy or not locked:
        return no_data("lost updates of a shared counter, with and without a lock")
    per_million = where(frame, measure="race", variant="racy", metric="lost_updates_per_million")
    cost = where(frame, measure="race", metric="seconds_per_million_increments")
    racy_s, locked_s = (numbers(where(cost, variant=v)) for v in ("racy", "locked"))
    figures = {
        "racy_repetitions": len(racy),
        "racy_with_losses": sum(v > 0 for v in racy),
        "racy_lost_per_million_median": float(np.median(numbers(per_million) or [math.nan])),
        "racy_lost_max": max(racy),
        "locked_lost_max": max(locked),
        "lock_cost": float(np.median(locked_s) / np.median(racy_s))
        if racy_s and locked_s
        else None,
    }
    line = (
        f"no lock: updates lost in {figures['racy_with_losses']} of {len(racy)} runs "
        f"(median {format_number(figures['racy_lost_per_million_median'])} per million); "
        f"with a lock: at most {format_number(max(locked))} lost"
    )
    if max(locked) > 0:  # a lock that loses updates means the measurement is broken
        return inconclusive(
            line, "the locked counter lost updates, so the harness, not Python, is suspect", figures
        )
    if max(racy) > 0:
        return Verdict(HOLDS, line, figures)
    return Verdict(DOES_NOT_HOLD, line, figures)
