"""Free-threaded Python judged against the default build measured beside it.

A free-threaded build's threads judged against its own loop look better than they
are: that loop is slower than the default build's. These claims pair the two builds
within a round (``bench.families.free_threading.crossbuild``) and so need both in one run: they see
every interpreter of the machine (``across_interpreters``) and judge the one marked.
"""

from __future__ import annotations

from typing import Any

import pandas as pd

from bench.families.free_threading.crossbuild import (
    DEFAULT_BUILD,
    DESCRIBED,
    FREE_THREADING_BUILD,
    build_pairs,
    builds,
    estimate_of,
    flags_differ,
    flags_text,
    same_work,
    single_thread_cost,
    task_label,
)
from bench.models import Role, model_of
from bench.report.claims import (
    JUDGED,
    MIXED_OR_UNCLEAR,
    Bound,
    Judgement,
    Verdict,
    chosen_start_method,
    claim,
    estimate_figures,
    judge_estimate,
    kept_text,
    no_data,
    reference,
    verdict_of_judgements,
)
from bench.report.estimate import Estimate
from bench.report.format import format_estimate, format_threshold
from bench.report.select import (
    config_label,
    model_label,
    where,
)

#: "Nearly as fast": at most 10 % slower. The Python 3.14 documentation gives the
#: free-threaded build's single-thread overhead as roughly 5-10 %: that holds.
NEARLY_AS_FAST = 1.10
#: A quarter slower is a cost a program feels; the 3.13 free-threading HOWTO gave about
#: 40 % (on pyperformance), well past it: that does not hold. Between: inconclusive.
CLEARLY_SLOWER = 1.25
#: The workloads judged: the pure-Python prime counter, every task length measured.
#: (The figure shows the other CPU workloads too.)
JUDGED_FAMILY = "cpu_python"
#: The family of the capacity probes (how many cores the host gave in each round).
CAPACITY = "capacity"

PAIR_NEEDED = "a free-threaded build and a default build of the same series in one run"


def judged_pair(frame: pd.DataFrame) -> tuple[pd.Series | None, Verdict | None]:
    """The pair of builds (a row of ``crossbuild.build_pairs``, newest run) whose
    free-threaded interpreter is judged, or the verdict to give instead: no data where
    there is no pair, and for the default build, which is the pair's reference."""
    pairs = build_pairs(frame)
    if JUDGED in frame.columns:
        judged = set(frame.loc[frame[JUDGED].astype(bool), "interpreter"].dropna())
    else:  # called on one interpreter's rows, or on a run: its free-threaded builds
        judged = set(pairs["interpreter"])
    mine = pairs[pairs["interpreter"].isin(judged)]
    if mine.empty:
        kinds = builds(frame)
        default = kinds[kinds["interpreter"].isin(judged) & (kinds["build"] == DEFAULT_BUILD)]
        if not default.empty and default["interpreter"].isin(pairs["default_interpreter"]).any():
            return None, reference(
                "this is the default build: the reference the free-threaded build beside "
                "it is measured against"
            )
        return None, no_data(unpaired_reason(kinds, judged))
    newest = mine.sort_values(["run_id", "interpreter"] if "run_id" in mine else "interpreter")
    return newest.iloc[-1], None


def unpaired_reason(kinds: pd.DataFrame, judged: set[Any]) -> str:
    """Why a free-threaded build has no pair: no default build of its own series in its run
    (one of another series is never its reference), or nothing to pair at all."""
    free = kinds[kinds["interpreter"].isin(judged) & (kinds["build"] == FREE_THREADING_BUILD)]
    others = kinds[kinds["build"] == DEFAULT_BUILD]["minor"].dropna()
    if free.empty or free["minor"].dropna().empty or others.empty:
        return PAIR_NEEDED
    series = str(free["minor"].dropna().iloc[0])
    measured = ", ".join(sorted(set(others.astype(str))))
    return (
        f"a default build of the {series} series beside this free-threaded build (the run "
        f"has {measured} only): builds of different series are not compared"
    )


def of_pair(table: pd.DataFrame, pair: pd.Series) -> pd.DataFrame:
    """The rows of ``table`` that belong to ``pair`` (its run and free-threaded build)."""
    if table.empty:
        return table
    keys = [k for k in ("machine", "run_id", "interpreter") if k in table and k in pair]
    mask = pd.Series(True, index=table.index)
    for key in keys:
        mask &= table[key] == pair[key]
    return table[mask]


def judgement_of(estimate: Estimate, dropped: int = 0) -> Judgement:
    """Holds when the whole interval of a time ratio (free-threaded over default) lies
    below ``NEARLY_AS_FAST``; does not hold when it lies above ``CLEARLY_SLOWER``."""
    return judge_estimate(
        estimate,
        holds=Bound(NEARLY_AS_FAST, above=False),
        fails=Bound(CLEARLY_SLOWER, above=True),
        dropped=dropped,
    )


def pair_words(pair: pd.Series) -> str:
    """Both builds by name, version and build flags, and how they were built differently:
    "cpython-3.13.5t (3.13.5, GIL off; PGO no, LTO no) against cpython-3.13.0 (3.13.0;
    PGO no, LTO no)"."""
    gil = {"disabled": "GIL off", "enabled": "GIL on"}.get(pair["gil"], "GIL unknown")
    words = (
        f"{pair['interpreter']} ({pair.get('version') or 'version unknown'}, {gil}; "
        f"{flags_text(pair)}) against {pair['default_interpreter']} "
        f"({pair.get('default_version') or 'version unknown'}; {flags_text(pair, 'default_')})"
    )
    differ = flags_differ(pair)
    if differ:  # then part of the gap is how each was built, not the GIL
        words += f", built differently ({'; '.join(differ)}): part of the gap is the build"
    return words


def builds_figures(pair: pd.Series) -> dict[str, Any]:
    """Both sides of a pair as the figures keep them: version and build flags."""
    return {
        side: {name: pair.get(f"{prefix}{name}") for name in DESCRIBED}
        for side, prefix in (("free_threaded", ""), ("default", "default_"))
    } | {"flags_differ": flags_differ(pair)}


THRESHOLDS = (
    f"holds when the 95% interval of that time ratio lies below "
    f"{format_threshold(NEARLY_AS_FAST)} (at most 10% slower: the free-threaded build's "
    f"single-thread overhead of roughly 5-10% in the Python 3.14 documentation); does not "
    f"hold when it lies above {format_threshold(CLEARLY_SLOWER)} (a quarter slower, a cost "
    f"a program feels; the Python 3.13 free-threading HOWTO gave about 40%); "
    f"{MIXED_OR_UNCLEAR}"
)


#: The figures that show these claims (drawn by ``figures.py``).
COST_FIGURE = "free-threading-cost"
SAME_WORK_FIGURE = "free-threading-same-work"


@claim(
    "free_threading_single_thread_cost",
    order=62,
    statement="A free-threaded build runs single-threaded Python code nearly as fast as the "
    "default build.",
    measured_by="time of the plain loop on the pure-Python CPU tasks, a free-threaded build over "
    "a default build of the same series measured beside it (3.13t over 3.13, never over "
    "another series; the evidence names both patch versions and build flags), taken within "
    "each round",
    criteria=f"{THRESHOLDS}; judged on every task length of the prime counter; needs both "
    f"builds in one run",
    across_interpreters=True,
    figures=(COST_FIGURE,),
)
def free_threading_single_thread_cost(frame: pd.DataFrame) -> Verdict:
    """Holds when, for every pure-Python task length, the interval of the free-threaded
    loop's time over the default build's lies below 1.10x; does not hold when every one
    lies above 1.25x; depends or is inconclusive otherwise (saying on what)."""
    pair, instead = judged_pair(frame)
    if pair is None:
        return instead or no_data(PAIR_NEEDED)
    costs = of_pair(single_thread_cost(where(frame, family=JUDGED_FAMILY)), pair)
    if costs.empty:
        return no_data(f"the plain loop on pure-Python CPU tasks under both builds ({PAIR_NEEDED})")
    estimates = {
        str(row["group"]): estimate_of(row, "cost")
        for _, row in costs.sort_values("size").iterrows()
    }
    figures: dict[str, Any] = {
        "default_interpreter": pair["default_interpreter"],
        "gil": pair["gil"],
        "builds": builds_figures(pair),
        "cost": {group: estimate_figures(e) for group, e in estimates.items()},
    }
    line = f"plain loop, {pair_words(pair)}: " + ", ".join(
        f"{task_label(group)} {format_estimate(e)} the time" for group, e in estimates.items()
    )
    return verdict_of_judgements(
        {task_label(g): judgement_of(e) for g, e in estimates.items()},
        line,
        figures,
        across="the task length",
    )


def free_thread_comparison(frame: pd.DataFrame) -> pd.DataFrame:
    """``crossbuild.same_work`` with the default build's process pool at the platform's
    default start method (``core.chosen_start_method``), as the claims choose it: the
    figure shows exactly the numbers the verdict rests on."""
    return same_work(frame, chosen_start_method)


def judged_workers(table: pd.DataFrame) -> int | None:
    """2 workers where measured, else the fewest above one (as the GIL claims)."""
    counts = sorted(int(w) for w in table["workers"].unique() if w >= 2)
    if not counts:
        return None
    return 2 if 2 in counts else counts[0]


@claim(
    "free_threads_replace_processes",
    order=64,
    statement="On a free-threaded build, threads run CPU-heavy Python code as fast as "
    "processes do on the default build.",
    measured_by="time of a thread pool on a free-threaded build over a process pool on a "
    "default build of the same series measured beside it (its platform's default start "
    "method; the evidence names both patch versions and build flags), same pure-Python "
    "task and worker count, taken within each round",
    criteria=f"{THRESHOLDS}; judged at 2 workers on every task length of the prime counter; "
    f"rounds in which either build had too little parallel capacity are left out; needs "
    f"both builds in one run",
    across_interpreters=True,
    figures=(SAME_WORK_FIGURE,),
)
def free_threads_replace_processes(frame: pd.DataFrame) -> Verdict:
    """Holds when, for every pure-Python task length, the interval of the free-threaded
    thread pool's time over the default build's process pool's lies below 1.10x; does not
    hold when every one lies above 1.25x; depends or is inconclusive otherwise."""
    pair, instead = judged_pair(frame)
    if pair is None:
        return instead or no_data(PAIR_NEEDED)
    # the capacity probes come along: a round of too little capacity is left out
    table = of_pair(free_thread_comparison(where(frame, family=(JUDGED_FAMILY, CAPACITY))), pair)
    if table.empty:
        return no_data(f"threads and a process pool on pure-Python CPU tasks ({PAIR_NEEDED})")
    # Free-threaded threads are judged as a pool against the default build's process pool,
    # both warm (like for like), fixed before any timing; plain threads where no pool ran.
    measured = set(table["model"])
    model = next(m for m in (model_of(Role.THREAD_POOL), model_of(Role.THREADS)) if m in measured)
    table = table[table["model"] == model]
    workers = judged_workers(table)
    if workers is None:
        return no_data("more than one worker on pure-Python CPU tasks")
    rows = table[table["workers"] == workers].sort_values("size")
    default = pair["default_interpreter"]
    judgements, per_task, parts = {}, {}, []
    for _, row in rows.iterrows():
        vs_pool, vs_loop = estimate_of(row, "vs_pool"), estimate_of(row, "vs_loop")
        pool_vs_loop = estimate_of(row, "pool_vs_loop")
        dropped = int(row["dropped"])
        pool = config_label(model_of(Role.PROCESS_POOL), row["pool_start_method"])
        group = str(row["group"])
        judgements[task_label(group)] = judgement_of(vs_pool, dropped)
        per_task[group] = {
            "vs_pool": estimate_figures(vs_pool),
            "vs_default_loop": estimate_figures(vs_loop),
            "default_pool_vs_default_loop": estimate_figures(pool_vs_loop),
            "dropped_low_capacity": dropped,
            "pool": pool,
        }
        parts.append(
            f"{task_label(group)}: {format_estimate(vs_pool)} the time of {default}'s {pool}"
            f"{kept_text(vs_pool.n, dropped)}; over {default}'s loop, {model_label(model)} "
            f"{format_estimate(vs_loop)} and its {pool} {format_estimate(pool_vs_loop)}"
        )
    figures = {
        "default_interpreter": pair["default_interpreter"],
        "gil": pair["gil"],
        "builds": builds_figures(pair),
        "model": model,
        "workers": workers,
        "tasks": per_task,
    }
    line = f"{model_label(model)}, {workers} workers, {pair_words(pair)}: " + "; ".join(parts)
    return verdict_of_judgements(judgements, line, figures, across="the task length")
