"""The change detector on synthetic histories: real steps flagged, noise not."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from bench.history.regress import (
    TOO_FEW,
    benjamini_hochberg,
    detect_changes,
    holm,
    prior_variance,
    t_two_sided_p,
)
from bench.report.estimate import t_quantile

EULER_GAMMA = 0.5772156649015329
#: Benjamini and Hochberg (1995), section 4: 15 p-values of one study; at q = 0.05 the
#: procedure rejects the four smallest.
BH_1995 = [
    0.0001, 0.0004, 0.0019, 0.0095, 0.0201, 0.0278, 0.0298, 0.0344,
    0.0459, 0.3240, 0.4262, 0.5719, 0.6528, 0.7590, 1.0000,
]  # fmt: skip


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


@pytest.mark.parametrize("df", [1, 2, 3, 4, 5, 9, 10, 29, 30, 7.5, 1000])
def test_t_p_value_is_the_library_s_and_inverts_the_quantile(df: float) -> None:
    assert t_two_sided_p(2.5, df) == pytest.approx(2 * stats.t.sf(2.5, df), rel=1e-12)
    if df == int(df):
        assert t_two_sided_p(t_quantile(int(df)), df) == pytest.approx(0.05, rel=1e-9)
        assert t_two_sided_p(-t_quantile(int(df)), df) == pytest.approx(0.05, rel=1e-9)
    assert t_two_sided_p(0.0, df) == pytest.approx(1.0)


def test_t_p_value_known_points() -> None:
    assert t_two_sided_p(2.228138851986274, 10) == pytest.approx(0.05, rel=1e-9)
    assert t_two_sided_p(1.0, 1) == pytest.approx(0.5)  # Cauchy: P(|T|>1) = 1/2
    assert t_two_sided_p(1.0, 2) == pytest.approx(1 - 1 / math.sqrt(3))
    assert t_two_sided_p(1.959963984540054, math.inf) == pytest.approx(0.05)  # the normal
    assert t_two_sided_p(3.0, 1000) == pytest.approx(0.0027, abs=2e-4)  # ~ normal
    assert t_two_sided_p(math.inf, 5) == 0.0
    assert math.isnan(t_two_sided_p(math.nan, 5))
    with pytest.raises(ValueError, match="degrees of freedom"):
        t_two_sided_p(1.0, 0)


def test_multiple_comparison_adjustments() -> None:
    p = [0.01, 0.04, 0.03, 0.005, math.nan]
    assert holm(p)[:4].tolist() == pytest.approx([0.03, 0.06, 0.06, 0.02])
    assert math.isnan(holm(p)[4])
    assert benjamini_hochberg(p)[:4].tolist() == pytest.approx([0.02, 0.04, 0.04, 0.02])
    assert math.isnan(benjamini_hochberg(p)[4])
    assert holm([]).size == benjamini_hochberg([]).size == 0


def test_benjamini_hochberg_on_the_published_example() -> None:
    adjusted = benjamini_hochberg([*reversed(BH_1995), math.nan])[::-1][1:]  # order kept
    # by hand: p_(i) m / i, then the running minimum from the largest p down
    assert adjusted.tolist() == pytest.approx([
        0.0015, 0.003, 0.0095, 0.035625, 0.0603, 0.0298 * 15 / 7, 0.0298 * 15 / 7,
        0.0645, 0.0765, 0.486, 0.4262 * 15 / 11, 0.714875, 0.6528 * 15 / 13,
        0.7590 * 15 / 14, 1.0,
    ])  # fmt: skip
    assert (adjusted <= 0.05).sum() == 4  # the paper's four discoveries
    assert adjusted == pytest.approx(stats.false_discovery_control(BH_1995, method="bh"))


def test_holm_on_the_published_example() -> None:
    adjusted = holm(BH_1995)
    # by hand: (m - i + 1) p_(i), then the running maximum; three below 0.05
    assert adjusted[:9].tolist() == pytest.approx(
        [0.0015, 0.0056, 0.0247, 0.114, 0.2211, 0.278, 0.278, 0.278, 0.3213]
    )
    assert (adjusted[9:] == 1.0).all()
    assert (adjusted <= 0.05).sum() == 3


def test_prior_variance_known_points() -> None:
    # equal variances: no spread beyond sampling, so d0 is infinite and s0^2 is the
    # variance corrected by E[log chi2_d / d] = digamma(d/2) - log(d/2):
    # for d = 2, -gamma; for d = 1, -gamma - log 2
    assert prior_variance([0.5] * 6, [2] * 6) == (
        pytest.approx(0.5 * math.exp(EULER_GAMMA)),
        math.inf,
    )
    assert prior_variance([0.5] * 6, [1] * 6) == (
        pytest.approx(0.5 * 2 * math.exp(EULER_GAMMA)),
        math.inf,
    )
    # log variances whose sample variance is pi^2/3 at d = 2: the excess over
    # trigamma(1) = pi^2/6 is pi^2/6, whose inverse trigamma is 1, so d0 = 2
    a = math.sqrt(8 * math.pi**2 / 15)
    variances = [math.exp(x) for x in (-a, -a / 2, 0.0, a / 2, a)]
    s0, d0 = prior_variance(variances, [2] * 5)
    assert d0 == pytest.approx(2.0, rel=1e-9)
    assert s0 == pytest.approx(1.0, rel=1e-9)
    assert prior_variance([1.0] * 4, [2] * 4) == (pytest.approx(math.nan, nan_ok=True), 0.0)


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


def test_a_changed_definition_starts_a_new_series() -> None:
    # Same benchmark name, new definition in the newest run: its old runs are no reference,
    # so the 50 % jump is not reported as a change of the old benchmark.
    summaries = synthetic(0, step={("vm", "cpython-3.13", 3): 1.5}).assign(definition_hash="a")
    newest = summaries["run_id"] == summaries["run_id"].max()
    changed = (
        newest
        & (summaries["benchmark"] == "bench-3")
        & (summaries["interpreter"] == "cpython-3.13")
    )
    summaries.loc[changed, "definition_hash"] = "b"
    changes = detect_changes(summaries).set_index(["interpreter", "benchmark"])
    assert changes.loc[("cpython-3.13", "bench-3"), "verdict"] == "too few runs"
    assert not changes["significant"].any()
