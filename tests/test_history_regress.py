"""The change detector on synthetic histories: real steps flagged, noise not."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from bench.history.regress import (
    TOO_FEW,
    benjamini_hochberg,
    detect_changes,
    holm,
    t_two_sided_p,
)
from bench.report.metrics import t_quantile


def synthetic(
    seed: int,
    *,
    runs: int = 12,
    benchmarks: int = 150,
    drift: float = 0.08,
    noise: float = 0.02,
    step: dict[tuple[str, str, int], float] | None = None,
    last_drift: float | None = None,
    series: tuple[tuple[str, str], ...] = (("vm", "cpython-3.13"), ("vm", "cpython-3.14t")),
) -> pd.DataFrame:
    """Run summaries: per run a machine drift shared by its CPU-bound timings (log-normal,
    sd ``drift``), per benchmark and run an own noise (sd ``noise``); a third of the
    benchmarks wait (sleep-like) and do not drift. ``step`` multiplies the newest run's
    median of (machine, interpreter, benchmark index); ``last_drift`` sets the newest
    run's drift (log)."""
    rng = np.random.default_rng(seed)
    rows = []
    for machine, interpreter in series:
        base = np.exp(rng.uniform(-7, 0, benchmarks))
        waits = rng.random(benchmarks) < 1 / 3
        for r in range(runs):
            f = rng.normal(0, drift)
            if r == runs - 1 and last_drift is not None:
                f = last_drift
            medians = base * np.exp(np.where(waits, 0.0, f) + rng.normal(0, noise, benchmarks))
            for b in range(benchmarks):
                factor = (step or {}).get((machine, interpreter, b), 1.0) if r == runs - 1 else 1
                rows.append(
                    {
                        "machine": machine,
                        "interpreter": interpreter,
                        "run_id": f"2026-01-{r + 1:02d}T03-00-00Z-standard",
                        "date": pd.Timestamp(2026, 1, r + 1, 3),
                        "benchmark": f"bench-{b}",
                        "metric": "time",
                        "unit": "second",
                        "median": medians[b] * factor,
                    }
                )
    return pd.DataFrame(rows)


@pytest.mark.parametrize("df", [1, 2, 3, 4, 5, 9, 10, 29, 30])
def test_t_p_value_matches_the_quantile_table(df: int) -> None:
    assert t_two_sided_p(t_quantile(df), df) == pytest.approx(0.05, abs=2e-4)
    assert t_two_sided_p(0.0, df) == pytest.approx(1.0)
    assert t_two_sided_p(-t_quantile(df), df) == pytest.approx(0.05, abs=2e-4)


def test_t_p_value_known_points() -> None:
    assert t_two_sided_p(1.0, 1) == pytest.approx(0.5)  # Cauchy: P(|T|>1) = 1/2
    assert t_two_sided_p(1.0, 2) == pytest.approx(1 - 1 / math.sqrt(3))
    assert t_two_sided_p(3.0, 1000) == pytest.approx(0.0027, abs=2e-4)  # ~ normal


def test_multiple_comparison_adjustments() -> None:
    p = [0.01, 0.04, 0.03, 0.005, math.nan]
    assert holm(p)[:4].tolist() == pytest.approx([0.03, 0.06, 0.06, 0.02])
    assert math.isnan(holm(p)[4])
    assert benjamini_hochberg(p)[:4].tolist() == pytest.approx([0.02, 0.04, 0.04, 0.02])


@pytest.mark.parametrize("seed", range(5))
def test_a_twenty_percent_step_is_flagged(seed: int) -> None:
    summaries = synthetic(seed, step={("vm", "cpython-3.14t", 7): 1.2})
    changes = detect_changes(summaries)
    flagged = changes[changes["significant"]]
    assert flagged[["interpreter", "benchmark", "verdict"]].values.tolist() == [
        ["cpython-3.14t", "bench-7", "slower"]
    ]
    assert flagged["change"].iloc[0] == pytest.approx(1.2, rel=0.15)


@pytest.mark.parametrize("seed", range(5))
def test_a_twenty_percent_speedup_is_flagged_as_faster(seed: int) -> None:
    changes = detect_changes(synthetic(seed, step={("vm", "cpython-3.13", 3): 1 / 1.2}))
    assert changes[changes["significant"]]["verdict"].tolist() == ["faster"]


@pytest.mark.parametrize("seed", range(8))
@pytest.mark.parametrize(("drift", "noise"), [(0.08, 0.02), (0.0, 0.05), (0.0, 0.10)])
def test_noise_alone_is_not_flagged(seed: int, drift: float, noise: float) -> None:
    changes = detect_changes(synthetic(seed, drift=drift, noise=noise))
    assert not changes["significant"].any()
    assert changes["p_value"].notna().all()


def test_machine_drift_alone_is_not_a_change() -> None:
    # the CPU-bound timings of the whole run 30 % slower: the VM, not the code
    changes = detect_changes(synthetic(1, last_drift=math.log(1.3)))
    assert not changes["significant"].any()
    assert changes["drift"].dropna().median() == pytest.approx(1.3, rel=0.1)
    assert (changes["change"] > 1.15).mean() > 0.5  # most timings did get slower


def test_series_never_mix() -> None:
    """Two interpreters 2x apart, one of them the newest: compared only with itself."""
    one = synthetic(2, series=(("vm", "a"),), runs=6)
    other = synthetic(3, series=(("vm", "b"),), runs=5).assign(median=lambda f: f["median"] * 2)
    other_machine = synthetic(4, series=(("box", "a"),), runs=5)
    other_machine["median"] *= 3
    changes = detect_changes(pd.concat([one, other, other_machine], ignore_index=True))
    assert not changes["significant"].any()
    by_series = changes.groupby(["machine", "interpreter"])["runs"].max().to_dict()
    assert by_series == {("box", "a"): 4, ("vm", "a"): 5, ("vm", "b"): 4}


def test_too_few_runs_gives_no_verdict() -> None:
    changes = detect_changes(synthetic(0, runs=3, step={("vm", "cpython-3.13", 0): 2.0}))
    assert (changes["verdict"] == TOO_FEW).all()
    assert not changes["significant"].any()
    assert changes["p_value"].isna().all()


def test_window_limits_the_reference() -> None:
    changes = detect_changes(synthetic(0, runs=20), window=5)
    assert (changes["runs"] == 5).all()


def test_bytes_are_bigger_or_smaller() -> None:
    summaries = synthetic(5, drift=0.0, noise=0.01).assign(unit="byte", metric="pss_bytes")
    newest = (summaries["run_id"] == summaries["run_id"].max()) & (
        summaries["benchmark"] == "bench-4"
    )
    summaries.loc[newest, "median"] *= 1.2
    changes = detect_changes(summaries)
    assert changes[changes["significant"]]["verdict"].tolist() == ["bigger", "bigger"]
