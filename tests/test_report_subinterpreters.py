"""The subinterpreters claim: their time over the process pool's, paired within rounds,
decided on the interval; synthetic tidy rows in the shape of the suite's."""

from __future__ import annotations

from typing import Any

from test_report_claims import NOISE, capacity, cpu, frame, rule, timings

from bench.report.claims import DOES_NOT_HOLD, HOLDS, INCONCLUSIVE, NO_DATA

CLAIM = "subinterpreters_keep_up"
CASE = {
    "family": "cpu_python",
    "workload": "count_primes",
    "group": "cpu_python:count_primes[100ms]",
    "size_label": "100ms",
    "size": 90_000,
}


def with_subinterpreters(
    seconds: float, noise: tuple[float, ...] = (), rounds: int = 3
) -> list[dict[str, Any]]:
    """The loop (1 s), the pool (0.52 s under fork) and subinterpreters at 2 workers."""
    return cpu(pool=0.52, threads=1.0) + timings(
        seconds, rounds=rounds, noise=noise, model="subinterpreters", workers=2, **CASE
    )


def test_subinterpreters_as_fast_as_the_pool_keep_up() -> None:
    verdict = rule(CLAIM)(frame(with_subinterpreters(0.53)))
    assert verdict.verdict == HOLDS, verdict.evidence
    assert verdict.figures["config"] == "process pool/fork"  # the default, not the luckiest
    assert abs(verdict.figures["slowdown"]["value"] - 0.53 / 0.52) < 0.01


def test_subinterpreters_far_slower_than_the_pool_do_not() -> None:
    verdict = rule(CLAIM)(frame(with_subinterpreters(0.9)))
    assert verdict.verdict == DOES_NOT_HOLD, verdict.evidence


def test_an_interval_across_the_threshold_is_inconclusive() -> None:
    verdict = rule(CLAIM)(frame(with_subinterpreters(0.56, noise=NOISE)))
    assert verdict.verdict == INCONCLUSIVE, verdict.evidence


def test_a_round_the_host_gave_one_core_is_dropped() -> None:
    """Round 2 had one core: subinterpreters look twice as slow there; dropped, the two
    rounds left still keep up and the evidence says one round was dropped."""
    rows = with_subinterpreters(0.53)
    for r in rows:
        if r["model"] == "subinterpreters" and r["round"] == 2:
            r["value"] *= 2
            r["time_s"] *= 2
    assert rule(CLAIM)(frame(rows)).verdict != HOLDS  # the starved round counts
    verdict = rule(CLAIM)(frame(rows, capacity([1.95, 1.0, 1.9])))
    assert verdict.verdict == HOLDS, verdict.evidence
    assert verdict.figures["dropped_low_capacity"] == 1
    assert "2 of 3 rounds kept (1 below the capacity threshold)" in verdict.evidence


def test_without_subinterpreters_there_is_no_data() -> None:
    assert rule(CLAIM)(frame(cpu(pool=0.52, threads=1.0))).verdict == NO_DATA
