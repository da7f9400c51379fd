"""Metrics on hand-made frames: paired speedups, memory per worker, IPC throughput."""

from __future__ import annotations

import pandas as pd
import pytest

from bench.report.metrics import ipc_throughput, memory_per_worker, paired_speedups


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
    result = paired_speedups(frame).set_index("model")
    assert result.loc["process_pool", "speedup"] == pytest.approx(2.0)
    assert result.loc["process_pool", "low"] == pytest.approx(2.0)
    assert result.loc["process_pool", "high"] == pytest.approx(2.5)
    assert result.loc["process_pool", "rounds"] == 3
    assert result.loc["sequential", "speedup"] == pytest.approx(1.0)


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
