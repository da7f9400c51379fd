"""The free-threaded build against the default build beside it: pairing across
interpreters within a round, the single-thread cost, the same work done each build's
fastest way, the two claims in all their outcomes, and the figures quoting their numbers."""

from __future__ import annotations

import json
import math
import re
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from helpers_rows import tidy_frame, tidy_row
from test_report_claims import CLAIMS_BY_ID

from bench.families.free_threading import crossbuild
from bench.families.free_threading.claims import (
    CLEARLY_SLOWER,
    NEARLY_AS_FAST,
    free_thread_comparison,
)
from bench.families.free_threading.crossbuild import (
    build_pairs,
    cross_round_times,
    same_work,
    single_thread_cost,
)
from bench.families.free_threading.figures import make_cost, make_same_work
from bench.families.free_threading.tables import NIGHTLY_SERIES, by_series_table
from bench.report.claims import (
    DOES_NOT_HOLD,
    HOLDS,
    INCONCLUSIVE,
    JUDGED,
    NO_DATA,
    evaluate,
)
from bench.report.estimate import ratio_estimate
from bench.report.format import format_estimate
from bench.report.tables import NO_DATA as NO_DATA_TABLE

DEFAULT = "cpython-3.13.0"
FREE = "cpython-3.13.5t"
FREE_GIL_ON = "cpython-3.13.5t-x-gil-1"
BUILDS: dict[str, dict[str, Any]] = {
    DEFAULT: {"python_version": "3.13.0 (64-bit)", "python_build": "default",
              "gil_enabled": "enabled"},
    FREE: {"python_version": "3.13.5 (64-bit)", "python_build": "free-threading",
           "gil_enabled": "disabled"},
    FREE_GIL_ON: {"python_version": "3.13.5 (64-bit)", "python_build": "free-threading",
                  "gil_enabled": "enabled"},
    "cpython-3.14.0t": {"python_version": "3.14.0 (64-bit)", "python_build": "free-threading",
                        "gil_enabled": "disabled"},
}  # fmt: skip
#: The CPU gets slower and faster from round to round (a shared VM): times of different
#: rounds must never be compared.
DRIFT = (1.0, 3.0, 2.0, 0.5)
TASK = {"family": "cpu_python", "workload": "count_primes", "size": 90_000, "size_label": "100ms"}
GROUP = "cpu_python:count_primes[100ms]"


def row(interpreter: str, model: str, seconds: float, round_no: int, **fields: Any) -> dict:
    given = {"run_id": "r1", "interpreter": interpreter, **BUILDS[interpreter], **TASK,
             "group": GROUP, "model": model, "round": round_no, "value": seconds}  # fmt: skip
    out = tidy_row(**(given | fields))
    out["benchmark"] = f"{out['group']} {model}/{out['start_method']} w={out['workers']}"
    return out


def case(
    interpreter: str, model: str, seconds: float, rounds: int = 3, **fields: Any
) -> list[dict]:
    """One case in ``rounds`` rounds, its time following the round's drift; the round's
    second value is 2 % slower (pyperf gives several values per round)."""
    return [
        row(interpreter, model, seconds * DRIFT[r - 1] * factor, r, **fields)
        for r in range(1, rounds + 1)
        for factor in (1.0, 1.02)
    ]


frame = tidy_frame


def builds_with(cost: float, rounds: int = 3, noise: tuple[float, ...] = ()) -> pd.DataFrame:
    """Both builds' plain loop, the free-threaded one ``cost`` times slower in each round
    (times ``noise[r]`` in round r + 1, where given)."""
    free = case(FREE, "sequential", cost, rounds)
    for r in free:
        r["value"] = r["time_s"] = r["time_s"] * (noise[r["round"] - 1] if noise else 1.0)
    return frame(case(DEFAULT, "sequential", 1.0, rounds), free)


# --- pairing ------------------------------------------------------------------------------------


def test_pairs_are_a_free_threaded_build_and_the_default_build_of_its_minor_version() -> None:
    data = frame(
        case(DEFAULT, "sequential", 1.0),
        case(FREE, "sequential", 1.3),
        case(FREE_GIL_ON, "sequential", 1.3),
        case("cpython-3.14.0t", "sequential", 1.1),  # no 3.14 default build: no pair
    )
    pairs = build_pairs(data)
    assert list(pairs["interpreter"]) == [FREE, FREE_GIL_ON]
    assert set(pairs["default_interpreter"]) == {DEFAULT}
    assert list(pairs["gil"]) == ["disabled", "enabled"]
    assert crossbuild.minor_version("3.13.5 (64-bit)") == "3.13"
    assert crossbuild.minor_version(None) is None


def test_builds_of_different_runs_are_not_paired() -> None:
    other_run = [r | {"run_id": "r2"} for r in case(FREE, "sequential", 1.3)]
    assert build_pairs(frame(case(DEFAULT, "sequential", 1.0), other_run)).empty
    assert single_thread_cost(frame(case(DEFAULT, "sequential", 1.0), other_run)).empty


def test_cross_interpreter_pairing_takes_both_times_from_the_same_round() -> None:
    # The CPU's speed swings by 6x between rounds; within each, the free-threaded loop takes
    # 1.3x the default build's. Round 4 was measured for the free-threaded build only.
    data = frame(case(DEFAULT, "sequential", 1.0, rounds=3), case(FREE, "sequential", 1.3, 4))
    paired = cross_round_times(data, ("sequential",), "sequential", same_workers=False)
    assert sorted(paired["round"]) == [1, 2, 3]
    assert (paired["free_s"] / paired["default_s"]).to_numpy() == pytest.approx([1.3] * 3)
    cost = single_thread_cost(data).iloc[0]
    assert cost["cost"] == pytest.approx(1.3)
    assert cost["cost_low"] == pytest.approx(1.3)  # the same ratio in every round: no spread
    assert cost["cost_n"] == 3
    # pooling each build's times over its rounds would have answered 0.98x: "as fast"
    times = data.groupby("interpreter")["time_s"].median()
    assert times[FREE] / times[DEFAULT] == pytest.approx(0.98, abs=0.01)
    # and pairing round r with round r + 1 would have spread the ratios over 0.2x to 2.6x
    wrong = ratio_estimate([1.3 * DRIFT[(r + 1) % 3] / DRIFT[r] for r in range(3)])
    assert wrong.high / wrong.low > 10


def test_the_single_thread_cost_per_cpu_workload_with_its_interval() -> None:
    noisy = builds_with(1.3, noise=(0.95, 1.0, 1.05))
    sleep: dict[str, Any] = {"family": "io", "workload": "sleep", "size_label": "5ms"}
    sleep["group"] = "io:sleep[5ms]"
    io = frame(case(DEFAULT, "sequential", 1.0, **sleep), case(FREE, "sequential", 1.0, **sleep))
    costs = single_thread_cost(pd.concat([noisy, io], ignore_index=True))
    assert list(costs["group"]) == [GROUP]  # waiting on the OS is no interpreter's cost
    found = costs.iloc[0]
    expected = ratio_estimate([1.3 * 0.95, 1.3, 1.3 * 1.05])
    assert found["cost"] == pytest.approx(expected.value)
    assert (found["cost_low"], found["cost_high"]) == pytest.approx((expected.low, expected.high))
    assert found["cost_low"] < 1.3 < found["cost_high"]


def same_work_frame(pool: float, threads: float, rounds: int = 3) -> pd.DataFrame:
    """The default build's loop (1 s) and process pool at 2 workers (fork ``pool``; spawn,
    always faster, beside it), the free-threaded build's thread pool at 2 (``threads``)."""
    workers = {"workers": 2}
    return frame(
        case(DEFAULT, "sequential", 1.0, rounds),
        case(DEFAULT, "process_pool", pool, rounds, start_method="fork", **workers),
        case(DEFAULT, "process_pool", pool / 2, rounds, start_method="spawn", **workers),
        case(FREE, "sequential", 1.3, rounds),
        case(FREE, "thread_pool", threads, rounds, **workers),
    )


def test_same_work_sets_free_threads_against_the_default_builds_loop_and_pool() -> None:
    table = free_thread_comparison(same_work_frame(pool=0.5, threads=0.7))
    (found,) = table.to_dict("records")
    assert (found["interpreter"], found["model"], found["workers"]) == (FREE, "thread_pool", 2)
    # the platform's default start method (fork on Linux before 3.14), not the fastest
    assert found["pool_start_method"] == "fork"
    assert found["vs_loop"] == pytest.approx(1 / 0.7)
    assert found["vs_pool"] == pytest.approx(0.7 / 0.5)
    assert found["pool_vs_loop"] == pytest.approx(2.0)
    assert found["vs_pool_n"] == 3
    assert found["dropped"] == 0


def test_a_round_of_too_little_capacity_is_left_out(monkeypatch: pytest.MonkeyPatch) -> None:
    data = same_work_frame(pool=0.5, threads=0.7, rounds=4)
    slow = (data["interpreter"] == DEFAULT) & (data["round"] == 4) & (data["model"] != "sequential")
    data.loc[slow, ["value", "time_s"]] *= 3  # the host withheld a core in round 4

    def flag(_frame: pd.DataFrame, rows: pd.DataFrame) -> pd.DataFrame:
        low = (rows["interpreter"] == DEFAULT) & (rows["round"] == 4)
        return rows.assign(capacity=1.0, low_capacity=low)

    before = same_work(data).iloc[0]
    assert before["vs_pool"] < 1.2  # the starved round pulls the pool down
    monkeypatch.setattr(crossbuild, "flag_low_capacity", flag)
    after = same_work(data).iloc[0]
    assert after["dropped"] == 1
    assert after["vs_pool_n"] == 3
    assert after["vs_pool"] == pytest.approx(1.4)


# --- the claims -----------------------------------------------------------------------------


def cost_rule(data: pd.DataFrame) -> Any:
    return CLAIMS_BY_ID["free_threading_single_thread_cost"].rule(data)


def threads_rule(data: pd.DataFrame) -> Any:
    return CLAIMS_BY_ID["free_threads_replace_processes"].rule(data)


@pytest.mark.parametrize(
    ("cost", "noise", "verdict"),
    [
        (1.05, (0.99, 1.0, 1.01), HOLDS),  # the interval lies below 1.10x
        (1.40, (0.99, 1.0, 1.01), DOES_NOT_HOLD),  # ... above 1.25x
        (1.17, (0.99, 1.0, 1.01), INCONCLUSIVE),  # ... between the two
        (1.08, (0.8, 1.0, 1.25), INCONCLUSIVE),  # ... straddles 1.10x
    ],
)
def test_the_single_thread_cost_claim(cost: float, noise: tuple[float, ...], verdict: str) -> None:
    found = cost_rule(builds_with(cost, noise=noise))
    assert found.verdict == verdict
    assert "count_primes[100ms]" in found.evidence and DEFAULT in found.evidence
    if verdict == INCONCLUSIVE:
        assert "inconclusive: the interval" in found.evidence
    figures = found.figures["cost"][GROUP]
    assert figures["value"] == pytest.approx(cost, rel=0.03)
    assert NEARLY_AS_FAST < CLEARLY_SLOWER


def test_one_round_is_too_little_data() -> None:
    found = cost_rule(builds_with(1.05, rounds=1))
    assert found.verdict == INCONCLUSIVE
    assert "too little data" in found.evidence
    assert threads_rule(same_work_frame(0.5, 0.5, rounds=1)).verdict == INCONCLUSIVE


@pytest.mark.parametrize(
    ("threads", "verdict"),
    [
        (0.5, HOLDS),
        (0.75, DOES_NOT_HOLD),
        (0.58, INCONCLUSIVE),
    ],  # 1.0x, 1.5x, 1.16x the pool's time
)
def test_the_free_threads_against_processes_claim(threads: float, verdict: str) -> None:
    found = threads_rule(same_work_frame(pool=0.5, threads=threads))
    assert found.verdict == verdict
    assert "process pool/fork" in found.evidence
    task = found.figures["tasks"][GROUP]
    assert task["vs_pool"]["value"] == pytest.approx(threads / 0.5)
    assert found.figures["workers"] == 2


@pytest.mark.parametrize("rule", [cost_rule, threads_rule])
def test_without_a_matching_pair_of_builds_there_is_no_data(rule: Any) -> None:
    assert rule(pd.DataFrame()).verdict == NO_DATA
    alone = frame(case(DEFAULT, "sequential", 1.0), case(DEFAULT, "thread_pool", 1.0, workers=2))
    assert rule(alone).verdict == NO_DATA
    other_minor = frame(case(DEFAULT, "sequential", 1.0), case("cpython-3.14.0t", "sequential", 1))
    assert rule(other_minor).verdict == NO_DATA


def test_a_build_of_another_series_is_never_the_reference_and_the_evidence_says_so() -> None:
    """Issue 22: compare only builds of the same series. 3.14t beside a 3.13 default build
    is not paired; its verdict says why instead of a bare "not measured"."""
    other_minor = frame(case(DEFAULT, "sequential", 1.0), case("cpython-3.14.0t", "sequential", 1))
    data = other_minor.assign(**{JUDGED: other_minor["interpreter"] == "cpython-3.14.0t"})
    verdict = cost_rule(data)
    assert verdict.verdict == NO_DATA
    assert "a default build of the 3.14 series" in verdict.evidence
    assert "builds of different series are not compared" in verdict.evidence


def flagged(data: pd.DataFrame, free: dict[str, str], default: dict[str, str]) -> pd.DataFrame:
    """``data`` with the build flags each build recorded."""
    out = data.copy()
    for interpreter, flags in ((FREE, free), (DEFAULT, default)):
        for name, value in flags.items():
            out.loc[out["interpreter"] == interpreter, name] = value
    return out


def test_the_evidence_names_both_versions_and_their_build_flags() -> None:
    """Issue 23, item 14: it is 3.13.0 against 3.13.5t, built differently: name both."""
    plain = {"python_pgo": "no", "python_lto": "no"}
    same = flagged(builds_with(1.05, noise=(0.99, 1.0, 1.01)), plain, plain)
    verdict = cost_rule(same)
    assert (
        f"{FREE} (3.13.5, GIL off; PGO no, LTO no) against {DEFAULT} (3.13.0; PGO no, LTO no)"
        in verdict.evidence
    )
    assert "built differently" not in verdict.evidence
    assert verdict.figures["builds"]["default"]["version"] == "3.13.0"
    optimised = {"python_pgo": "yes", "python_lto": "yes"}
    differ = cost_rule(flagged(builds_with(1.05, noise=(0.99, 1.0, 1.01)), plain, optimised))
    assert "built differently (PGO no against yes; LTO no against yes)" in differ.evidence
    assert differ.figures["builds"]["flags_differ"] == ["PGO no against yes", "LTO no against yes"]
    unknown = cost_rule(builds_with(1.05, noise=(0.99, 1.0, 1.01)))  # older results say nothing
    assert "build flags not recorded" in unknown.evidence
    threads = threads_rule(flagged(same_work_frame(pool=0.5, threads=0.5), plain, optimised))
    assert "built differently (PGO no against yes" in threads.evidence


def test_the_table_by_series_names_the_builds_and_the_series_not_measured() -> None:
    data = flagged(same_work_frame(pool=0.5, threads=0.75), {"python_pgo": "no"}, {})
    text = by_series_table(data)
    lines = text.splitlines()
    measured = next(line for line in lines if line.startswith("| 3.13t |"))
    assert f"{FREE} (3.13.5, GIL off)" in measured and f"{DEFAULT} (3.13.0)" in measured
    assert "PGO no, LTO not recorded; build flags not recorded" in measured
    assert "1.5\u00d7 (1.5\u20131.5\u00d7, n=3) (process pool/fork)" in measured
    for series in NIGHTLY_SERIES[1:]:
        missing = next(line for line in lines if line.startswith(f"| {series}t |"))
        assert "not in these results" in missing and "the 3.13t rows stand in" in missing
    assert by_series_table(frame(case(DEFAULT, "sequential", 1.0))) == NO_DATA_TABLE


def test_the_series_of_the_table_are_those_the_nightly_measures() -> None:
    nightly = (Path(__file__).parent.parent / ".github" / "workflows" / "nightly.yml").read_text()
    (matrix,) = re.findall(r"^\s*series: \[(.*)\]\s*$", nightly, re.MULTILINE)
    assert tuple(json.loads(f"[{matrix}]")) == NIGHTLY_SERIES


def test_evaluate_judges_the_free_threaded_builds_against_the_default_build() -> None:
    data = same_work_frame(pool=0.5, threads=0.75)
    data = pd.concat(
        [data, frame(case(FREE_GIL_ON, "sequential", 1.3), case(FREE_GIL_ON, "thread_pool", 1.0,
                                                                  workers=2))],
        ignore_index=True,
    )  # fmt: skip
    claims = [CLAIMS_BY_ID["free_threading_single_thread_cost"],
              CLAIMS_BY_ID["free_threads_replace_processes"]]  # fmt: skip
    result = evaluate(data, claims).set_index(["interpreter", "claim_id"])
    assert result.loc[(FREE, "free_threading_single_thread_cost"), "verdict"] == DOES_NOT_HOLD
    assert result.loc[(FREE, "free_threads_replace_processes"), "verdict"] == DOES_NOT_HOLD
    gil_on = json.loads(result.loc[(FREE_GIL_ON, "free_threads_replace_processes"), "figures"])
    assert gil_on["gil"] == "enabled"
    assert gil_on["tasks"][GROUP]["vs_pool"]["value"] == pytest.approx(2.0, rel=1e-3)
    for claim_id in ("free_threading_single_thread_cost", "free_threads_replace_processes"):
        default = result.loc[(DEFAULT, claim_id)]
        assert default["verdict"] == NO_DATA and "reference" in default["evidence"]


def test_a_rule_given_the_machine_judges_only_the_interpreter_marked() -> None:
    data = frame(
        case(DEFAULT, "sequential", 1.0), case(FREE, "sequential", 1.4),
        case(FREE_GIL_ON, "sequential", 1.05),
    )  # fmt: skip
    for judged, verdict in ((FREE, DOES_NOT_HOLD), (FREE_GIL_ON, HOLDS)):
        marked = data.assign(**{JUDGED: data["interpreter"] == judged})
        assert cost_rule(marked).verdict == verdict


# --- the figures quote the verdicts' numbers -------------------------------------------------


def test_the_figures_show_the_numbers_the_verdicts_quote(tmp_path: Path) -> None:
    data = same_work_frame(pool=0.5, threads=0.75)
    cost = single_thread_cost(data).iloc[0]
    shown = format_estimate(crossbuild.estimate_of(cost, "cost"))
    made = make_cost(data)
    assert made is not None
    assert shown in made[1] and shown in cost_rule(data).evidence
    row = free_thread_comparison(data).iloc[0]
    made = make_same_work(data)
    assert made is not None
    for prefix in ("vs_loop", "pool_vs_loop"):
        quoted = format_estimate(crossbuild.estimate_of(row, prefix))
        assert quoted in made[1] and quoted in threads_rule(data).evidence
    assert make_cost(frame(case(DEFAULT, "sequential", 1.0))) is None
    assert make_same_work(pd.DataFrame()) is None
    assert not math.isnan(row["vs_pool"])
