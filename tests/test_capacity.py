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
    ("cores", "sizes"), [(1, (2,)), (2, (2,)), (4, (2, 4)), (8, (2, 8)), (64, (2, 8))]
)
def test_probe_sizes_are_two_and_the_core_count(cores: int, sizes: tuple[int, ...]) -> None:
    assert capacity.probe_sizes(cores) == sizes


def test_real_spinners_report_their_facts_and_a_capacity() -> None:
    small = Case(**{**probe_case().__dict__, "size": 20_000})
    facts, results = capacity.run(small)
    sizes = capacity.probe_sizes(capacity.usable_cores())
    assert len({f["pid"] for f in facts}) == max(sizes)
    assert all(isinstance(f["gil_enabled"], bool) and f["cpu_affinity"] for f in facts)
    assert [m.metric for m in results] == [capacity.METRIC, capacity.METRIC_TWO][: len(sizes)]
    main = results[0]
    assert main.unit == "ratio" and not main.fits_pyperf  # outcomes file, not pyperf
    assert len(main.values) == capacity.PAIRS
    assert all(0 < v < 4 * max(sizes) for v in main.values)
    assert main.params["processes"] == max(sizes)


# --- in every round ---------------------------------------------------------------------


@pytest.mark.parametrize("profile", sorted(PROFILES))
def test_every_profile_probes_each_round_and_before_each_cpu_group(profile: str) -> None:
    cases = PROFILES[profile].cases()
    probes = {probe_target(c) for c in cases if c.family == CAPACITY_FAMILY}
    cpu_groups = {c.group for c in cases if c.family in NEEDS_CORES}
    assert cpu_groups
    assert probes == {"", *cpu_groups}
    assert with_probes(cases) == cases  # already there: nothing added twice


def test_probes_follow_the_selected_work_and_never_come_alone() -> None:
    assert with_probes([]) == []
    sleep = Case("io", "sleep", "5ms", 5, 64, "threads", 4)
    assert [probe_target(c) for c in with_probes([sleep])] == [None, ""]
    primes = Case("cpu_python", "count_primes", "1ms", 3000, 64, "threads", 2)
    found = with_probes([primes])
    assert [probe_target(c) for c in found] == [None, "", primes.group]
    assert probe_target(primes) is None
    assert capacity.PROBE.subject(capacity.SPINNER).start_methods == ()  # none chosen


def test_each_round_opens_with_a_probe_and_probes_right_before_cpu_work() -> None:
    cases = [
        Case("cpu_python", "count_primes", "1ms", 3000, 64, m, w, s)
        for m, w, s in (("sequential", 1, None), ("threads", 2, None), ("process_pool", 2, "fork"))
    ] + [Case("io", "sleep", "5ms", 5, 64, m, w) for m, w in (("sequential", 1), ("threads", 4))]
    cases = with_probes(cases)
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


def probe_rows(values: dict[tuple[str, int], list[float]], **kw: Any) -> list[dict[str, Any]]:
    """Capacity records as tidy rows: (interpreter, round) -> the round's probe values."""
    fields = {
        "family": CAPACITY_FAMILY,
        "workload": "capacity",
        "workers": 2,
        "group": "capacity:capacity[40ms]",
        "model": capacity.SPINNER,
        "measure": "capacity",
        "metric": capacity.METRIC,
        "unit": "ratio",
    } | kw
    return [
        row(interpreter=interpreter, round=round_, value=v, **fields)
        for (interpreter, round_), found in values.items()
        for v in found
    ]  # fmt: skip


def test_round_capacity_is_the_median_of_each_rounds_probes() -> None:
    frame = pd.DataFrame(
        [
            *probe_rows({("a", 1): [1.9, 2.0, 1.4], ("a", 2): [1.2], ("b", 1): [2.0, 1.96]}),
            row(interpreter="a", round=1, value=0.5),  # a timing: not a probe
            *probe_rows({("a", 1): [0.1]}, metric=capacity.METRIC_TWO),  # the k = 2 probe: apart
        ]
    )
    found = report_capacity.round_capacity(frame)
    assert list(found.columns) == ["machine", "run_id", "interpreter", "round", "capacity"]
    got = {(r.interpreter, r.round): r.capacity for r in found.itertuples()}
    assert got == pytest.approx({("a", 1): 1.9, ("a", 2): 1.2, ("b", 1): 1.98})


def test_old_results_without_probes_have_no_capacity_and_flag_nothing() -> None:
    old = scaling_frame()
    capacity_frame = report_capacity.round_capacity(old)
    assert capacity_frame.empty
    assert list(capacity_frame.columns) == [*report_capacity.ROUND_KEYS, "capacity"]
    per_round = metrics.round_times(old)
    flagged = report_capacity.capacity_flags(per_round, capacity_frame)
    assert flagged["capacity"].isna().all() and not flagged["low_capacity"].any()
    assert report_capacity.round_capacity(pd.DataFrame()).empty
    assert evidence_tables.capacity_table(report_capacity.capacity_summary(old)) == tables.NO_DATA


def test_capacity_flags_hold_each_round_to_min_workers_cores() -> None:
    per_round = pd.DataFrame(
        [
            {"machine": "m", "run_id": "r", "interpreter": "a", "round": rnd, "workers": w,
             "cpu_count": 2, "time_s": 1.0}
            for rnd in (1, 2, 3)
            for w in (1, 2, 4)
        ],
        index=range(100, 109),
    )  # fmt: skip
    measured = pd.DataFrame(
        [
            {"machine": "m", "run_id": "r", "interpreter": "a", "round": 1, "capacity": 1.95},
            {"machine": "m", "run_id": "r", "interpreter": "a", "round": 2, "capacity": 1.43},
            {"machine": "m", "run_id": "r", "interpreter": "b", "round": 3, "capacity": 0.5},
        ]
    )
    flagged = report_capacity.capacity_flags(per_round, measured)
    assert list(flagged.index) == list(per_round.index)  # rows, order and index kept
    low = {(r.round, r.workers): r.low_capacity for r in flagged.itertuples()}
    # round 1: 1.95 >= 0.9 x min(w, 2) for every w; round 2: 1.43 is enough for one
    # worker only; round 3: another interpreter's probe never counts, so unknown: kept
    assert low == {(1, 1): False, (1, 2): False, (1, 4): False,
                   (2, 1): False, (2, 2): True, (2, 4): True,
                   (3, 1): False, (3, 2): False, (3, 4): False}  # fmt: skip
    assert flagged.loc[flagged["round"] == 3, "capacity"].isna().all()
    assert flagged["low_capacity"].dtype == bool
    assert report_capacity.CAPACITY_KEEP_FRACTION == 0.9
    # the threshold exactly: 0.9 x 2 = 1.8 keeps 1.8, flags just below it
    edge = measured.assign(capacity=[1.8, 1.79, 1.0])
    edge_flags = report_capacity.capacity_flags(per_round, edge)
    two = edge_flags[edge_flags["workers"] == 2].set_index("round")["low_capacity"]
    assert (bool(two[1]), bool(two[2])) == (False, True)


def test_the_capacity_table_gives_median_range_and_rounds_below() -> None:
    frame = pd.DataFrame(
        probe_rows({("a", 1): [1.95], ("a", 2): [1.43], ("a", 3): [2.0], ("b", 1): [1.9]})
    )
    summary = report_capacity.capacity_summary(frame)
    a = summary[summary["interpreter"] == "a"].iloc[0]
    assert (a["rounds"], a["below"], a["cores"]) == (3, 1, 2)
    assert (a["median"], a["low"], a["high"]) == pytest.approx((1.95, 1.43, 2.0))
    assert a["threshold"] == pytest.approx(1.8)
    text = evidence_tables.capacity_table(summary)
    assert "| a | 2 | 3 | 1.95 (1.43\N{EN DASH}2.00) | 1 (below 1.80) |" in text
    assert "| b | 2 | 1 | 1.90 (1.90\N{EN DASH}1.90) | 0 (below 1.80) |" in text


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


def test_a_speedup_above_the_capacity_of_its_rounds_is_drawn_hollow_as_noise() -> None:
    fig, alt = made(figures.make_scaling(with_capacity({1: 1.95, 2: 1.93})))
    for ax in fig.axes:
        assert figures.scaling.CAPACITY_LABEL in labels(ax)
        assert figures.scaling.ABOVE_CAPACITY in labels(ax)
        (point,) = hollow_points(ax)  # process_pool/fork: 2.0x where 1.93-1.95 cores were
        assert point[1] == pytest.approx(2.0)
        assert "capacity 1.94" in ax.get_title()
        measured = [ln for ln in ax.get_lines() if ln.get_label() == figures.scaling.CAPACITY_LABEL]
        assert np.max(np.asarray(measured[0].get_ydata(), dtype=float)) == pytest.approx(1.94)
    assert "drawn hollow: process pool (fork) at 2" in alt
    assert "the best is process pool (fork)" not in alt  # noise is never the best


def test_speedups_within_capacity_are_plain_and_old_results_draw_no_capacity() -> None:
    fig, alt = made(figures.make_scaling(with_capacity({1: 2.0, 2: 2.02})))
    for ax in fig.axes:
        assert hollow_points(ax) == []
        assert figures.scaling.ABOVE_CAPACITY not in labels(ax)
        assert figures.scaling.CAPACITY_LABEL in labels(ax)
    assert "drawn hollow" not in alt
    fig, alt = made(figures.make_scaling(scaling_frame()))
    for ax in fig.axes:
        assert figures.scaling.CAPACITY_LABEL not in labels(ax) and hollow_points(ax) == []
    assert "the machine gave" not in alt


def test_flag_above_capacity_compares_with_min_workers_capacity() -> None:
    speed = pd.DataFrame(
        {"interpreter": ["a"] * 3, "benchmark": ["x", "y", "z"], "speedup": [1.9, 1.9, 1.1]}
    )
    frame = pd.DataFrame()
    unknown = figures.scaling.flag_above_capacity(speed, frame)
    assert not unknown["above"].any() and np.isnan(unknown["limit"]).all()


def test_the_run_summary_line_gives_median_range_and_rounds_below() -> None:
    def record(round_: int, values: list[float], metric: str = capacity.METRIC) -> dict[str, Any]:
        return {"metric": metric, "values": values,
                "metadata": {"family": CAPACITY_FAMILY, "round": round_}}  # fmt: skip

    records = [
        record(1, [1.9, 2.0, 1.95]),
        record(1, [1.7]),  # the probe before a CPU group: same round
        record(2, [1.2, 1.4, 1.3]),
        record(2, [0.2], metric=capacity.METRIC_TWO),  # not the round's capacity
        {"metric": "lost_updates", "values": [3], "metadata": {"family": "race", "round": 1}},
    ]
    line = capacity.describe(records, cores=2)
    assert line == "capacity 1.61 cores (median of 2 round(s), 1.30-1.92); 1 round(s) below 1.80"
    assert capacity.describe(records[-1:], cores=2) is None


def test_the_environment_page_shows_each_runs_capacity(tmp_path: Path) -> None:
    from bench.site import pages
    from bench.site.data import SourceData
    from bench.site.sources import Source

    frame = pd.DataFrame(probe_rows({("a", 1): [1.95], ("a", 2): [1.43]}))
    table = evidence_tables.capacity_table(report_capacity.capacity_summary(frame))
    data = SourceData(Source("mine", "Mine", tmp_path), frame, pd.DataFrame(), pd.DataFrame(),
                      tables={"capacity": table})  # fmt: skip
    text = pages.environment_page([data])
    assert "#### Parallel capacity" in text and table in text
    assert "90%" in text and "methodology.md#parallel-capacity" in text
    assert "1.69 (1.43\N{EN DASH}1.95) | 1 (below 1.80)" in text
