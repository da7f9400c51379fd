"""Task granularity in numbers: the fastest way to run each cell, the process pool against the
loop and the thread pool per task length, and the length from which on it wins."""

from __future__ import annotations

import math
from collections.abc import Sequence

import pandas as pd

from bench.models import Role, model_of
from bench.report.metrics import round_times
from bench.report.select import RUN_KEYS, present


def winners(
    frame: pd.DataFrame, baseline: str | None = None, exclude: Sequence[str] = ("memcpy",)
) -> pd.DataFrame:
    """The fastest model of every case (group x workers), and its lead over the runner-up.

    The candidates of a case are the group's benchmarks at that worker count plus
    the group's ``baseline`` (the plain loop competes at every worker count: a
    pool that loses to it is no answer). ``exclude`` drops reference points that
    are no way to run the work (``memcpy``: the IPC ceiling). Per round each
    candidate's time is divided by the round's fastest; the candidate with the
    lowest median of that ratio wins (ties go to the name first in order).
    ``margin`` is the median over rounds of runner-up time / winner time (> 1);
    NaN where a case has one candidate.
    """
    baseline = baseline or model_of(Role.LOOP)
    per_round = round_times(frame)
    per_round = per_round[~per_round["model"].isin(exclude)]
    group_keys = present(per_round, [*RUN_KEYS, "interpreter", "group"])
    case_keys = [*group_keys, "workers"]
    others = per_round[per_round["model"] != baseline]
    cases = others.loc[:, case_keys].drop_duplicates()
    base = per_round[per_round["model"] == baseline].drop(columns="workers")
    pool = pd.concat([others, base.merge(cases, on=group_keys)], ignore_index=True)
    out_columns = [*case_keys, "winner", "winner_model", "winner_start_method", "runner_up"]
    rows = []
    for key, case in pool.groupby(case_keys, dropna=False, sort=True):
        times = case.pivot_table(
            index="round", columns="benchmark", values="time_s", aggfunc="median"
        )
        relative = times.div(times.min(axis=1), axis=0).median().sort_index(kind="stable")
        ranked = relative.sort_values(kind="stable").index.tolist()
        first = case[case["benchmark"] == ranked[0]].iloc[0]
        row = dict(zip(case_keys, key, strict=True)) | {
            "winner": ranked[0],
            "winner_model": first["model"],
            "winner_start_method": first["start_method"],
            "runner_up": ranked[1] if len(ranked) > 1 else None,
            "runner_up_model": None,
            "margin": math.nan,
            "candidates": len(ranked),
            "rounds": len(times),
        }
        if len(ranked) > 1:
            second = case[case["benchmark"] == ranked[1]].iloc[0]
            row["runner_up_model"] = second["model"]
            row["margin"] = float((times[ranked[1]] / times[ranked[0]]).median())
        rows.append(row)
    if not rows:
        return pd.DataFrame(columns=[*out_columns, "runner_up_model", "margin"])
    return pd.DataFrame(rows)


def granularity_ratios(frame: pd.DataFrame) -> pd.DataFrame:
    """Process pool against the plain loop and the thread pool, per task length.

    Family ``granularity``: ``size_label`` is the task length (ordered by ``size``),
    ``payload_bytes`` what each task carries each way. One row per machine, run,
    interpreter, payload, pool worker count, chunksize setting and task length:
    ``vs_sequential`` = loop time / process-pool time and ``vs_thread_pool`` =
    thread-pool time / process-pool time (> 1: the process pool is faster), and
    ``thread_pool_vs_sequential``; each a median over rounds of within-round
    ratios. The chunksize setting is ``"1"`` (one message per task) or ``"auto"``
    (tasks / (4 x workers) per message); where "auto" comes out as 1 for a task
    length, the matrix runs that case once and it stands for both settings.
    """
    if frame.empty or "family" not in frame.columns:
        return pd.DataFrame()
    per_round = round_times(frame[frame["family"] == "granularity"])
    if per_round.empty:
        return pd.DataFrame()
    series_keys = present(per_round, [*RUN_KEYS, "interpreter", "payload_bytes"])
    size_keys = [*series_keys, "size", "size_label"]
    round_keys = [*size_keys, "round"]
    # the loop, the thread pool and the process pool the claim names, by their roles
    loop, thread_pool = model_of(Role.LOOP), model_of(Role.THREAD_POOL)
    seq = per_round[per_round["model"] == loop].loc[:, [*round_keys, "time_s"]]
    seq = seq.rename(columns={"time_s": "sequential_s"})
    tp = per_round[per_round["model"] == thread_pool].loc[:, [*round_keys, "workers", "time_s"]]
    tp = tp.rename(columns={"time_s": "thread_pool_s"})
    pp = per_round[per_round["model"] == model_of(Role.PROCESS_POOL)]
    settings = []
    for setting in ("1", "auto"):
        if setting == "1":
            chosen = pp[pp["chunksize"] == 1]
        else:  # the largest chunksize at each length: the "auto" case, or 1 where auto was 1
            top = pp.groupby([*size_keys, "workers"], dropna=False)["chunksize"].transform("max")
            chosen = pp[pp["chunksize"] == top]
        settings.append(chosen.assign(setting=setting))
    procs = pd.concat(settings, ignore_index=True)
    procs = procs.loc[:, [*round_keys, "workers", "setting", "chunksize", "time_s"]]
    paired = procs.merge(seq, on=round_keys, how="inner").merge(
        tp, on=[*round_keys, "workers"], how="left"
    )
    paired = paired.assign(
        vs_sequential=paired["sequential_s"] / paired["time_s"],
        vs_thread_pool=paired["thread_pool_s"] / paired["time_s"],
        thread_pool_vs_sequential=paired["sequential_s"] / paired["thread_pool_s"],
    )
    out_keys = [*size_keys, "workers", "setting"]
    return (
        paired.groupby(out_keys, dropna=False)
        .agg(
            chunksize=("chunksize", "max"),
            vs_sequential=("vs_sequential", "median"),
            vs_thread_pool=("vs_thread_pool", "median"),
            thread_pool_vs_sequential=("thread_pool_vs_sequential", "median"),
            rounds=("round", "nunique"),
        )
        .reset_index()
        .rename(columns={"setting": "chunksize_setting"})
        .sort_values([*series_keys, "workers", "chunksize_setting", "size"], kind="stable")
        .reset_index(drop=True)
    )


def crossovers(frame: pd.DataFrame) -> pd.DataFrame:
    """The task length from which on the process pool beats the loop and the thread pool.

    Per machine, run, interpreter, payload, worker count and chunksize setting (see
    ``granularity_ratios``): ``crossover`` is the shortest task length measured from
    which on, at every longer length measured too, the process pool is faster than
    both the plain loop and the thread pool (a win at a short length followed by a
    loss does not count: that is noise or a detour, not a crossing). ``None``
    where it never does, including where it wins at no length or only at some
    length before a loss. ``vs_sequential`` / ``vs_thread_pool`` are the ratios at
    the crossover (NaN without one); ``lengths`` lists the task lengths measured.
    """
    ratios = granularity_ratios(frame)
    keys = present(
        ratios, [*RUN_KEYS, "interpreter", "payload_bytes", "workers", "chunksize_setting"]
    )
    columns = [*keys, "crossover", "crossover_size", "vs_sequential", "vs_thread_pool", "lengths"]
    if ratios.empty:
        return pd.DataFrame(columns=columns)
    rows = []
    for key, unsorted in ratios.groupby(keys, dropna=False, sort=True):
        part = unsorted.sort_values("size", kind="stable")
        # a thread pool not measured at some length cannot be beaten there: ignore it
        beats = (part["vs_sequential"] > 1) & ~(part["vs_thread_pool"] <= 1)
        crossing = None
        for position in range(len(part)):
            if beats.iloc[position:].all():
                crossing = part.iloc[position]
                break
        rows.append(
            dict(zip(keys, key, strict=True))
            | {
                "crossover": None if crossing is None else crossing["size_label"],
                "crossover_size": None if crossing is None else int(crossing["size"]),
                "vs_sequential": math.nan if crossing is None else crossing["vs_sequential"],
                "vs_thread_pool": math.nan if crossing is None else crossing["vs_thread_pool"],
                "lengths": ",".join(part["size_label"].astype(str)),
            }
        )
    out = pd.DataFrame(rows, columns=columns)
    # None, not NaN, where there is none (and a length stays an int)
    for column, kind in (("crossover", str), ("crossover_size", int)):
        out[column] = pd.Series(
            [None if pd.isna(v) else kind(v) for v in out[column]], index=out.index, dtype=object
        )
    return out
