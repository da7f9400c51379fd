"""Parallel capacity: the probe, its place in every round, reading it back, the figure's flag."""

from __future__ import annotations

import math
import sys
from pathlib import Path
from typing import Any

import helpers_figures as figures
import numpy as np
import pandas as pd
import pytest

from bench import capacity, runner
from bench.capacity import FAMILY as CAPACITY_FAMILY
from bench.capacity import probe_case, probe_target
from bench.cases import Case
from bench.evidence import tables as evidence_tables
from bench.families.catalogue import NEEDS_CORES, PROFILES, with_probes
from bench.report import capacity as report_capacity
from bench.report import metrics, tables

sys.path.insert(0, str(Path(__file__).parent))
from test_report_figures import labels, made, row, scaling_frame

# --- the probe ------------------------------------------------------------------------


def fixed_makespan(times: dict[int, float], calls: list[int] | None = None) -> capacity.Makespan:
    def makespan(k: int) -> float:
        if calls is not None:
            calls.append(k)
        return times[k]

    return makespan


def test_two_free_cores_give_two_and_one_shared_core_gives_one() -> None:
    assert capacity.probe(fixed_makespan({1: 0.04, 2: 0.04}), 2) == pytest.approx([2.0] * 3)
    assert capacity.probe(fixed_makespan({1: 0.04, 2: 0.08}), 2) == pytest.approx([1.0] * 3)
    # the last of 2 finishing after 1.4x the time alone: 1.43 cores, as seen on the VM
    assert capacity.capacity(2, 1.0, 1.4) == pytest.approx(1.4286, abs=1e-4)
    assert capacity.capacity(8, 1.0, 1.25) == pytest.approx(6.4)


def test_pairs_alternate_so_that_a_drift_cancels() -> None:
    calls: list[int] = []
    found = capacity.probe(fixed_makespan({1: 1.0, 4: 1.0}, calls), 4, pairs=4)
    assert found == pytest.approx([4.0] * 4)
    assert calls == [1, 4, 4, 1, 1, 4, 4, 1]
    # a CPU slowing down steadily: each call takes 10 % longer than the one before
    clock = iter(range(100))

    def drifting(k: int) -> float:
        return 1.1 ** next(clock)  # k processes on k free cores take as long as one

    values = capacity.probe(drifting, 2, pairs=2)
    assert values[0] < 2 < values[1]  # one pair each way: the errors are opposite
    assert math.prod(values) == pytest.approx(4.0)


def test_the_probe_refuses_what_is_no_capacity() -> None:
    with pytest.raises(ValueError):
        capacity.capacity(2, 0.0, 1.0)
    with pytest.raises(ValueError):
        capacity.probe(fixed_makespan({1: 1.0, 2: 1.0}), 2, pairs=0)


@pytest.mark.parametrize(
    ("cores", "sizes"),
    [(1, (2,)), (2, (2,)), (4, (2, 4)), (8, (2, 4, 8)), (12, (2, 4, 8, 12)),
     (16, (2, 4, 8, 16)), (64, (2, 4, 8, 16, 32, 64))],
)  # fmt: skip
def test_the_probe_follows_the_cores_in_powers_of_two(cores: int, sizes: tuple[int, ...]) -> None:
    assert capacity.probe_sizes(cores) == sizes


def test_real_spinners_report_their_facts_and_the_machines_curve() -> None:
    small = Case(**{**probe_case(3).__dict__, "size": 20_000})  # k = 2 and 3 on any machine
    facts, results = capacity.run(small)
    assert len({f["pid"] for f in facts}) == 3
    assert all(isinstance(f["gil_enabled"], bool) and f["cpu_affinity"] for f in facts)
    assert [m.metric for m in results] == [capacity.metric_for(2), capacity.metric_for(3)]
    for k, measured in zip((2, 3), results, strict=True):
        assert measured.unit == "ratio" and not measured.fits_pyperf  # outcomes file
        assert len(measured.values) == capacity.PAIRS
        assert all(0 < v < 4 * k for v in measured.values)
        assert measured.params["processes"] == k


def test_metrics_name_how_many_processes_spun_and_old_results_still_read() -> None:
    assert capacity.processes_of(capacity.metric_for(16)) == 16
    assert capacity.processes_of("lost_updates") is None
    # before the probe followed the cores: "cores" was k = min(cores, 8)
    assert capacity.processes_of(capacity.LEGACY_METRIC, 16.0) == 8
    assert capacity.processes_of(capacity.LEGACY_METRIC, 2.0) == 2
    assert capacity.processes_of(capacity.LEGACY_METRIC, float("nan")) == 2


# --- in every round ---------------------------------------------------------------------


@pytest.mark.parametrize("profile", sorted(PROFILES))
def test_every_profile_probes_each_round_and_before_each_cpu_group(profile: str) -> None:
    cases = PROFILES[profile].cases(16)
    probes = {probe_target(c) for c in cases if c.family == CAPACITY_FAMILY}
    cpu_groups = {c.group for c in cases if c.family in NEEDS_CORES}
    assert cpu_groups
    assert probes == {"", *cpu_groups}
    assert {c.workers for c in cases if c.family == CAPACITY_FAMILY} == {16}  # up to the cores
    assert with_probes(cases, 16) == cases  # already there: nothing added twice


def test_probes_follow_the_selected_work_and_never_come_alone() -> None:
    assert with_probes([], 2) == []
    sleep = Case("io", "sleep", "5ms", 5, 64, "threads", 4)
    assert [probe_target(c) for c in with_probes([sleep], 2)] == [None, ""]
    primes = Case("cpu_python", "count_primes", "1ms", 3000, 64, "threads", 2)
    found = with_probes([primes], 2)
    assert [probe_target(c) for c in found] == [None, "", primes.group]
    assert probe_target(primes) is None
    assert capacity.PROBE.subject(capacity.SPINNER).start_methods == ()  # none chosen


def test_each_round_opens_with_a_probe_and_probes_right_before_cpu_work() -> None:
    cases = [
        Case("cpu_python", "count_primes", "1ms", 3000, 64, m, w, s)
        for m, w, s in (("sequential", 1, None), ("threads", 2, None), ("process_pool", 2, "fork"))
    ] + [Case("io", "sleep", "5ms", 5, 64, m, w) for m, w in (("sequential", 1), ("threads", 4))]
    cases = with_probes(cases, 2)
    plan = runner.order_rounds(cases, rounds=5, seed=3)
    cpu_group = "cpu_python:count_primes[1ms]"
    for ordered in plan:
        assert probe_target(ordered[0]) == ""
        first_cpu = next(i for i, c in enumerate(ordered) if c.group == cpu_group)
        assert probe_target(ordered[first_cpu - 1]) == cpu_group
        assert sum(c.family == CAPACITY_FAMILY for c in ordered) == 2
        # the probe travels with its group: every interpreter probes right before its cases
        groups = runner.groups_in_order(ordered)
        (with_probe,) = [g for g in groups if g[0].group != g[-1].group]
        assert probe_target(with_probe[0]) == cpu_group
        assert {c.group for c in with_probe[1:]} == {cpu_group}


# --- reading it back --------------------------------------------------------------------


def probe_rows(
    values: dict[tuple[str, int], list[float]], processes: int = 2, **kw: Any
) -> list[dict[str, Any]]:
    """Capacity records as tidy rows: (interpreter, round) -> the round's probe values
    with ``processes`` spinning at once."""
    fields = {
        "family": CAPACITY_FAMILY,
        "workload": "capacity",
        "workers": 2,
        "group": "capacity:capacity[40ms]",
        "model": capacity.SPINNER,
        "measure": "capacity",
        "metric": capacity.metric_for(processes),
        "unit": "ratio",
    } | kw
    return [
        row(interpreter=interpreter, round=round_, value=v, **fields)
        for (interpreter, round_), found in values.items()
        for v in found
    ]  # fmt: skip


def test_each_rounds_capacity_at_each_k_is_the_median_of_its_probes() -> None:
    frame = pd.DataFrame(
        [
            *probe_rows({("a", 1): [1.9, 2.0, 1.4], ("a", 2): [1.2], ("b", 1): [2.0, 1.96]}),
            row(interpreter="a", round=1, value=0.5),  # a timing: not a probe
            *probe_rows({("a", 1): [3.1]}, processes=4),  # another k: apart
        ]
    )
    curve = report_capacity.capacity_curve(frame)
    assert list(curve.columns) == [*report_capacity.ROUND_KEYS, "processes", "capacity"]
    got = {(r.interpreter, r.round, r.processes): r.capacity for r in curve.itertuples()}
    assert got == pytest.approx(
        {("a", 1, 2): 1.9, ("a", 1, 4): 3.1, ("a", 2, 2): 1.2, ("b", 1, 2): 1.98}
    )
    top = report_capacity.round_capacity(frame)  # the most processes each round probed
    assert {(r.interpreter, r.round): r.processes for r in top.itertuples()} == {
        ("a", 1): 4,
        ("a", 2): 2,
        ("b", 1): 2,
    }
    got = {(r.interpreter, r.round): r.capacity for r in top.itertuples()}
    assert got == pytest.approx({("a", 1): 3.1, ("a", 2): 1.2, ("b", 1): 1.98})


def test_old_results_without_probes_have_no_capacity_and_flag_nothing() -> None:
    old = scaling_frame()
    assert report_capacity.capacity_curve(old).empty
    assert report_capacity.round_capacity(pd.DataFrame()).empty
    flagged = report_capacity.flag_low_capacity(old, metrics.round_times(old))
    assert flagged["capacity"].isna().all() and not flagged["low_capacity"].any()
    assert evidence_tables.capacity_table(report_capacity.capacity_summary(old)) == tables.NO_DATA


def per_round_rows(rounds: tuple[int, ...], counts: tuple[int, ...]) -> pd.DataFrame:
    return pd.DataFrame(
        [
            {"machine": "m", "run_id": "r", "interpreter": "a", "round": rnd, "workers": w,
             "cpu_count": 2, "time_s": 1.0}
            for rnd in rounds
            for w in counts
        ],
        index=range(100, 100 + len(rounds) * len(counts)),
    )  # fmt: skip


def test_a_round_is_left_out_when_it_is_unusually_low_against_the_runs_others() -> None:
    per_round = per_round_rows((1, 2, 3, 4), (1, 2, 4))
    probes = pd.DataFrame(
        probe_rows({("a", 1): [1.95], ("a", 2): [1.43], ("a", 3): [1.9], ("a", 4): [1.62]})
    )
    flagged = report_capacity.flag_low_capacity(probes, per_round)
    assert list(flagged.index) == list(per_round.index)  # rows, order and index kept
    low = {(r.round, r.workers): r.low_capacity for r in flagged.itertuples()}
    # round 2 (1.43) is below 85% of the others' median (1.9 x 0.85 = 1.615); round 4
    # (1.62) is not: a round is judged against the machine's own, not against the ideal.
    # One worker always has its core: never dropped.
    assert {k for k, v in low.items() if v} == {(2, 2), (2, 4)}
    assert flagged["low_capacity"].dtype == bool
    # the k nearest min(w, cores); one process alone is the reference, with one core
    by_workers = flagged.groupby("workers")["probed_processes"].first().to_dict()
    assert by_workers == {1: 1.0, 2: 2.0, 4: 2.0}
    at_two = flagged[(flagged["round"] == 1) & (flagged["workers"] == 2)]
    assert at_two["machine_capacity"].iloc[0] == pytest.approx(1.9)
    assert report_capacity.LOW_AGAINST_OTHERS == 0.85


def test_another_interpreters_probe_never_judges_a_round() -> None:
    per_round = per_round_rows((1, 2, 3), (2,))
    probes = pd.DataFrame(probe_rows({("b", 1): [0.5], ("b", 2): [2.0], ("b", 3): [2.0]}))
    flagged = report_capacity.flag_low_capacity(probes, per_round)
    assert flagged["capacity"].isna().all() and not flagged["low_capacity"].any()


def test_with_fewer_than_two_other_rounds_nothing_is_unusual() -> None:
    per_round = per_round_rows((1, 2), (2,))
    probes = pd.DataFrame(probe_rows({("a", 1): [2.0], ("a", 2): [0.4]}))
    assert not report_capacity.flag_low_capacity(probes, per_round)["low_capacity"].any()


def test_the_capacity_table_gives_median_range_and_unusual_rounds() -> None:
    frame = pd.DataFrame(
        probe_rows({("a", 1): [1.95], ("a", 2): [1.43], ("a", 3): [2.0], ("b", 1): [1.9]})
    )
    summary = report_capacity.capacity_summary(frame)
    a = summary[summary["interpreter"] == "a"].iloc[0]
    assert (a["rounds"], a["unusually_low"], a["cores"], a["processes"]) == (3, 1, 2, 2)
    assert (a["median"], a["low"], a["high"]) == pytest.approx((1.95, 1.43, 2.0))
    text = evidence_tables.capacity_table(summary)
    assert "| a | 2 | 2 | 3 | 1.95 (1.43\N{EN DASH}2.00) | 1 |" in text
    assert "| b | 2 | 2 | 1 | 1.90 (1.90\N{EN DASH}1.90) | 0 |" in text


# --- the scaling figure ---------------------------------------------------------------


def with_capacity(rounds: dict[int, float]) -> pd.DataFrame:
    """The figures' scaling frame (process pool/fork at 2.0x on 2 cores) with probes."""
    probes = probe_rows({(i, r): [c] for i in ("py-gil", "py-ft") for r, c in rounds.items()})
    return pd.concat([scaling_frame(), pd.DataFrame(probes)], ignore_index=True)


def hollow_points(ax: Any) -> list[tuple[float, float]]:
    return [
        (float(x), float(y))
        for line in ax.get_lines()
        if line.get_markerfacecolor() == "white" and len(line.get_xdata())
        for x, y in zip(line.get_xdata(), line.get_ydata(), strict=True)
    ]


def test_a_speedup_whose_interval_lies_above_the_machines_capacity_is_drawn_hollow() -> None:
    fig, alt = made(figures.make_scaling(with_capacity({1: 1.5, 2: 1.52})))
    for ax in fig.axes:
        assert figures.scaling.CAPACITY_LABEL in labels(ax)
        assert figures.scaling.ABOVE_CAPACITY in labels(ax)
        hollow = hollow_points(ax)  # every interval wholly above the 1.51 cores given
        assert any(y == pytest.approx(2.0) for _, y in hollow)  # the process pool (fork)
        assert all(y > 1.51 for _, y in hollow)
        measured = [ln for ln in ax.get_lines() if ln.get_label() == figures.scaling.CAPACITY_LABEL]
        assert np.max(np.asarray(measured[0].get_ydata(), dtype=float)) == pytest.approx(1.51)
    assert "the best is process pool (fork)" not in alt  # noise is never the best


def test_a_speedup_whose_interval_reaches_the_capacity_is_a_result() -> None:
    """The process pool's 2.0x beside 1.93-1.95 cores: its interval is 2.0-2.0 here, so
    above; with an interval that reaches the capacity it is plain (decided on the
    interval, as the verdict decides)."""
    frame = with_capacity({1: 1.95, 2: 1.93})
    slower = ((frame["model"] == "process_pool") & (frame["start_method"] == "fork")
              & (frame["round"] == 2))  # fmt: skip
    noisy = frame.assign(time_s=np.where(slower, frame["time_s"] * 1.2, frame["time_s"]))
    numbers = figures.scaling.scaling_numbers(figures.scaling.select_scaling(
        noisy, figures.SCALING_GROUP))  # fmt: skip
    pool = numbers[(numbers["model"] == "process_pool") & (numbers["start_method"] == "fork")]
    assert (pool["low"] < pool["capacity"]).all() and not pool["above_capacity"].any()


def test_speedups_within_capacity_are_plain_and_old_results_draw_no_capacity() -> None:
    fig, alt = made(figures.make_scaling(with_capacity({1: 2.0, 2: 2.02})))
    for ax in fig.axes:
        assert hollow_points(ax) == []
        assert figures.scaling.ABOVE_CAPACITY not in labels(ax)
        assert figures.scaling.CAPACITY_LABEL in labels(ax)
    fig, alt = made(figures.make_scaling(scaling_frame()))
    for ax in fig.axes:
        assert figures.scaling.CAPACITY_LABEL not in labels(ax) and hollow_points(ax) == []
    assert "the machine gave" not in alt


def test_the_run_summary_line_gives_the_capacity_at_the_most_processes() -> None:
    def record(round_: int, values: list[float], k: int = 2) -> dict[str, Any]:
        return {"metric": capacity.metric_for(k), "values": values,
                "metadata": {"family": CAPACITY_FAMILY, "round": round_}}  # fmt: skip

    records = [
        record(1, [1.9, 2.0, 1.95]),
        record(1, [1.7]),  # the probe before a CPU group: same round
        record(2, [1.2, 1.4, 1.3]),
        record(3, [1.95, 1.9]),
        {"metric": "lost_updates", "values": [3], "metadata": {"family": "race", "round": 1}},
    ]
    line = capacity.describe(records)
    assert line == (
        "capacity with 2 processes: 1.92 cores (median of 3 round(s), 1.30-1.92); "
        "1 round(s) unusually low"
    )
    assert capacity.describe(records[-1:]) is None
    # a round that probed more processes: its curve's top is the line's
    assert capacity.describe([*records, record(1, [3.8], k=4)]).startswith("capacity with 4")


def test_the_environment_page_shows_each_runs_capacity(tmp_path: Path) -> None:
    from bench.site import pages
    from bench.site.data import SourceData
    from bench.site.sources import Source

    frame = pd.DataFrame(probe_rows({("a", 1): [1.95], ("a", 2): [1.43], ("a", 3): [1.9]}))
    table = evidence_tables.capacity_table(report_capacity.capacity_summary(frame))
    data = SourceData(Source("mine", "Mine", tmp_path), frame, pd.DataFrame(), pd.DataFrame(),
                      tables={"capacity": table})  # fmt: skip
    text = pages.environment_page([data])
    assert "#### Parallel capacity" in text and table in text
    assert "85%" in text and "methodology.md#parallel-capacity" in text
    assert "1.90 (1.43\N{EN DASH}1.95) | 1 |" in text
