"""Metrics on hand-made frames: intervals, paired speedups and efficiency, winners,
granularity crossovers, memory per worker, IPC throughput."""

from __future__ import annotations

import math

import pandas as pd
import pytest
from scipy import stats

from bench.families.granularity.metrics import crossovers, granularity_ratios, winners
from bench.families.ipc.metrics import ipc_throughput
from bench.families.memory.metrics import memory_per_worker
from bench.report.estimate import ratio_estimate, t_quantile
from bench.report.metrics import (
    mean_ci,
    median_ci,
    paired_ratios,
    paired_speedups,
    summarize,
)


def timing(model: str, round_: int, seconds: float, workers: int = 1) -> dict:
    return {
        "interpreter": "py",
        "group": "g",
        "benchmark": f"{model} w={workers}",
        "model": model,
        "start_method": None,
        "workers": workers,
        "round": round_,
        "metric": "time",
        "unit": "second",
        "value": seconds,
        "time_s": seconds,
        "measure": "batch",
    }


def test_speedups_are_paired_within_rounds() -> None:
    # round 2 ran on a CPU twice as slow: only the within-round ratio survives
    frame = pd.DataFrame(
        [
            timing("sequential", 1, 1.0),
            timing("process_pool", 1, 0.5, 2),
            timing("sequential", 2, 2.0),
            timing("process_pool", 2, 1.0, 2),
            timing("sequential", 3, 1.0),
            timing("process_pool", 3, 0.4, 2),
        ]
    )
    ratios = paired_ratios(frame)
    pool = ratios[ratios["model"] == "process_pool"].sort_values("round")
    assert pool["ratio"].tolist() == pytest.approx([2.0, 2.0, 2.5])
    assert not pool["low_capacity"].any()  # no capacity probes: every round kept
    result = paired_speedups(frame).set_index("model")
    # the one estimator: geometric mean of the rounds' ratios, t interval on their logs
    expected = ratio_estimate([2.0, 2.0, 2.5])
    assert result.loc["process_pool", "speedup"] == pytest.approx((2.0 * 2.0 * 2.5) ** (1 / 3))
    assert result.loc["process_pool", "low"] == pytest.approx(expected.low)
    assert result.loc["process_pool", "high"] == pytest.approx(expected.high)
    assert expected.low < 2.0 and expected.high > 2.5
    assert result.loc["process_pool", "rounds"] == 3
    assert result.loc["process_pool", "dropped"] == 0
    assert result.loc["sequential", "speedup"] == pytest.approx(1.0)


def test_speedups_leave_out_rounds_without_the_cores_they_need() -> None:
    rows = [
        timing("sequential", 1, 1.0),
        timing("process_pool", 1, 0.5, 2),
        timing("sequential", 2, 1.0),
        timing("process_pool", 2, 0.52, 2),
        timing("sequential", 3, 1.0),
        timing("process_pool", 3, 1.0, 2),  # the host withheld a core
    ]
    probes = [
        {"interpreter": "py", "family": "capacity", "metric": "cores", "unit": "ratio",
         "round": r, "value": cores}
        for r, cores in ((1, 2.0), (2, 1.95), (3, 1.0))
    ]  # fmt: skip
    frame = pd.DataFrame([r | {"family": "cpu_python", "cpu_count": 2} for r in rows] + probes)
    result = paired_speedups(frame).set_index("model")
    assert result.loc["process_pool", "rounds"] == 2
    assert result.loc["process_pool", "dropped"] == 1
    assert result.loc["process_pool", "speedup"] == pytest.approx((2.0 / 0.52) ** 0.5)
    # the loop needs one core: no round is dropped for it
    assert result.loc["sequential", "dropped"] == 0


def test_a_case_without_its_baseline_in_the_round_gets_no_speedup() -> None:
    frame = pd.DataFrame([timing("sequential", 1, 1.0), timing("threads", 2, 1.0, 2)])
    assert "threads" not in set(paired_speedups(frame)["model"])


def memory(model: str, workers: int, total: float, metric: str = "uss_bytes") -> dict:
    return {
        "interpreter": "py",
        "model": model,
        "start_method": "spawn",
        "variant": None,
        "metric": metric,
        "unit": "byte",
        "workers": workers,
        "value": total,
    }


def test_memory_per_worker_is_the_slope_of_the_total() -> None:
    mib = 1 << 20
    frame = pd.DataFrame([memory("processes", w, 30 * mib + w * 10 * mib) for w in (1, 2, 4, 8)])
    (row,) = memory_per_worker(frame).to_dict("records")
    assert row["bytes_per_worker"] == pytest.approx(10 * mib)
    assert row["intercept_bytes"] == pytest.approx(30 * mib)
    single = pd.DataFrame([memory("threads", 1, 5.0)])
    assert memory_per_worker(single).empty


def test_ipc_throughput_counts_both_directions_and_sits_beside_memcpy() -> None:
    rows = [
        {
            "interpreter": "py",
            "model": m,
            "start_method": s,
            "size": 1_000_000,
            "time_s": t,
            "measure": "ipc",
        }
        for m, s, t in (("mp.Pipe", "fork", 0.002), ("memcpy", None, 0.0002))
    ]
    result = ipc_throughput(pd.DataFrame(rows)).set_index("model")
    assert result.loc["mp.Pipe", "mb_per_s"] == pytest.approx(1000)
    assert result.loc["mp.Pipe", "memcpy_mb_per_s"] == pytest.approx(10_000)


# --- confidence intervals and summaries -------------------------------------------------


@pytest.mark.parametrize(
    ("df", "printed"),
    # two-sided 95 % critical values of Student's t as statistics tables print them
    [(1, 12.706), (2, 4.303), (5, 2.571), (10, 2.228), (30, 2.042), (60, 2.000), (120, 1.980)],
)
def test_t_quantiles_are_the_library_s_and_the_published_values(df: int, printed: float) -> None:
    assert t_quantile(df) == stats.t.ppf(0.975, df)
    assert t_quantile(df) == pytest.approx(printed, abs=5e-4)


def test_t_quantiles_from_scipy_special_are_scipy_stats_to_the_bit() -> None:
    assert all(t_quantile(df) == stats.t.ppf(0.975, df) for df in range(1, 301))


def test_t_quantile_to_full_precision() -> None:
    assert t_quantile(10) == pytest.approx(2.228138851986274, rel=1e-12)
    assert t_quantile(1) == pytest.approx(1 / math.tan(math.pi * 0.025), rel=1e-12)  # Cauchy
    # df = 2 has a closed form: (2p - 1) / sqrt(2 p (1 - p))
    assert t_quantile(2) == pytest.approx(0.95 / math.sqrt(2 * 0.975 * 0.025), rel=1e-12)


def test_t_quantiles_approach_the_normal() -> None:
    assert t_quantile(10_000) == pytest.approx(1.959963984540054, abs=1e-3)
    quantiles = [t_quantile(df) for df in range(1, 300)]
    assert quantiles == sorted(quantiles, reverse=True)
    with pytest.raises(ValueError, match="degree"):
        t_quantile(0)


def test_mean_ci_is_the_t_interval() -> None:
    low, high = mean_ci([1, 2, 3, 4, 5, 6])
    half = 2.570581835636314 * 1.8708287 / 6**0.5  # t(5) x sample sd / sqrt(n)
    assert (low, high) == (pytest.approx(3.5 - half), pytest.approx(3.5 + half))
    assert all(math.isnan(x) for x in mean_ci([2.0]))


def test_median_ci_uses_order_statistics_with_their_coverage() -> None:
    values = [9, 1, 8, 2, 7, 3, 6, 4, 5, 10]  # unsorted on purpose
    low, high, coverage = median_ci(values)
    # k = 2: 1 - 2 (C(10,0) + C(10,1)) / 2^10 = 97.9 %; k = 3 would be 89 %
    assert (low, high) == (2, 9)
    assert coverage == pytest.approx(1 - 2 * 11 / 1024)
    low, high, coverage = median_ci([3.0, 1.0, 2.0])  # too few for 95 %: the range
    assert (low, high) == (1.0, 3.0)
    assert coverage == pytest.approx(0.75)


@pytest.mark.parametrize(
    ("n", "k", "coverage"),
    [(5, 1, 30 / 32), (6, 1, 62 / 64), (17, 5, 1 - 6428 / 131072), (60, 22, None)],
)
def test_median_ci_coverage_is_the_binomial_tail(n: int, k: int, coverage: float | None) -> None:
    low, high, got = median_ci([float(i) for i in range(n)])
    assert (low, high) == (k - 1, n - k)  # the k-th order statistics from either end
    assert got == pytest.approx(1 - 2 * stats.binom.cdf(k - 1, n, 0.5), rel=1e-12)
    if coverage is not None:  # by hand: 1 - 2 (C(n,0) + ... + C(n,k-1)) / 2^n
        assert got == pytest.approx(coverage, rel=1e-12)


def outcome(metric: str, unit: str, values: list, model: str = "threads") -> list[dict]:
    return [
        {
            "machine": "m",
            "run_id": "r",
            "interpreter": "py",
            "benchmark": f"{model} {metric}",
            "model": model,
            "workers": 2,
            "metric": metric,
            "unit": unit,
            "value": v,
        }
        for v in values
    ]


def test_summarize_gives_intervals_that_contain_the_mean_and_median() -> None:
    values = [1.0, 1.2, 0.9, 1.1, 5.0, 1.05, 0.95, 1.02, 0.98, 1.01, 0.99]
    frame = pd.DataFrame(
        outcome("time", "second", values)
        + outcome("recovered", "flag", [True, False, True, True])
        + outcome("raised", "text", ["BrokenProcessPool"])
    )
    summary = summarize(frame).set_index("metric")
    time = summary.loc["time"]
    assert time["count"] == len(values)
    assert time["mean"] == pytest.approx(sum(values) / len(values))
    assert time["median"] == pytest.approx(1.01)
    assert time["mean_low"] < time["mean"] < time["mean_high"]
    assert time["median_low"] <= time["median"] <= time["median_high"]
    assert time["median_high"] < 5.0  # the outlier stays out of the median's interval
    assert time["machine"] == "m"
    assert summary.loc["recovered", "mean"] == pytest.approx(0.75)  # a share of runs
    assert "raised" not in summary.index  # texts have no mean
    assert summarize(pd.DataFrame()).empty


# --- speedups by machine and run, efficiency --------------------------------------------


def test_speedups_pair_each_machine_and_run_with_itself() -> None:
    rows = []
    for machine, base, pool in (("fast", 1.0, 0.5), ("slow", 4.0, 1.0)):
        for rnd in (1, 2):
            rows += [
                timing("sequential", rnd, base) | {"machine": machine, "run_id": "r1"},
                timing("process_pool", rnd, pool, 2) | {"machine": machine, "run_id": "r1"},
            ]
    result = paired_speedups(pd.DataFrame(rows)).set_index(["machine", "model"])
    assert result.loc[("fast", "process_pool"), "speedup"] == pytest.approx(2.0)
    assert result.loc[("slow", "process_pool"), "speedup"] == pytest.approx(4.0)
    assert result.loc[("slow", "process_pool"), "rounds"] == 2  # not crossed with "fast"


def test_speedups_over_another_baseline_match_worker_counts() -> None:
    rows = [
        timing("threads", 1, 0.001, 1),
        timing("processes", 1, 0.010, 1),
        timing("threads", 1, 0.002, 5),
        timing("processes", 1, 0.040, 5),
    ]
    result = paired_speedups(pd.DataFrame(rows), "threads", ("workers",))
    procs = result[result["model"] == "processes"].set_index("workers")["speedup"]
    assert procs.to_dict() == {1: pytest.approx(0.1), 5: pytest.approx(0.05)}


def probe(round_: int, processes: int, cores: float, machine_cores: int = 16) -> dict:
    """A capacity probe of ``processes`` spinning at once that got ``cores`` cores."""
    return {
        "interpreter": "py", "family": "capacity", "group": "capacity:capacity[40ms]",
        "benchmark": f"capacity {processes}", "model": "spinning_processes", "workers": 2,
        "round": round_, "metric": f"cores_with_{processes}_processes", "unit": "ratio",
        "value": cores, "measure": "capacity", "cpu_count": machine_cores,
    }  # fmt: skip


def hyperthreaded_machine(withheld_round: int | None = None) -> pd.DataFrame:
    """8 physical cores, 16 logical ones: capacity flat past 8 (about 8.5 at 16), and a
    process pool that gets what the machine gives. In ``withheld_round`` the host gave
    half of that."""
    rows = []
    curve = {2: 2.0, 4: 3.95, 8: 7.8, 16: 8.5}
    for rnd in (1, 2, 3, 4):
        share = 0.5 if rnd == withheld_round else 1.0
        rows += [probe(rnd, k, c * share) for k, c in curve.items()]
        rows += [timing("sequential", rnd, 1.6), timing("threads", rnd, 1.6 * 1.3, 16)]
        rows += [timing("process_pool", rnd, 1.6 / (c * share * 0.97), k) for k, c in curve.items()]
    return pd.DataFrame(rows).assign(cpu_count=16, needs_cores=True)


def test_speedups_past_the_physical_cores_are_kept_with_efficiency_against_capacity() -> None:
    result = paired_speedups(hyperthreaded_machine())
    pool = result[result["model"] == "process_pool"].set_index("workers")
    assert pool.loc[16, "speedup"] == pytest.approx(8.5 * 0.97)  # far below the ideal 16
    assert (pool["dropped"] == 0).all() and (pool["rounds"] == 4).all()
    assert pool.loc[16, "capacity"] == pytest.approx(8.5)
    assert pool["efficiency"].to_numpy() == pytest.approx([0.97] * 4)
    threads = result[result["model"] == "threads"].set_index("workers")
    assert threads.loc[16, "efficiency"] == pytest.approx(1 / 1.3 / 8.5)


def test_a_round_in_which_the_host_withheld_half_the_cores_is_dropped() -> None:
    result = paired_speedups(hyperthreaded_machine(withheld_round=3))
    pool = result[result["model"] == "process_pool"].set_index("workers")
    assert (pool["dropped"] == 1).all() and (pool["rounds"] == 3).all()
    assert pool.loc[16, "speedup"] == pytest.approx(8.5 * 0.97)  # the others tell it
    assert pool.loc[16, "capacity"] == pytest.approx(8.5)  # what the machine gives


def test_without_probes_there_is_no_capacity_and_no_efficiency() -> None:
    frame = hyperthreaded_machine()
    result = paired_speedups(frame[frame["family"] != "capacity"])
    assert result["capacity"].isna().all() and result["efficiency"].isna().all()


# --- winners ----------------------------------------------------------------------------


def test_winners_pick_the_fastest_and_say_by_how_much() -> None:
    rows = []
    for rnd, drift in ((1, 1.0), (2, 3.0), (3, 1.5)):  # the CPU's speed drifts per round
        rows += [
            timing("sequential", rnd, 1.0 * drift),
            timing("threads", rnd, 0.9 * drift, 2),
            timing("process_pool", rnd, 0.5 * drift, 2),
        ]
    (row,) = winners(pd.DataFrame(rows)).to_dict("records")
    assert row["winner_model"] == "process_pool"
    assert row["runner_up_model"] == "threads"
    assert row["margin"] == pytest.approx(1.8)
    assert row["workers"] == 2
    assert row["candidates"] == 3
    assert row["rounds"] == 3


def test_the_loop_can_win_and_reference_points_do_not_compete() -> None:
    rows = [
        timing("sequential", 1, 1.0),
        timing("thread_pool", 1, 2.0, 2),
        timing("process_pool", 1, 8.0, 2),
        timing("memcpy", 1, 0.001, 2),
    ]
    (row,) = winners(pd.DataFrame(rows)).to_dict("records")
    assert row["winner_model"] == "sequential"
    assert row["runner_up_model"] == "thread_pool"
    assert row["margin"] == pytest.approx(2.0)
    assert row["candidates"] == 3


# --- granularity crossovers -------------------------------------------------------------

LENGTHS = (("10us", 400), ("1ms", 40_000), ("100ms", 4_000_000))


def spin(model: str, label: str, payload: int, seconds: float, chunksize: int = 1) -> dict:
    size = dict(LENGTHS)[label]
    workers = 1 if model == "sequential" else 2
    name = f"spin[{label}] {model} w={workers} payload={payload} chunksize={chunksize}"
    return timing(model, 1, seconds, workers) | {
        "benchmark": name,
        "group": f"granularity:spin[{label}] payload={payload}",
        "family": "granularity",
        "size": size,
        "size_label": label,
        "payload_bytes": payload,
        "chunksize": chunksize,
    }


def granularity_frame(pool_times: dict[int, tuple[float, float, float]]) -> pd.DataFrame:
    """Loop 1.0 s and thread pool 0.9 s at every length; the process pool as given."""
    rows = []
    for payload, times in pool_times.items():
        for (label, _), pool in zip(LENGTHS, times, strict=True):
            rows += [
                spin("sequential", label, payload, 1.0),
                spin("thread_pool", label, payload, 0.9),
                spin("process_pool", label, payload, pool),
            ]
    return pd.DataFrame(rows)


def test_crossover_is_the_length_from_which_on_the_process_pool_wins() -> None:
    frame = granularity_frame(
        {
            0: (5.0, 0.6, 0.55),  # loses at 10 us, wins from 1 ms on
            65536: (5.0, 2.0, 0.95),  # beats the loop at 100 ms, not the thread pool
            1 << 20: (0.5, 2.0, 0.5),  # a win at 10 us, then a loss: crosses at 100 ms
        }
    )
    result = crossovers(frame).set_index("payload_bytes")
    assert set(result["chunksize_setting"]) == {"1", "auto"}  # auto = 1 here
    one = result[result["chunksize_setting"] == "1"]
    assert one.loc[0, "crossover"] == "1ms"
    assert one.loc[0, "crossover_size"] == 40_000
    assert one.loc[0, "vs_sequential"] == pytest.approx(1 / 0.6)
    assert one.loc[0, "vs_thread_pool"] == pytest.approx(0.9 / 0.6)
    assert one.loc[65536, "crossover"] is None
    assert one.loc[65536, "crossover_size"] is None
    assert math.isnan(one.loc[65536, "vs_sequential"])
    assert one.loc[1 << 20, "crossover"] == "100ms"
    assert one.loc[0, "lengths"] == "10us,1ms,100ms"


def test_chunked_process_pool_gets_its_own_crossover() -> None:
    frame = granularity_frame({0: (5.0, 0.6, 0.55)})
    chunked = [spin("process_pool", "10us", 0, 0.5, 125), spin("process_pool", "1ms", 0, 0.5, 6)]
    frame = pd.concat([frame, pd.DataFrame(chunked)], ignore_index=True)
    result = crossovers(frame).set_index("chunksize_setting")
    assert result.loc["1", "crossover"] == "1ms"
    assert result.loc["auto", "crossover"] == "10us"  # at 100 ms auto was 1: the same case
    ratios = granularity_ratios(frame)
    auto = ratios[ratios["chunksize_setting"] == "auto"].set_index("size_label")
    assert auto["chunksize"].to_dict() == {"10us": 125, "1ms": 6, "100ms": 1}
    assert auto.loc["10us", "thread_pool_vs_sequential"] == pytest.approx(1 / 0.9)


def test_no_granularity_no_crossovers() -> None:
    assert crossovers(pd.DataFrame([timing("sequential", 1, 1.0)])).empty
    assert granularity_ratios(pd.DataFrame()).empty


def test_memory_per_worker_keeps_runs_apart() -> None:
    mib = 1 << 20
    rows = [
        memory("processes", w, w * per * mib) | {"machine": "m", "run_id": run}
        for run, per in (("a", 10), ("b", 20))
        for w in (1, 4)
    ]
    result = memory_per_worker(pd.DataFrame(rows)).set_index("run_id")
    assert result.loc["a", "bytes_per_worker"] == pytest.approx(10 * mib)
    assert result.loc["b", "bytes_per_worker"] == pytest.approx(20 * mib)
