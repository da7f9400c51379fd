"""Every claim's rule on hand-made frames: one where it holds, one where it does not,
and no data when its measurement is missing; then ``evaluate`` over interpreters."""

from __future__ import annotations

import json
import math
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from helpers_rows import DEFAULTS, tidy_frame, tidy_row

from bench.evidence.pipeline import all_verdicts, with_family_traits
from bench.evidence.tables import speedup_table
from bench.families import catalogue
from bench.families.ipc.claims import IPC_SLOWER, ipc_slower
from bench.families.memory.claims import MEMORY_SAME_BYTES
from bench.families.memory.figures import make_memory
from bench.families.memory.metrics import memory_per_worker
from bench.families.startup.figures import make_startup
from bench.report import claims
from bench.report.claims import (
    COLUMNS,
    DEPENDS,
    DOES_NOT_HOLD,
    HOLDS,
    INCONCLUSIVE,
    NO_DATA,
    NO_GAIN,
    VERDICTS,
    Verdict,
    chosen_start_method,
    claim,
    default_start_method,
    registered,
)
from bench.report.estimate import Estimate
from bench.report.format import (
    DASH,
    TIMES,
    format_bytes,
    format_estimate,
    format_interval,
    format_ratio,
    format_threshold,
)
from bench.report.metrics import paired_speedups
from bench.results.read import load_run

KIB, MIB = 1 << 10, 1 << 20
FIXTURE = Path(__file__).parent / "fixtures" / "results"
BASELINE = Path(__file__).parent.parent / "results" / "baseline"
#: The verdicts of the committed baseline, so that a refactor that changes one fails.
#: A new baseline makes new verdicts: regenerate this file from its claims.csv.
BASELINE_VERDICTS = Path(__file__).parent / "fixtures" / "baseline-verdicts.csv"

#: Every claim of every folder, as the report judges them.
CLAIMS = catalogue.claims()
CLAIMS_BY_ID = {each.id: each for each in CLAIMS}


def evaluate(frame: pd.DataFrame) -> pd.DataFrame:
    """Every claim on ``frame``, as the evidence pipeline judges it."""
    return all_verdicts(with_family_traits(frame), [])


row = tidy_row


#: Per-round factors on a candidate's time: a spread wide enough that 3 rounds give an
#: interval of about 0.55 to 1.8 times the value (the t quantile with 2 degrees is 4.3).
NOISE = (0.75, 1.0, 1.333)


def timings(
    seconds: float, rounds: int = 3, noise: tuple[float, ...] = (), **fields: Any
) -> list[dict[str, Any]]:
    """One case's time in each round; the CPU gets slower every round (drift), which
    pairing within rounds cancels. ``noise`` multiplies the time of each round."""
    factors = noise or (1.0,)
    return [
        row(round=r, value=seconds * (1 + 0.5 * r) * factors[(r - 1) % len(factors)], **fields)
        for r in range(1, rounds + 1)
    ]


def capacity(cores: list[float], **fields: Any) -> list[dict[str, Any]]:
    """Capacity probes (``bench.capacity``): the cores given in each round."""
    probe = {"family": "capacity", "workload": "capacity", "measure": "capacity"} | fields
    return [
        row(round=r, metric="cores", unit="ratio", value=c, **probe)
        for r, c in enumerate(cores, start=1)
    ]


def first_round(data: pd.DataFrame) -> pd.DataFrame:
    """Only the first round: one ratio per case, too little data for an interval."""
    return data[data["round"] == 1]


def outcomes(metric: str, unit: str, values: list[Any], **fields: Any) -> list[dict[str, Any]]:
    return [row(metric=metric, unit=unit, value=v, **fields) for v in values]


frame = tidy_frame


def rule(claim_id: str) -> Callable[[pd.DataFrame], Verdict]:
    return CLAIMS_BY_ID[claim_id].rule


# --- the GIL: pure-Python CPU scaling --------------------------------------------------------


def cpu(
    pool: float,
    threads: float,
    cores: int = 2,
    label: str = "100ms",
    size: int = 90_000,
    noise: tuple[float, ...] = (),
    **kw: Any,
) -> list[dict[str, Any]]:
    """Times of the loop (1 s), a 2-worker process pool (fork, and a luckier spawn) and
    2 threads on a CPU task; ``noise`` on the pool's and the threads' times."""
    case = {
        "family": "cpu_python",
        "workload": "count_primes",
        "group": f"cpu_python:count_primes[{label}]",
        "size_label": label,
        "size": size,
        "cpu_count": cores,
    } | kw
    return (
        timings(1.0, **case)
        + timings(pool, noise=noise, model="process_pool", start_method="fork", workers=2, **case)
        + timings(pool * 0.8, model="process_pool", start_method="spawn", workers=2, **case)
        + timings(threads, noise=noise, model="threads", workers=2, timed="lifecycle", **case)
        + timings(threads * 1.02, noise=noise, model="thread_pool", workers=2, **case)
    )


def test_processes_sidestep_the_gil_when_the_pool_nearly_doubles_the_loop() -> None:
    verdict = rule("processes_sidestep_gil")(frame(cpu(pool=0.52, threads=1.0)))
    assert verdict.verdict == HOLDS
    assert verdict.figures["speedup"] == pytest.approx(1 / 0.52)
    # the platform's default start method, not the luckier spawn pool (1 / 0.416 = 2.4x)
    assert verdict.figures["config"] == "process pool/fork"  # the registry's label
    assert verdict.figures["ideal"] == 2
    assert verdict.figures["rounds"] == 3
    assert f"1.9{TIMES} (1.9{DASH}1.9{TIMES}, n=3)" in verdict.evidence


def test_processes_that_gain_nothing_do_not_sidestep_it() -> None:
    assert rule("processes_sidestep_gil")(frame(cpu(0.95, 1.0))).verdict == DOES_NOT_HOLD
    between = rule("processes_sidestep_gil")(frame(cpu(0.75, 1.0)))  # 1.33x
    assert between.verdict == INCONCLUSIVE
    assert f"lies between 1.2{TIMES} and 1.5{TIMES}" in between.evidence
    one_core = rule("processes_sidestep_gil")(frame(cpu(0.52, 1.0, cores=1)))
    assert one_core.verdict == DEPENDS
    assert "one core" in one_core.evidence


def test_the_process_verdict_depends_when_its_interval_straddles_the_threshold() -> None:
    verdict = rule("processes_sidestep_gil")(frame(cpu(0.55, 1.0, noise=NOISE)))
    assert verdict.verdict == INCONCLUSIVE
    low, high = verdict.figures["interval"]
    assert low < 1.5 <= high  # 1.8x at its centre: enough for a point, not for the interval
    assert f"straddles the 1.5{TIMES} threshold" in verdict.evidence


def test_one_round_is_too_little_data_for_any_cpu_verdict() -> None:
    for claim_id in ("processes_sidestep_gil", "gil_limits_threads"):
        verdict = rule(claim_id)(first_round(frame(cpu(0.52, 1.05))))
        assert verdict.verdict == INCONCLUSIVE
        assert "only 1 round kept: too little data" in verdict.evidence


def test_rounds_without_capacity_are_dropped_and_too_few_left_is_said() -> None:
    starved = frame(cpu(0.52, 1.05), capacity([1.0, 1.1, 2.0]))
    verdict = rule("processes_sidestep_gil")(starved)
    assert verdict.verdict == INCONCLUSIVE
    assert "too little capacity" in verdict.evidence
    assert "1 of 3 rounds kept (2 below the capacity threshold)" in verdict.evidence
    assert verdict.figures["dropped_low_capacity"] == 2


def test_a_low_capacity_round_would_flip_the_verdict_and_does_not() -> None:
    # the host withheld a core in round 3: the pool ran no faster than the loop there
    withheld = (1.0, 1.0, 1 / 0.52)
    data = frame(cpu(0.52, 1.05, noise=withheld))
    assert rule("processes_sidestep_gil")(data).verdict == INCONCLUSIVE  # 1.9, 1.9, 1.0
    probed = frame(cpu(0.52, 1.05, noise=withheld), capacity([2.0, 1.97, 1.05]))
    verdict = rule("processes_sidestep_gil")(probed)
    assert verdict.verdict == HOLDS
    assert verdict.figures["rounds"] == 2
    assert "2 of 3 rounds kept (1 below the capacity threshold)" in verdict.evidence


# --- inconclusive and depends ----------------------------------------------------------------


def test_an_interval_across_a_threshold_is_inconclusive_not_depends() -> None:
    """Issue 23: "depends" where the interval straddles the threshold reads
    "inconclusive"; "depends" is kept for cases decided different ways."""
    holds, fails = claims.Bound(1.5, above=True), claims.Bound(1.2, above=False)
    across = claims.judge_estimate(Estimate(1.8, 1.3, 2.4, 3), holds=holds, fails=fails)
    between = claims.judge_estimate(Estimate(1.3, 1.25, 1.4, 3), holds=holds, fails=fails)
    thin = claims.judge_estimate(Estimate(1.8, math.nan, math.nan, 1), holds=holds, fails=fails)
    assert {across.verdict, between.verdict, thin.verdict} == {INCONCLUSIVE}
    assert f"straddles the 1.5{TIMES} threshold" in across.reason
    assert "clear of neither" in between.reason
    decided = claims.judge_estimate(Estimate(1.9, 1.7, 2.1, 3), holds=holds, fails=fails)
    refuted = claims.judge_estimate(Estimate(1.0, 0.9, 1.1, 3), holds=holds, fails=fails)
    line, figures = "the line", {}
    mixed = claims.verdict_of_judgements(
        {"1ms": decided, "100ms": refuted, "10ms": across}, line, figures, across="the task"
    )
    assert mixed.verdict == DEPENDS
    assert mixed.evidence.startswith("the line; depends on the task: holds at 1ms; does not")
    assert "10ms: the interval" in mixed.evidence
    partly = claims.verdict_of_judgements({"1ms": decided, "10ms": across}, line, figures)
    assert partly.verdict == INCONCLUSIVE
    assert partly.evidence.startswith("the line; inconclusive: holds at 1ms; 10ms: the interval")
    assert partly.figures["inconclusive_because"].startswith("holds at 1ms")
    alone = claims.verdict_of_judgements({"only": across}, line, figures)
    assert alone.verdict == INCONCLUSIVE
    assert alone.evidence == f"the line; inconclusive: {across.reason}"
    assert INCONCLUSIVE in VERDICTS


def test_the_default_start_method_is_fixed_before_the_timings() -> None:
    linux_313 = pd.DataFrame([row(python_version="3.13.0 (64-bit)", value=1.0)])
    linux_314 = pd.DataFrame([row(python_version="3.14.0 (64-bit)", value=1.0)])
    mac_314 = linux_314.assign(platform="macOS-15.0-arm64")
    assert default_start_method(linux_313) == "fork"
    assert default_start_method(linux_314) == "forkserver"
    assert default_start_method(mac_314) == "spawn"
    assert chosen_start_method(linux_314, ["fork", "spawn"]) == "fork"  # fallback order
    assert chosen_start_method(mac_314, ["fork", "spawn"]) == "spawn"
    assert chosen_start_method(linux_313, []) is None


def test_the_gil_claims_rest_on_the_100ms_task_when_there_is_one() -> None:
    data = frame(cpu(0.52, 1.0), cpu(0.95, 0.5, label="1ms", size=3000))
    verdict = rule("processes_sidestep_gil")(data)
    assert (verdict.verdict, verdict.figures["task"]) == (HOLDS, "100ms")
    only_short = rule("processes_sidestep_gil")(frame(cpu(0.95, 0.5, label="1ms", size=3000)))
    assert (only_short.verdict, only_short.figures["task"]) == (DOES_NOT_HOLD, "1ms")


def test_the_gil_limits_threads_that_run_no_faster_than_the_loop() -> None:
    verdict = rule("gil_limits_threads")(frame(cpu(0.52, threads=1.05)))
    assert verdict.verdict == HOLDS
    assert verdict.figures["config"] == "thread pool"  # fixed: the pool, not the better one
    assert verdict.figures["speedup"] == pytest.approx(1 / (1.05 * 1.02))
    assert verdict.figures["gil"] == "enabled"


def test_on_a_free_threaded_build_threads_scale_and_the_gil_claim_does_not_hold() -> None:
    data = frame(cpu(0.52, threads=0.51, python_build="free-threading", gil_enabled="disabled"))
    verdict = rule("gil_limits_threads")(data)
    assert verdict.verdict == DOES_NOT_HOLD
    assert verdict.figures["gil"] == "disabled"
    assert "GIL disabled" in verdict.evidence
    between = rule("gil_limits_threads")(frame(cpu(0.52, threads=0.7)))
    assert between.verdict == INCONCLUSIVE
    assert "lies between" in between.evidence
    noisy = rule("gil_limits_threads")(frame(cpu(0.52, threads=0.9, noise=NOISE)))
    assert noisy.verdict == INCONCLUSIVE
    assert f"straddles the 1.2{TIMES} threshold" in noisy.evidence


# --- fault isolation -------------------------------------------------------------------------


def faults(processes_finished: int = 7, threads_survive: bool = False) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = []
    common = {"family": "fault", "measure": "fault", "group": "fault:fault[8 tasks]", "workers": 2}
    for variant in ("os_exit", "segfault"):
        case = common | {"variant": variant}
        procs = case | {"model": "processes", "start_method": "fork"}
        pool = case | {"model": "process_pool", "start_method": "fork"}
        threads = case | {"model": "threads"}
        rows += outcomes("tasks_finished", "count", [processes_finished] * 2, **procs)
        rows += outcomes("recovered", "flag", [True, True], **procs)
        rows += outcomes("tasks_finished", "count", [3, 3], **pool)
        rows += outcomes("raised", "text", ["BrokenProcessPool"] * 2, **pool)
        rows += outcomes("recovered", "flag", [True, True], **pool)
        rows += outcomes("tasks_finished", "count", [3, 3], **threads)
        rows += outcomes("program_survived", "flag", [threads_survive] * 2, **threads)
    leak = common | {"variant": "leak"}
    rows += outcomes("parent_rss_growth_bytes", "byte", [128 * MIB], model="threads", **leak)
    rows += outcomes(
        "parent_rss_growth_bytes", "byte", [4096], model="processes", start_method="fork", **leak
    )
    return rows


def test_processes_isolate_a_crash_that_kills_a_threaded_program() -> None:
    verdict = rule("processes_isolate_faults")(frame(faults()))
    assert verdict.verdict == HOLDS
    assert verdict.figures["processes_tasks_finished"] == 7
    assert verdict.figures["process_pool_tasks_finished"] == 3
    assert verdict.figures["threads_program_survived"] is False
    assert verdict.figures["leak_parent_rss_growth_bytes"]["threads"] == 128 * MIB
    assert "128 MiB with threads (n=1), 4.00 KiB with processes (n=1)" in verdict.evidence


def test_processes_that_lose_other_tasks_do_not_isolate() -> None:
    verdict = rule("processes_isolate_faults")(frame(faults(processes_finished=3)))
    assert verdict.verdict == DOES_NOT_HOLD
    harmless = rule("processes_isolate_faults")(frame(faults(threads_survive=True)))
    assert harmless.verdict == INCONCLUSIVE  # no contrast with threads


# --- memory ----------------------------------------------------------------------------------


def memory(
    thread: float, fork: float, spawn: float, jitter: float = 4 * KIB, counts: Any = (1, 2, 4, 8)
) -> list[dict[str, Any]]:
    """Totals of the process tree (PSS) with 1 to 8 idle workers, two repetitions each
    (``jitter`` apart), so that the cost per worker is a fitted slope with an interval."""
    rows: list[dict[str, Any]] = []
    common = {"family": "memory", "measure": "memory", "timed": "lifecycle"}
    for model, method, cost in (
        ("threads", "n/a", thread),
        ("processes", "fork", fork),
        ("processes", "spawn", spawn),
    ):
        for workers in counts:
            case = common | {"model": model, "start_method": method, "workers": workers}
            total = 30 * MIB + cost * workers
            rows += outcomes("pss_bytes", "byte", [total - jitter, total + jitter], **case)
            # the per-worker figure of the largest count is another estimate: never used
            rows += outcomes("extra_pss_per_worker_bytes", "byte", [cost * 3], **case)
            working = case | {"variant": "working_set"}
            extra = 50 * MIB if method == "spawn" else 0  # threads and fork share it
            rows += outcomes("pss_bytes", "byte", [total + extra * workers], **working)
    return rows


def test_processes_cost_more_memory_when_each_carries_megabytes() -> None:
    verdict = rule("processes_cost_memory")(frame(memory(16 * KIB, 2 * MIB, 10 * MIB)))
    assert verdict.verdict == HOLDS
    assert verdict.figures["kind"] == "pss"
    assert verdict.figures["per_thread_bytes"] == pytest.approx(16 * KIB)
    assert verdict.figures["per_process_bytes"] == pytest.approx(
        {"processes/fork": 2 * MIB, "processes/spawn": 10 * MIB}
    )
    assert verdict.figures["cheapest_process"] == "processes/fork"
    assert verdict.figures["working_set_per_worker_bytes"]["processes/spawn"] > 50 * MIB


def small_objects(per_worker: float, variant: str = "small_objects") -> list[dict[str, Any]]:
    """Totals of forked workers that each read small objects (the copy-on-write measure):
    ``per_worker`` more per worker, 1, 4 and 16 workers, a few KiB of noise."""
    case = {"family": "copy_on_write", "measure": "copy_on_write", "timed": "lifecycle"}
    case |= {"model": "processes", "start_method": "fork", "variant": variant}
    return [
        row(metric="pss_bytes", unit="byte", value=80 * MIB + per_worker * w + noise, workers=w,
            **case)
        for w, noise in ((1, 0), (4, 3 * KIB), (16, -2 * KIB))
    ]  # fmt: skip


def test_processes_as_cheap_as_threads_do_not_cost_more() -> None:
    same = rule("processes_cost_memory")(frame(memory(16 * KIB, 20 * KIB, 24 * KIB)))
    assert same.verdict == DOES_NOT_HOLD
    some = rule("processes_cost_memory")(frame(memory(16 * KIB, 600 * KIB, 10 * MIB)))
    assert some.verdict == INCONCLUSIVE
    assert "lies between 256 KiB and 1.00 MiB, clear of neither" in some.evidence
    # a gap of about 1 MiB measured 256 KiB apart: the interval straddles the threshold
    noisy = memory(16 * KIB, 1040 * KIB, 10 * MIB, jitter=256 * KIB)
    straddles = rule("processes_cost_memory")(frame(noisy))
    assert straddles.verdict == INCONCLUSIVE
    low, high = straddles.figures["gap_interval_bytes"]
    assert low < MIB <= high


def test_memory_is_judged_with_a_working_set_as_well_as_idle() -> None:
    """Issue 23: idle forked workers only, 1.04 MiB against a 1.00 MiB threshold, while
    forked workers that read small objects cost 49-69 MiB each."""
    idle = memory(60 * KIB, 1100 * KIB, 14 * MIB, jitter=96 * KIB)
    data = frame(idle, small_objects(69 * MIB), small_objects(62 * MIB, "small_objects_frozen"))
    verdict = rule("processes_cost_memory")(data)
    assert verdict.verdict == INCONCLUSIVE  # the old rule judged idle workers alone
    assert "holds at one bytes object, small objects, small objects after gc.freeze()" in (
        verdict.evidence
    )
    assert "idle: a gap of" in verdict.evidence
    assert f"straddles the {format_bytes(MIB)} threshold" in verdict.evidence
    cases = verdict.figures["cases"]
    assert cases["small objects"]["process"]["value"] == pytest.approx(69 * MIB, rel=1e-3)
    assert cases["small objects"]["thread"]["value"] == pytest.approx(60 * KIB, rel=1e-3)
    # how close each verdict sits: the gap's low end against the threshold
    assert f"its low end 69{TIMES} the threshold" in verdict.evidence


def test_memory_depends_on_what_the_workers_hold_when_idle_forks_cost_nothing() -> None:
    cheap_idle = memory(16 * KIB, 40 * KIB, 10 * MIB)
    cheap_idle = [r for r in cheap_idle if r["variant"] != "working_set"]
    verdict = rule("processes_cost_memory")(frame(cheap_idle, small_objects(49 * MIB)))
    assert verdict.verdict == DEPENDS
    assert "depends on what the workers hold: holds at small objects; does not hold at idle" in (
        verdict.evidence
    )


def test_an_interval_of_a_memory_total_per_worker_never_goes_below_zero() -> None:
    """A slope through three totals has one degree of freedom (t = 12.7): one disturbed
    total put "77.6 MiB (-137 MiB-292 MiB)" on a page. PSS cannot fall as a worker joins."""
    disturbed = [
        row(metric=metric, unit="byte", value=value, workers=w, family="memory",
            measure="memory", model="processes", start_method="spawn", variant="working_set")
        for metric in ("pss_bytes", "uss_bytes")
        for w, value in ((1, 355 * MIB), (4, 850 * MIB), (16, 1607 * MIB))
    ]  # fmt: skip
    fits = memory_per_worker(frame(disturbed)).set_index("metric")
    assert fits.loc["pss_bytes", "bytes_low"] == 0
    assert fits.loc["pss_bytes", "bytes_high"] > fits.loc["pss_bytes", "bytes_per_worker"]
    assert fits.loc["uss_bytes", "bytes_low"] < 0  # USS may fall: fork shares the parent's pages


def test_two_memory_values_are_too_little_data() -> None:
    few = [r for r in memory(16 * KIB, 2 * MIB, 10 * MIB, counts=(1, 4)) if r["value"] != 0]
    verdict = rule("processes_cost_memory")(frame([r for r in few if r["variant"] == "none"][::2]))
    assert verdict.verdict == INCONCLUSIVE
    assert "too little data" in verdict.evidence


# --- communication ---------------------------------------------------------------------------


def ipc(
    pipe: dict[str, float], queue: float = 50e-6, noise: tuple[float, ...] = ()
) -> list[dict[str, Any]]:
    """Round trips: queue.Queue ``queue`` s, mp.Queue twice the Pipe's, per payload label."""
    rows: list[dict[str, Any]] = []
    for label, size in (("64B", 64), ("1MiB", MIB)):
        case = {"family": "ipc", "measure": "ipc", "group": f"ipc:echo[{label}]"}
        case |= {"size": size, "size_label": label}
        rows += timings(queue, model="queue.Queue", **case)
        rows += timings(pipe[label], noise=noise, model="mp.Pipe", start_method="fork", **case)
        rows += timings(2 * pipe[label], model="mp.Queue", start_method="fork", **case)
        rows += timings(queue / 2, model="shared_memory", start_method="fork", **case)
        rows += timings(queue / 100, model="memcpy", **case)
    return rows


def test_ipc_is_slower_when_every_payload_takes_longer_between_processes() -> None:
    verdict = rule("ipc_slower")(frame(ipc({"64B": 100e-6, "1MiB": 2e-3})))
    assert verdict.verdict == HOLDS
    ratios = verdict.figures["slowdown_vs_queue.Queue"]
    assert ratios["64 B"]["mp.Pipe/fork"] == pytest.approx(2.0)
    assert ratios["1.00 MiB"]["mp.Queue/fork"] == pytest.approx(80.0)
    assert ratios["64 B"]["shared_memory/fork"] == pytest.approx(0.5)
    assert verdict.figures["fastest_channel"]["1.00 MiB"]["channel"] == "mp.Pipe/fork"


def test_ipc_as_fast_as_threads_is_not_slower() -> None:
    same = rule("ipc_slower")(frame(ipc({"64B": 50e-6, "1MiB": 52e-6})))
    assert same.verdict == DOES_NOT_HOLD
    mixed = rule("ipc_slower")(frame(ipc({"64B": 55e-6, "1MiB": 2e-3})))
    assert mixed.verdict == DEPENDS  # small payloads as fast, large ones slower
    assert "holds at 1.00 MiB; does not hold at 64 B" in mixed.evidence
    assert "In words:" in mixed.evidence
    noisy = rule("ipc_slower")(frame(ipc({"64B": 80e-6, "1MiB": 80e-6}, noise=NOISE)))
    assert noisy.verdict == INCONCLUSIVE
    assert f"straddles the 1.25{TIMES} threshold" in noisy.evidence
    few = rule("ipc_slower")(first_round(frame(ipc({"64B": 100e-6, "1MiB": 2e-3}))))
    assert few.verdict == INCONCLUSIVE
    assert "too little data" in few.evidence


# --- start-up --------------------------------------------------------------------------------


def startup(process: float, thread: float = 100e-6) -> list[dict[str, Any]]:
    case = {"family": "startup", "workload": "noop", "group": "startup:noop[1 task/worker]"}
    case |= {"timed": "lifecycle"}
    rows: list[dict[str, Any]] = []
    for workers in (1, 5):
        rows += timings(thread * workers, model="threads", workers=workers, **case)
        for method, factor in (("fork", 1), ("spawn", 40)):
            rows += timings(
                process * workers * factor,
                model="processes",
                start_method=method,
                workers=workers,
                **case,
            )
    return rows


def test_threads_start_faster_when_a_process_takes_many_times_longer() -> None:
    verdict = rule("threads_start_faster")(frame(startup(process=2e-3)))
    assert verdict.verdict == HOLDS
    assert verdict.figures["start_method"] == "fork"
    assert verdict.figures["default_method"]["1 worker"]["value"] == pytest.approx(20.0)
    assert verdict.figures["process_vs_thread"]["5 workers"]["processes/spawn"] == pytest.approx(
        800.0
    )
    assert f"1 worker: 20{TIMES} (20{DASH}20{TIMES}, n=3)" in verdict.evidence


def test_processes_that_start_as_fast_as_threads() -> None:
    assert rule("threads_start_faster")(frame(startup(process=90e-6))).verdict == DOES_NOT_HOLD
    between = rule("threads_start_faster")(frame(startup(process=150e-6)))
    assert between.verdict == INCONCLUSIVE
    assert f"lies between 1{TIMES} and 2{TIMES}" in between.evidence
    few = rule("threads_start_faster")(first_round(frame(startup(process=2e-3))))
    assert few.verdict == INCONCLUSIVE
    assert "too little data" in few.evidence


# --- races -----------------------------------------------------------------------------------


def race(racy: list[int], locked: list[int]) -> list[dict[str, Any]]:
    case = {"family": "race", "measure": "race", "model": "threads", "workers": 2}
    racy_case, locked_case = case | {"variant": "racy"}, case | {"variant": "locked"}
    per_million = [v * 2 for v in racy]
    return (
        outcomes("lost_updates", "count", racy, **racy_case)
        + outcomes("lost_updates", "count", locked, **locked_case)
        + outcomes("lost_updates_per_million", "count", per_million, **racy_case)
        + outcomes("seconds_per_million_increments", "second", [0.1], **racy_case)
        + outcomes("seconds_per_million_increments", "second", [0.3], **locked_case)
    )


def test_races_lose_updates_without_a_lock_and_none_with_one() -> None:
    verdict = rule("races_lose_updates")(frame(race([1000, 0, 40], [0, 0, 0])))
    assert verdict.verdict == HOLDS
    assert verdict.figures["racy_with_losses"] == 2
    assert verdict.figures["racy_repetitions"] == 3
    assert verdict.figures["lock_cost"] == pytest.approx(3.0)
    assert "2 of 3 runs" in verdict.evidence


def test_no_lost_update_means_no_race_shown() -> None:
    assert rule("races_lose_updates")(frame(race([0, 0], [0, 0]))).verdict == DOES_NOT_HOLD
    broken = rule("races_lose_updates")(frame(race([10], [0, 3])))
    assert broken.verdict == INCONCLUSIVE  # a lock that loses updates: the harness is suspect


# --- I/O -------------------------------------------------------------------------------------


def io(
    sleep_threads: float, tcp_threads: float, noise: tuple[float, ...] = ()
) -> list[dict[str, Any]]:
    """The loop 0.64 s; threads at 4, 16 and 64 workers, the pool fastest at 64."""
    rows: list[dict[str, Any]] = []
    for workload, threads in (("sleep", sleep_threads), ("tcp", tcp_threads)):
        case = {"family": "io", "workload": workload, "group": f"io:{workload}[x]"}
        rows += timings(0.64, **case)
        for workers, factor in ((4, 4.0), (16, 1.5), (64, 1.0)):
            seconds = threads * factor
            rows += timings(seconds * 1.1, noise=noise, model="threads", workers=workers, **case)
            rows += timings(seconds, noise=noise, model="thread_pool", workers=workers, **case)
            rows += timings(0.05, model="asyncio", workers=workers, **case)
    return rows


def test_threads_suit_io_when_they_overlap_the_waits() -> None:
    verdict = rule("threads_suit_io")(frame(io(0.04, 0.08)))
    assert verdict.verdict == HOLDS
    # the best worker count, named, not a median over worker counts (which is 16 here)
    assert verdict.figures["best_thread_speedup"] == pytest.approx({"sleep": 16.0, "tcp": 8.0})
    assert verdict.figures["best_thread"]["sleep"]["config"] == "thread pool at 64 workers"
    assert f"sleep: thread pool at 64 workers 16{TIMES} (16{DASH}16{TIMES}, n=3)" in (
        verdict.evidence
    )
    assert verdict.figures["speedup"]["sleep"]["asyncio at 16 workers"] == pytest.approx(12.8)


def test_threads_that_do_not_overlap_waits_do_not_suit_io() -> None:
    assert rule("threads_suit_io")(frame(io(0.62, 0.60))).verdict == DOES_NOT_HOLD
    mixed = rule("threads_suit_io")(frame(io(0.04, 0.60)))
    assert mixed.verdict == DEPENDS
    assert "holds at sleep; does not hold at tcp" in mixed.evidence
    noisy = rule("threads_suit_io")(frame(io(0.35, 0.35, noise=NOISE)))
    assert noisy.verdict == INCONCLUSIVE
    assert f"straddles the 2{TIMES} threshold" in noisy.evidence
    few = rule("threads_suit_io")(first_round(frame(io(0.04, 0.08))))
    assert few.verdict == INCONCLUSIVE
    assert "too little data" in few.evidence


# --- frequent communication: task granularity ------------------------------------------------

LENGTHS = (("10us", 400), ("1ms", 40_000))


def granularity(
    pool: dict[int, tuple[float, float]],
    thread_pool: float = 1.1,
    chunked: float | None = None,
    noise: tuple[float, ...] = (),
    loop: float = 1.0,
) -> list[dict[str, Any]]:
    """The loop ``loop`` s at every length; the thread pool ``thread_pool`` s; the process
    pool with one message per task per payload and length; a chunked pool ``chunked`` s."""
    rows: list[dict[str, Any]] = []
    for payload, times in pool.items():
        for (label, size), seconds in zip(LENGTHS, times, strict=True):
            case = {"family": "granularity", "workload": "spin", "size": size}
            case |= {"size_label": label, "payload_bytes": payload}
            case |= {"group": f"granularity:spin[{label}] payload={payload}"}
            rows += timings(loop, **case)
            rows += timings(thread_pool, noise=noise, model="thread_pool", workers=2, **case)
            rows += timings(seconds, model="process_pool", start_method="fork", workers=2, **case)
            if chunked is not None:
                rows += timings(
                    chunked, model="process_pool", start_method="fork", workers=2,
                    **case | {"chunksize": 25},
                )  # fmt: skip
    return rows


def frequent(data: list[dict[str, Any]]) -> Verdict:
    return rule("threads_suit_frequent_communication")(frame(data))


def test_threads_suit_frequent_communication_when_they_beat_processes_both_ways() -> None:
    verdict = frequent(granularity({0: (5.0, 0.6), MIB: (80.0, 2.0)}, thread_pool=0.6, chunked=0.8))
    assert verdict.verdict == HOLDS
    shortest = verdict.figures["shortest_task"]["1.00 MiB payload"]
    assert shortest["task"] == "10us"
    against = shortest["process_pool_over_thread_pool"]
    assert against["one task per message"]["value"] == pytest.approx(80.0 / 0.6)
    assert against["chunked"]["value"] == pytest.approx(0.8 / 0.6)
    assert against["chunked"]["chunksize"] == 25
    assert shortest["loop_over_thread_pool"]["value"] == pytest.approx(1 / 0.6)
    assert verdict.figures["crossover"][f"payload={MIB} chunksize=1"] is None


def test_threads_are_judged_against_processes_not_against_the_loop() -> None:
    """Issue 23: the old rule held threads against the loop and a chunked pool only. The
    loop beats both kinds of worker here; threads still beat processes both ways."""
    loop_wins = granularity({0: (5.0, 0.6), MIB: (80.0, 2.0)}, thread_pool=1.1, chunked=2.0)
    verdict = frequent(loop_wins)
    assert verdict.verdict == HOLDS  # the old rule said "does not hold": the loop won
    assert f"the plain loop 0.91{TIMES}" in verdict.evidence  # shown beside, not judged


def test_frequent_communication_depends_on_how_tasks_are_handed_to_processes() -> None:
    """The baseline's finding: at 10 us, no payload, threads take 23 ms, a process pool
    with one task per message 101 ms (4.4x) and a chunked one 10.7 ms; with 1 MiB, 1.4 ms
    against 184 ms (130x) and 21.8 ms. The loop is faster than the threads at both."""
    bare = granularity({0: (0.101, 0.05)}, thread_pool=0.023, chunked=0.0107, loop=0.0114)
    heavy = granularity({MIB: (0.184, 0.2)}, thread_pool=0.0014, chunked=0.0218, loop=0.0007)
    verdict = frequent(bare + heavy)
    assert verdict.verdict == DEPENDS  # the old rule said "does not hold"
    assert (
        "depends on the hand-over and payload: holds at no payload (one task per message), "
        "1.00 MiB payload (one task per message), 1.00 MiB payload (chunked); does not hold "
        "at no payload (chunked)"
    ) in verdict.evidence
    assert f"one task per message, 4.4{TIMES}" in verdict.evidence
    assert f"one task per message, 130{TIMES}" in verdict.evidence


def test_threads_do_not_serve_better_where_processes_beat_them_both_ways() -> None:
    both = frequent(granularity({0: (0.3, 0.6)}, thread_pool=0.6, chunked=0.2))
    assert both.verdict == DOES_NOT_HOLD
    assert "25 tasks a message" in both.evidence


def test_frequent_communication_depends_when_mixed_and_is_inconclusive_when_noisy_or_thin() -> None:
    mixed = granularity({0: (5.0, 0.6)}, thread_pool=0.6) + granularity({MIB: (0.5, 2.0)})
    verdict = frequent(mixed)
    assert verdict.verdict == DEPENDS
    assert "holds at no payload (one task per message)" in verdict.evidence
    assert "does not hold at 1.00 MiB payload (one task per message)" in verdict.evidence
    noisy = granularity({0: (0.95, 0.6)}, thread_pool=1.0, noise=NOISE)
    verdict = frequent(noisy)
    assert verdict.verdict == INCONCLUSIVE
    assert f"straddles the 1{TIMES} threshold" in verdict.evidence
    thin = frequent(
        first_round(frame(granularity({0: (5.0, 0.6)}, thread_pool=0.6))).to_dict("records")
    )
    assert thin.verdict == INCONCLUSIVE
    assert "too little data" in thin.evidence


# --- no data, and evaluate -------------------------------------------------------------------


@pytest.mark.parametrize("claim", CLAIMS, ids=lambda c: c.id)
def test_every_claim_says_no_data_without_its_measurement(claim: claims.Claim) -> None:
    assert claim.rule(pd.DataFrame()).verdict == NO_DATA
    assert claim.rule(pd.DataFrame(columns=[*DEFAULTS, "benchmark", "time_s"])).verdict == (NO_DATA)
    # another claim's measurement is no evidence for this one
    unrelated = frame(race([10], [0])) if claim.id != "races_lose_updates" else frame(faults())
    assert claim.rule(unrelated).verdict == NO_DATA


def test_claims_are_data_with_unique_ids_and_their_own_rules() -> None:
    assert len(CLAIMS_BY_ID) == len(CLAIMS) >= len(GUIDE_ORDER)
    assert len({c.rule for c in CLAIMS}) == len(CLAIMS)
    assert all(c.statement.endswith(".") and c.measured_by for c in CLAIMS)
    with pytest.raises(ValueError, match="unknown verdict"):
        Verdict("maybe", "")


def everything(interpreter: str, threads: float, **kw: Any) -> list[dict[str, Any]]:
    rows = cpu(0.52, threads, **kw) + faults() + memory(16 * KIB, 2 * MIB, 10 * MIB)
    rows += ipc({"64B": 100e-6, "1MiB": 2e-3}) + startup(2e-3) + race([100], [0])
    rows += io(0.04, 0.08) + granularity({0: (5.0, 0.6)}, thread_pool=0.6)
    return [r | {"interpreter": interpreter} | kw for r in rows]


def test_evaluate_gives_one_row_per_claim_machine_and_interpreter() -> None:
    data = frame(
        everything("cpython-3.11", threads=1.0),
        everything("cpython-3.13t", threads=0.5, gil_enabled="disabled"),
        [r | {"machine": "other"} for r in cpu(0.52, 1.0)],  # a machine with CPU data only
    )
    result = evaluate(data)
    assert list(result.columns) == COLUMNS
    assert len(result) == 3 * len(CLAIMS)
    verdicts = result.set_index(["machine", "interpreter", "claim_id"])["verdict"]
    assert verdicts[("m", "cpython-3.11", "gil_limits_threads")] == HOLDS
    assert verdicts[("m", "cpython-3.13t", "gil_limits_threads")] == DOES_NOT_HOLD
    guide = verdicts.loc[("m", "cpython-3.11")].loc[GUIDE_ORDER]
    assert (guide.drop("gil_limits_threads") == HOLDS).all()
    other = verdicts.loc[("other", "cpython-3.11")]
    assert other["processes_sidestep_gil"] == HOLDS
    assert other["races_lose_updates"] == NO_DATA
    figures = json.loads(
        result.set_index(["machine", "interpreter", "claim_id"]).loc[
            ("m", "cpython-3.13t", "gil_limits_threads"), "figures"
        ]
    )
    assert figures["gil"] == "disabled"
    assert figures["speedup"] == pytest.approx(1 / 0.51, rel=1e-3)  # the pool, to 4 digits
    assert set(result["statement"]) == {c.statement for c in CLAIMS}


def test_evaluate_of_nothing_is_an_empty_table() -> None:
    result = evaluate(pd.DataFrame())
    assert result.empty
    assert list(result.columns) == COLUMNS


@pytest.mark.skipif(not FIXTURE.exists(), reason="no committed fixture results")
def test_evaluate_reads_the_committed_smoke_results() -> None:
    runs = sorted(p for p in FIXTURE.glob("*/*") if p.is_dir())
    result = evaluate(pd.concat([load_run(run) for run in runs], ignore_index=True))
    assert set(result["verdict"]) <= set(VERDICTS)
    assert len(result) == len(CLAIMS) * result["interpreter"].nunique()
    gil = result[result["claim_id"] == "gil_limits_threads"].set_index("interpreter")
    # one round of smoke: no interval, so every timing verdict depends, and says why
    assert set(gil["verdict"]) == {INCONCLUSIVE}
    assert gil["evidence"].str.contains("only 1 round kept: too little data").all()
    # the point values still split between the GIL build and the free-threaded one
    speedups = {json.loads(f)["speedup"] for f in gil["figures"]}
    assert min(speedups) < NO_GAIN < max(speedups)
    for figures in result["figures"]:
        json.loads(figures)


def test_the_committed_baseline_keeps_its_verdicts() -> None:
    runs = sorted(p for p in BASELINE.glob("*/*") if p.is_dir())
    result = pd.concat([evaluate(load_run(run)) for run in runs], ignore_index=True)
    expected = pd.read_csv(BASELINE_VERDICTS)
    got = result[result["claim_id"].isin(expected["claim_id"])]
    got = got[["machine", "claim_id", "interpreter", "verdict"]]
    key = ["machine", "interpreter", "claim_id"]
    pd.testing.assert_frame_equal(
        got.sort_values(key).reset_index(drop=True),
        expected.sort_values(key).reset_index(drop=True),
    )


#: The guide's claims in its order (other groups' claims may sit between them).
GUIDE_ORDER = [
    "processes_sidestep_gil",
    "processes_isolate_faults",
    "processes_cost_memory",
    "ipc_slower",
    "threads_start_faster",
    "gil_limits_threads",
    "races_lose_updates",
    "threads_suit_io",
    "threads_suit_frequent_communication",
]


def test_claims_come_in_the_guides_order_and_register_once() -> None:
    assert [c.id for c in CLAIMS if c.id in GUIDE_ORDER] == GUIDE_ORDER
    assert registered() == CLAIMS
    again = claim("ipc_slower", order=1000, statement="x.", measured_by="x", criteria="x")
    with pytest.raises(ValueError, match="registered twice"):
        again(ipc_slower)
    taken = claim("new_claim", order=40, statement="x.", measured_by="x", criteria="x")
    with pytest.raises(ValueError, match="order 40"):
        taken(ipc_slower)
    assert registered() == CLAIMS  # a refused registration leaves nothing behind


def test_evidence_and_rules_write_numbers_as_the_tables_do() -> None:
    leak = rule("processes_isolate_faults")(frame(faults()))
    assert format_bytes(128 * MIB) in leak.evidence
    assert format_threshold(IPC_SLOWER) in CLAIMS_BY_ID["ipc_slower"].criteria
    assert f"{format_bytes(MEMORY_SAME_BYTES)} above" in (
        CLAIMS_BY_ID["processes_cost_memory"].criteria
    )
    assert not [c.id for c in CLAIMS if re.search(r"\dx\b", c.criteria)]  # "1.2x": not ours


# --- one quantity, one number: verdict, figure and table -------------------------------------


def test_the_verdict_the_figure_and_the_table_show_the_same_number() -> None:
    noisy = (0.9, 1.0, 1.1)
    data = frame(
        cpu(0.52, 1.0, noise=noisy),
        startup(2e-3),
        memory(16 * KIB, 2 * MIB, 10 * MIB, jitter=3 * KIB),
    )  # fmt: skip
    # start-up: the verdict's ratio for one process (fork) is the figure's
    start = rule("threads_start_faster")(data)
    one = start.figures["default_method"]["1 worker"]
    quoted = format_estimate(Estimate(one["value"], one["low"], one["high"], one["n"]))
    assert f"1 worker: {quoted}" in start.evidence
    made = make_startup(data)
    assert made is not None
    assert f"fork {quoted}" in made[1]
    # a thread's memory: the same bytes in the verdict and the memory figure
    memory_verdict = rule("processes_cost_memory")(data)
    thread = format_bytes(memory_verdict.figures["per_thread_bytes"])
    assert f"threads {thread}" in memory_verdict.evidence
    drawn = make_memory(data)
    assert drawn is not None
    assert f"threads {thread}" in drawn[1]
    # a speedup: the verdict's estimate is the speedup table's cell
    cpu_verdict = rule("processes_sidestep_gil")(data)
    low, high = cpu_verdict.figures["interval"]
    assert low < high  # a real interval, not a point
    value = cpu_verdict.figures["speedup"]
    estimate = Estimate(value, low, high, cpu_verdict.figures["rounds"])
    assert format_estimate(estimate) in cpu_verdict.evidence
    table = speedup_table(paired_speedups(data))
    cell = f"{format_ratio(value)} ({format_interval(low, high)})"
    (line,) = [
        t
        for t in table.splitlines()
        if "process_pool" in t and "| fork | 2 |" in t and "100ms" in t
    ]
    assert cell in line


def test_a_verdict_keeps_the_rounds_its_figure_keeps() -> None:
    """A round is judged against every other round of its run, every interpreter's: on the
    16-core baseline, 3.13t's one round at 16 workers is low against them. The scaling
    figure drops it, and so must the verdict (it once judged against 3.13t's rounds only,
    kept it, and printed a speedup the figure did not draw)."""
    from bench.report.figures.scaling import scaling_numbers, select_scaling

    (run,) = [p for p in BASELINE.glob("*16cpu*/*") if p.is_dir()]
    frame = load_run(run)
    verdicts = evaluate(frame)
    numbers = scaling_numbers(select_scaling(frame, "cpu_python:count_primes[100ms]"))
    checked = 0
    for row in verdicts[verdicts["claim_id"] == "gil_limits_threads"].itertuples():
        figures = json.loads(row.figures)
        drawn = numbers[(numbers["interpreter"] == row.interpreter)
                        & (numbers["model"] == "thread_pool")
                        & (numbers["workers"] == figures["workers"])]  # fmt: skip
        (point,) = drawn.itertuples()
        assert figures["dropped_low_capacity"] == point.dropped, row.interpreter
        assert figures["rounds"] == point.rounds, row.interpreter
        checked += 1
    assert checked == 2
    assert 1 in set(numbers["dropped"])  # the case this test is about is still there
