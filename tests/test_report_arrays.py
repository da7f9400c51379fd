"""The NumPy claims and figure, on hand-made tidy frames whose verdicts are known."""

from __future__ import annotations

from typing import Any

import pandas as pd
import pytest
from helpers_rows import tidy_row
from test_report_claims import CLAIMS_BY_ID

from bench.families.numpy.figures import make_numpy, numpy_speedups
from bench.report.claims import DOES_NOT_HOLD, HOLDS, INCONCLUSIVE, NO_DATA

#: The NumPy family's rows: CPython 3.13 on Linux.
NUMPY = {"interpreter": "cpython-3.13", "family": "numpy", "python_version": "3.13.0",
         "platform": "Linux"}  # fmt: skip
#: Per-round factors: the machine drifts (cancelled by pairing) and is a little noisy.
DRIFT = (1.0, 1.4, 1.2, 0.9, 1.1)
NOISE = (1.0, 1.03, 0.97, 1.02, 0.98)


def case(workload: str, model: str, seconds: float, **fields: Any) -> list[dict[str, Any]]:
    """One case's time per round (5 rounds)."""
    out = NUMPY | {
        "workload": workload, "group": f"numpy:{workload}[s]", "size_label": "s",
        "model": model, "workers": 1 if model == "sequential" else 2,
        "start_method": "fork" if model == "process_pool" else "n/a",
    } | fields  # fmt: skip
    out["benchmark"] = f"{workload} {model} w={out['workers']} {out.get('variant', 'none')}"
    return [
        tidy_row(**out, round=r, value=seconds * d * n)
        for r, (d, n) in enumerate(zip(DRIFT, NOISE, strict=True), start=1)
    ]


def numpy_frame(threads: float, pickled: float, shared: float) -> pd.DataFrame:
    """Every NumPy workload with the loop at 1 s and the other models at the given times
    (the Python loop's threads never gain: it holds the GIL)."""
    rows: list[dict[str, Any]] = []
    for workload in ("numpy_matmul", "numpy_ufuncs", "numpy_sort", "numpy_python_loop"):
        gil_bound = workload == "numpy_python_loop"
        rows += case(workload, "sequential", 1.0)
        rows += case(workload, "threads", 1.0 if gil_bound else threads)
        rows += case(workload, "thread_pool", 1.0 if gil_bound else threads)
        rows += case(workload, "process_pool", pickled)
        rows += case(workload, "process_pool", shared, variant="shared_memory")
    return pd.DataFrame(rows)


def verdict(claim_id: str, frame: pd.DataFrame) -> str:
    return CLAIMS_BY_ID[claim_id].rule(frame).verdict


@pytest.mark.parametrize(
    ("threads", "expected"), [(0.55, HOLDS), (1.0, DOES_NOT_HOLD), (0.75, INCONCLUSIVE)]
)
def test_threads_speed_up_numpy_by_the_interval(threads: float, expected: str) -> None:
    frame = numpy_frame(threads=threads, pickled=1.5, shared=0.6)
    assert verdict("numpy_threads_speed_up", frame) == expected


def test_threads_on_numpy_show_the_python_loop_without_judging_it() -> None:
    found = CLAIMS_BY_ID["numpy_threads_speed_up"].rule(numpy_frame(0.55, 1.5, 0.6))
    assert "python_loop" in found.evidence and "contrast" in found.evidence
    assert found.figures["speedup"]["python_loop"]["value"] == pytest.approx(1.0)
    assert found.figures["speedup"]["ufuncs"]["value"] == pytest.approx(1 / 0.55)


@pytest.mark.parametrize(
    ("pickled", "shared", "expected"),
    [
        (1.5, 0.6, HOLDS),  # threads 2.7x the pickling pool, shared memory 2.5x it
        (0.5, 0.6, DOES_NOT_HOLD),  # the pickling pool beats the thread pool and shm
        (1.5, 1.5, INCONCLUSIVE),  # threads win; shared memory wins nothing back, not clearly
    ],
)
def test_processes_lose_on_large_arrays_because_of_the_copy(
    pickled: float, shared: float, expected: str
) -> None:
    frame = numpy_frame(threads=0.55, pickled=pickled, shared=shared)
    assert verdict("numpy_processes_copy_arrays", frame) == expected


def test_the_copy_claim_judges_the_large_arrays_and_shows_the_product() -> None:
    found = CLAIMS_BY_ID["numpy_processes_copy_arrays"].rule(numpy_frame(0.55, 1.5, 0.6))
    assert set(found.figures["workloads"]) == {"ufuncs", "sort", "matmul"}
    assert "matmul" in found.evidence and "(shown, not judged)" in found.evidence
    ufuncs = found.figures["workloads"]["ufuncs"]
    assert ufuncs["thread_pool_over_pickled"]["value"] == pytest.approx(1.5 / 0.55)
    assert ufuncs["shared_over_pickled"]["value"] == pytest.approx(1.5 / 0.6)


def test_no_numpy_results_is_no_data() -> None:
    other = pd.DataFrame(case("count_primes", "sequential", 1.0, family="cpu_python"))
    for claim_id in ("numpy_threads_speed_up", "numpy_processes_copy_arrays"):
        assert verdict(claim_id, other) == NO_DATA
    assert make_numpy(other) is None


def test_the_figure_draws_every_model_and_variant() -> None:
    frame = numpy_frame(threads=0.55, pickled=1.5, shared=0.6)
    speed = numpy_speedups(frame)
    assert len(speed) == 4 * 4  # workloads x (threads, thread pool, pickled, shared)
    made = make_numpy(frame)
    assert made is not None
    _, alt = made
    assert "pickled" in alt and "shared memory" in alt
    assert "ufuncs 1.8\N{MULTIPLICATION SIGN}" in alt


def test_a_round_the_host_gave_one_core_is_dropped_from_the_numpy_verdicts() -> None:
    """Round 2: the threads ran no faster than the loop because the host gave one core;
    the capacity probe says so, and the round is dropped, as for the other CPU claims."""
    frame = numpy_frame(threads=0.55, pickled=1.5, shared=0.6)
    starved = (frame["round"] == 2) & frame["model"].isin(["threads", "thread_pool"])
    frame.loc[starved, ["value", "time_s"]] *= 1 / 0.55
    probes = pd.DataFrame(
        [
            tidy_row(**(NUMPY | {
                "family": "capacity", "workload": "capacity", "group": "capacity",
                "measure": "capacity", "model": "spinning_processes", "workers": 2,
                "start_method": "n/a", "variant": "round start", "size_label": "40ms",
                "metric": "cores", "unit": "ratio", "benchmark": "capacity cores",
                "round": r, "value": cores,
            }))
            for r, cores in enumerate((1.95, 1.0, 1.9, 1.92, 1.97), start=1)
        ]
    )  # fmt: skip
    found = CLAIMS_BY_ID["numpy_threads_speed_up"].rule(pd.concat([frame, probes]))
    assert found.verdict == HOLDS, found.evidence
    assert {found.figures["speedup"][w]["n"] for w in ("matmul", "ufuncs", "sort")} == {4}
    # the figure drops the same round: one estimator, one number
    drawn = numpy_speedups(pd.concat([frame, probes]))
    bar = drawn[(drawn["workload"] == "numpy_ufuncs") & (drawn["model"] == "thread_pool")]
    assert float(bar["speedup"].iloc[0]) == pytest.approx(
        found.figures["speedup"]["ufuncs"]["value"], rel=1e-3
    )
    assert int(bar["rounds"].iloc[0]) == 4
