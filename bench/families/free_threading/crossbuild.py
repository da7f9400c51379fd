"""The right baseline for a free-threaded build: the default build of the same Python.

A free-threaded build (PEP 703) runs every thread, a program's only one included, more
slowly than the default build, so its threads judged against its own loop look better
than they are. When one run holds both builds of one minor version, their rounds are
interleaved (the runner measures a group under every interpreter back to back, round
by round), and times can be paired across interpreters within a round, as
``metrics.paired_speedups`` pairs models within one interpreter:

- ``single_thread_cost``: the free-threaded loop's time over the default build's loop
  time, per workload: what a program that keeps one thread busy pays for the build;
- ``same_work``: free-threaded threads against the default build's loop and its
  process pool at the same worker count: the same work, the fastest way each build
  offers.

Every ratio is a within-round ratio, summarised by ``estimate.ratio_estimate``.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Sequence
from typing import Any

import pandas as pd

from bench.models import Role, model_of
from bench.report.capacity import flag_low_capacity
from bench.report.estimate import Estimate, ratio_estimate
from bench.report.format import is_missing
from bench.report.metrics import round_times
from bench.report.select import (
    RUN_KEYS,
    models_where,
    present,
    runs_threads,
)

DEFAULT_BUILD = "default"
FREE_THREADING_BUILD = "free-threading"
#: Families whose plain loop runs Python code on the CPU: the interpreter's own speed.
#: (An I/O loop waits on the operating system, whichever build runs it.)
COST_FAMILIES = ("cpu_python", "cpu_c", "granularity")
#: Where no other rule is given, the start method of the default build's process pool:
#: the first of these measured, fixed in advance (never the fastest measured, which
#: would flatter the pool). The claims pass their own rule, the platform's default.
START_METHOD_PREFERENCE = ("fork", "forkserver", "spawn")
#: A rule choosing a start method from an interpreter's rows and the methods measured.
ChooseStartMethod = Callable[[pd.DataFrame, Iterable[Any]], str | None]


def first_preferred(_rows: pd.DataFrame, measured: Iterable[Any]) -> str | None:
    """The first of ``START_METHOD_PREFERENCE`` among ``measured``."""
    methods = set(measured)
    return next((m for m in START_METHOD_PREFERENCE if m in methods), None)


PAIR_COLUMNS = [*RUN_KEYS, "minor", "interpreter", "gil", "default_interpreter"]


def minor_version(version: Any) -> str | None:
    """``"3.13.5 (64-bit)"`` -> ``"3.13"``; None for anything else."""
    if not isinstance(version, str):
        return None
    found = re.match(r"\s*(\d+)\.(\d+)\b", version)
    return f"{found.group(1)}.{found.group(2)}" if found else None


def task_label(group: str) -> str:
    """``cpu_python:count_primes[100ms]`` -> ``count_primes[100ms]``: a group as the
    text names it, its family said around it."""
    return group.split(":", 1)[-1]


def weighted_mode(counted: pd.DataFrame, column: str) -> Any:
    """The value of ``column`` the most rows carry (``rows`` counts them; ties: the first
    as text, as ``select.mode``), else None."""
    if column not in counted or counted[column].dropna().empty:
        return None
    totals = counted.dropna(subset=[column]).groupby(column)["rows"].sum()
    return sorted(totals.index, key=lambda v: (-totals[v], str(v)))[0]


#: What a build says about how it was made (``bench.results.build_flags``), as the text
#: names each.
BUILD_FLAGS = {"python_pgo": "PGO", "python_lto": "LTO"}


def builds(frame: pd.DataFrame) -> pd.DataFrame:
    """One row per machine, run and interpreter: its Python minor version (``minor``, the
    series), its whole version (``version``: 3.13.5), its build (``default`` or
    ``free-threading``), the GIL state its workers saw (``gil``: enabled, disabled, or
    None where unknown) and its build flags (``python_pgo``, ``python_lto``: yes, no,
    unknown, or None where the results do not say)."""
    keys = [*present(frame, RUN_KEYS), "interpreter"]
    columns = [*keys, "minor", "version", "build", "gil", *BUILD_FLAGS]
    if frame.empty or not {"interpreter", "python_version", "python_build"} <= set(frame):
        return pd.DataFrame(columns=columns)
    # each distinct description once, with how many rows carry it: far fewer rows to scan
    described = present(frame, ["python_version", "python_build", "gil_enabled", *BUILD_FLAGS])
    counted = frame.groupby([*keys, *described], dropna=False).size().reset_index(name="rows")
    rows = []
    for key, part in counted.groupby(keys, dropna=False, sort=True):
        known = (
            part[part["gil_enabled"].isin(["enabled", "disabled"])]
            if "gil_enabled" in part
            else part.iloc[0:0]
        )
        version = weighted_mode(part, "python_version")
        rows.append(
            dict(zip(keys, key if isinstance(key, tuple) else (key,), strict=True))
            | {
                "minor": minor_version(version),
                "version": str(version).split()[0] if isinstance(version, str) else None,
                "build": weighted_mode(part, "python_build"),
                "gil": weighted_mode(known, "gil_enabled"),
            }
            | {flag: weighted_mode(part, flag) for flag in BUILD_FLAGS}
        )
    return pd.DataFrame(rows, columns=columns)


#: Each build's description in a pair; the default build's carries the ``default_`` prefix.
DESCRIBED = ["version", *BUILD_FLAGS]


def build_pairs(frame: pd.DataFrame) -> pd.DataFrame:
    """Every free-threaded interpreter of a run beside the default build of the same
    series (minor version) in the same run (same machine, same run id: rounds
    interleaved). Builds of different series are never paired: 3.14t's cost is not
    3.14t against 3.13.

    Columns: machine, run_id, minor, ``interpreter`` (the free-threaded one), ``gil``
    (its GIL state: disabled, or enabled with ``-X gil=1``), ``default_interpreter``, and
    each side's ``version``, ``python_pgo`` and ``python_lto`` (the default build's
    prefixed ``default_``). Should a run hold several default builds of one series, the
    first by name is the reference. No pair: an empty frame with these columns.
    """
    found = builds(frame).dropna(subset=["minor", "build"])
    run = present(found, RUN_KEYS)
    columns = [
        *run, "minor", "interpreter", "gil", "default_interpreter", *DESCRIBED,
        *(f"default_{name}" for name in DESCRIBED),
    ]  # fmt: skip
    default = found[(found["build"] == DEFAULT_BUILD) & (found["gil"] != "disabled")]
    default = (
        default.sort_values("interpreter")
        .drop_duplicates([*run, "minor"])
        .loc[:, [*run, "minor", "interpreter", *DESCRIBED]]
        .rename(
            columns={"interpreter": "default_interpreter"}
            | {name: f"default_{name}" for name in DESCRIBED}
        )
    )
    free = found[found["build"] == FREE_THREADING_BUILD].loc[
        :, [*run, "minor", "interpreter", "gil", *DESCRIBED]
    ]
    pairs = free.merge(default, on=[*run, "minor"], how="inner")
    return pairs.loc[:, columns].sort_values([*run, "interpreter"]).reset_index(drop=True)


def flags_text(pair: pd.Series | dict[str, Any], prefix: str = "") -> str:
    """One side's build flags as the evidence names them: "PGO no, LTO no"; "not recorded"
    where the results do not say."""
    known = [(label, pair.get(f"{prefix}{flag}")) for flag, label in BUILD_FLAGS.items()]
    if all(is_missing(value) for _, value in known):
        return "build flags not recorded"
    return ", ".join(f"{label} {'not recorded' if is_missing(v) else v}" for label, v in known)


def flags_differ(pair: pd.Series | dict[str, Any]) -> list[str]:
    """The build flags the two sides of a pair were built with differently (known on both
    sides: "unknown" or not recorded is no difference shown), as "PGO yes against no"."""
    out = []
    for flag, label in BUILD_FLAGS.items():
        free, default = pair.get(flag), pair.get(f"default_{flag}")
        known = {"yes", "no"}
        if free in known and default in known and free != default:
            out.append(f"{label} {free} against {default}")
    return out


def _one_start_method(
    frame: pd.DataFrame, times: pd.DataFrame, keys: Sequence[str], choose: ChooseStartMethod
) -> pd.DataFrame:
    """Within each ``keys`` group of ``times``, the rows of the start method ``choose``
    picks from the interpreter's rows of ``frame``; a group where it picks none (a
    model without a start method) is kept whole."""
    parts = []
    for key, part in times.groupby(list(keys), dropna=False, sort=True):
        interpreter = dict(zip(keys, key, strict=True))["interpreter"]
        method = choose(frame[frame["interpreter"] == interpreter], part["start_method"])
        parts.append(part if method is None else part[part["start_method"] == method])
    return pd.concat(parts) if parts else times


def cross_round_times(
    frame: pd.DataFrame,
    models: Sequence[str],
    reference_model: str,
    *,
    same_workers: bool,
    choose_start_method: ChooseStartMethod = first_preferred,
) -> pd.DataFrame:
    """The free-threaded build's case times beside the default build's reference time,
    per round: the pairs of ``build_pairs``, matched on machine, run, group and round.

    One row per free-threaded case (``models``) and round: its parameters, ``free_s``
    (its median time in the round), ``default_interpreter``, ``reference_model``,
    ``reference_start_method``, ``reference_workers`` and ``default_s`` (the reference's
    median time in the same round; with ``same_workers`` at the case's worker count;
    of the start method ``choose_start_method`` picks). A round that one side lacks
    gives no row: times are never taken across rounds.
    """
    times = round_times(frame)
    if times.empty:
        return pd.DataFrame()
    run = present(times, RUN_KEYS)
    # who is paired with whom; how each was built is the claims' to say
    pairs = build_pairs(frame).loc[:, [*run, "minor", "interpreter", "gil", "default_interpreter"]]
    if pairs.empty:
        return pd.DataFrame()
    free = times[times["model"].isin(models)].merge(pairs, on=[*run, "interpreter"], how="inner")
    free = free.rename(columns={"time_s": "free_s"})
    reference = times[
        (times["model"] == reference_model)
        & times["interpreter"].isin(pairs["default_interpreter"])
    ]
    reference = _one_start_method(
        frame, reference, [*run, "interpreter", "group"], choose_start_method
    )
    match = [*run, "default_interpreter", "group", "round"]
    reference = reference.rename(
        columns={
            "interpreter": "default_interpreter",
            "model": "reference_model",
            "start_method": "reference_start_method",
            "workers": "reference_workers",
            "time_s": "default_s",
        }
    )
    described = [*match, "reference_workers", "reference_model", "reference_start_method"]
    # one reference time per round and worker count: the median, should there be several
    reference = reference.groupby(described, dropna=False)["default_s"].median().reset_index()
    if same_workers:
        keys = [*match, "reference_workers"]
        free = free.assign(reference_workers=free["workers"])
    else:  # one reference per round: the fewest workers (the loop has one)
        keys = match
        reference = reference.sort_values("reference_workers").drop_duplicates(match)
    return free.merge(reference, on=keys, how="inner").reset_index(drop=True)


def estimate_columns(estimate: Estimate, prefix: str) -> dict[str, float | int]:
    """``prefix``, ``prefix_low``, ``prefix_high`` and ``prefix_n`` of an estimate."""
    return {
        prefix: estimate.value,
        f"{prefix}_low": estimate.low,
        f"{prefix}_high": estimate.high,
        f"{prefix}_n": estimate.n,
    }


def estimate_of(row: pd.Series | dict[str, Any], prefix: str) -> Estimate:
    """The ``Estimate`` stored by ``estimate_columns`` in a row."""
    n = row[f"{prefix}_n"]
    return Estimate(
        float(row[prefix]),
        float(row[f"{prefix}_low"]),
        float(row[f"{prefix}_high"]),
        0 if pd.isna(n) else int(n),
    )


COST_KEYS = [
    *PAIR_COLUMNS, "family", "workload", "group", "size", "size_label", "payload_bytes",
]  # fmt: skip


def single_thread_cost(frame: pd.DataFrame) -> pd.DataFrame:
    """What the free-threaded build costs one thread: its plain loop's time over the
    default build's loop time in the same round, per workload of ``COST_FAMILIES``
    (without a payload: the loop's own work).

    One row per pair of builds (``build_pairs``) and workload: ``cost`` (> 1: the
    free-threaded build is slower), ``cost_low``/``cost_high`` (95 % interval) and
    ``cost_n`` (rounds), from ``ratio_estimate`` over the rounds' ratios.
    """
    columns = [*COST_KEYS, "cost", "cost_low", "cost_high", "cost_n"]
    if frame.empty or "family" not in frame:
        return pd.DataFrame(columns=columns)
    cpu = frame[frame["family"].isin(COST_FAMILIES)]
    if "payload_bytes" in cpu:
        cpu = cpu[pd.to_numeric(cpu["payload_bytes"], errors="coerce").fillna(0) == 0]
    loop = model_of(Role.LOOP)
    paired = cross_round_times(cpu, (loop,), loop, same_workers=False)
    if paired.empty:
        return pd.DataFrame(columns=columns)
    keys = present(paired, COST_KEYS)
    rows = []
    for key, part in paired.groupby(keys, dropna=False, sort=True):
        estimate = ratio_estimate((part["free_s"] / part["default_s"]).tolist())
        rows.append(dict(zip(keys, key, strict=True)) | estimate_columns(estimate, "cost"))
    out = pd.DataFrame(rows).reindex(columns=[*keys, *columns[len(COST_KEYS) :]])
    return out.sort_values([*present(out, PAIR_COLUMNS), "family", "size"], kind="stable")


SAME_WORK_KEYS = [
    *PAIR_COLUMNS, "family", "workload", "group", "size", "size_label", "model", "workers",
    "cpu_count",
]  # fmt: skip


def same_work_rounds(
    frame: pd.DataFrame, choose_start_method: ChooseStartMethod = first_preferred
) -> pd.DataFrame:
    """Per round, a free-threaded thread model's time (``free_s``) beside the default
    build's loop (``loop_s``) and its process pool at the same worker count (``pool_s``,
    start method by ``choose_start_method``), all three from the same round.

    ``low_capacity`` marks a round in which either build's capacity probe found fewer
    cores than its workers need (``capacity.flag_low_capacity``); False where unknown.
    """
    # the thread models of a free-threaded build that take on processes
    free_thread_models = models_where(runs_threads)
    threads = cross_round_times(frame, free_thread_models, model_of(Role.LOOP), same_workers=False)
    pools = cross_round_times(
        frame,
        free_thread_models,
        model_of(Role.PROCESS_POOL),
        same_workers=True,
        choose_start_method=choose_start_method,
    )
    if threads.empty or pools.empty:
        return pd.DataFrame()
    keys = present(threads, [*RUN_KEYS, "interpreter", "group", "model", "workers", "round"])
    loop = threads.rename(columns={"default_s": "loop_s"}).drop(
        columns=["reference_model", "reference_start_method", "reference_workers"]
    )
    pool = pools.loc[:, [*keys, "reference_start_method", "default_s"]].rename(
        columns={"default_s": "pool_s", "reference_start_method": "pool_start_method"}
    )
    rounds = loop.merge(pool, on=keys, how="inner").reset_index(drop=True)
    rounds = rounds.assign(pair_row=range(len(rounds)))
    low = pd.Series(False, index=rounds["pair_row"])
    for interpreter in ("interpreter", "default_interpreter"):  # either build's round
        side = flag_low_capacity(frame, rounds.assign(interpreter=rounds[interpreter]))
        flags = side.set_index("pair_row")["low_capacity"].fillna(False).astype(bool)
        low |= flags.reindex(low.index, fill_value=False)
    return rounds.assign(low_capacity=low.to_numpy()).drop(columns="pair_row")


def same_work(
    frame: pd.DataFrame, choose_start_method: ChooseStartMethod = first_preferred
) -> pd.DataFrame:
    """Free-threaded threads against the fastest way the default build offers.

    One row per pair of builds, workload, thread model and worker count: ``vs_loop``
    (the default build's loop time over the free-threaded threads' time: their speedup
    over the default build's loop), ``vs_pool`` (the free-threaded threads' time over the
    default build's process pool's: > 1, the pool is faster; the pool's start method in
    ``pool_start_method``) and ``pool_vs_loop`` (the default build's process pool's
    speedup over its own loop), each with ``_low``, ``_high`` and ``_n`` from
    ``ratio_estimate`` over the rounds kept; ``dropped`` counts the rounds left out for
    low capacity (see ``same_work_rounds``).
    """
    rounds = same_work_rounds(frame, choose_start_method)
    if rounds.empty:
        return pd.DataFrame()
    keys = present(rounds, [*SAME_WORK_KEYS, "pool_start_method"])
    rows = []
    for key, every in rounds.groupby(keys, dropna=False, sort=True):
        part = every[~every["low_capacity"]]
        loop, pool, free = part["loop_s"], part["pool_s"], part["free_s"]
        rows.append(
            dict(zip(keys, key, strict=True))
            | estimate_columns(ratio_estimate((loop / free).tolist()), "vs_loop")
            | estimate_columns(ratio_estimate((free / pool).tolist()), "vs_pool")
            | estimate_columns(ratio_estimate((loop / pool).tolist()), "pool_vs_loop")
            | {"dropped": len(every) - len(part)}
        )
    out = pd.DataFrame(rows)
    return out.sort_values([*present(out, PAIR_COLUMNS), "group", "model", "workers"])
