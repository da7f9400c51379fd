"""HTTP at scale: asyncio holds thousands of requests in flight on less memory than threads."""

from __future__ import annotations

from typing import Any

import pandas as pd

from bench.families.http.clients import CLIENTS
from bench.families.http.figures import HTTP_FIGURES
from bench.report.claims import (
    DOES_NOT_HOLD,
    INCONCLUSIVE,
    MIXED_OR_UNCLEAR,
    Bound,
    Judgement,
    Verdict,
    claim,
    estimate_figures,
    judge_estimate,
    no_data,
    verdict_of_judgements,
)
from bench.report.estimate import ratio_estimate
from bench.report.format import format_bytes, format_estimate, format_percent, format_threshold
from bench.report.select import where

#: "Thousands of concurrent requests": the claim is judged at the highest concurrency
#: measured, and only if it reaches this.
THOUSANDS = 1024
#: The asyncio clients "handle" a concurrency when at most this fraction of their
#: requests failed (any kind: refused, timed out, EMFILE, past the batch's deadline).
HANDLED_ERRORS = 0.01
#: "Less memory": the threaded client's peak RSS over the asyncio client's, per round,
#: must be at least this (a fifth more); below 1.0 the threads used less.
HTTP_MEMORY_RATIO = 1.25
HTTP_SAME_MEMORY = 1.0
THREADED_CLIENT = "requests_threads"
ASYNC_CLIENTS = tuple(name for name, c in CLIENTS.items() if c.is_async)
#: The group judged where several were measured: fixed before looking at any number.
PREFERRED_GROUP = "http:http[10ms] payload=1KiB"


def http_rows(frame: pd.DataFrame) -> pd.DataFrame:
    """The HTTP measure's rows of one group: ``PREFERRED_GROUP`` if measured, else the
    group measured at the highest concurrency (the first by name on a tie)."""
    rows = where(frame, measure="http")
    if rows.empty:
        return rows
    groups = rows.groupby("group")["workers"].max().sort_index()
    chosen = PREFERRED_GROUP if PREFERRED_GROUP in groups.index else groups.idxmax()
    return rows[rows["group"] == chosen]


def per_round(rows: pd.DataFrame, metric: str) -> pd.DataFrame:
    """The median of ``metric`` per client, concurrency and round (of each run)."""
    part = where(rows, metric=metric)
    if part.empty:
        return pd.DataFrame(columns=[*ROUND_KEYS, "value"])
    part = part.assign(value=part["value"].astype(float))
    return part.groupby(ROUND_KEYS, dropna=False)["value"].median().reset_index()


ROUND_KEYS = ["run_id", "round", "model", "workers"]


def error_fraction(rows: pd.DataFrame, model: str, workers: int) -> float | None:
    """The share of ``model``'s requests that failed at ``workers``, over every round."""
    mine = rows[(rows["model"] == model) & (rows["workers"] == workers)]
    failed = where(mine, metric="errors")["value"].astype(float).sum()
    sent = failed + where(mine, metric="requests_succeeded")["value"].astype(float).sum()
    return float(failed / sent) if sent else None


#: How a batch's requests in flight are known: measured (the seconds each request spent in
#: flight, summed, over the batch's wall time), or, for results recorded before that, by
#: Little's law from the throughput and the median latency (the mean was not recorded).
MEASURED, LITTLE = "measured", "throughput x median latency"


def achieved_in_flight(rows: pd.DataFrame) -> pd.DataFrame:
    """Per run, round, client and configured concurrency (``workers``): the requests the
    client really kept in flight on average (``value``) and how that is known (``how``).
    A thread pool that starts its threads slowly keeps far fewer than it was given."""
    measured = per_round(rows, "mean_in_flight").assign(how=MEASURED)
    rate = per_round(rows, "requests_per_second")
    p50 = per_round(rows, "p50_latency_seconds")
    little = rate.merge(p50, on=ROUND_KEYS, suffixes=("_rate", "_p50"))
    little = little.assign(value=little["value_rate"] * little["value_p50"], how=LITTLE)
    little = little.loc[:, [*ROUND_KEYS, "value", "how"]]
    known = measured.set_index(ROUND_KEYS).index
    little = little[~little.set_index(ROUND_KEYS).index.isin(known)]
    parts = [part for part in (measured, little) if not part.empty]
    if not parts:
        return pd.DataFrame(columns=[*ROUND_KEYS, "value", "how"])
    return pd.concat(parts, ignore_index=True)


def in_flight_by_setting(achieved: pd.DataFrame, model: str) -> dict[int, float]:
    """A client's median requests in flight per configured concurrency."""
    mine = achieved[achieved["model"] == model]
    return {int(w): float(part["value"].median()) for w, part in mine.groupby("workers")}


def equal_footing(threads: dict[int, float], asyncio: dict[int, float]) -> tuple[int, int] | None:
    """The configured concurrencies (threads', asyncio's) at which the two are compared:
    the highest number in flight the threads kept for which some asyncio setting kept at
    least as many, with the asyncio setting that kept the fewest such. Fixed from the
    numbers in flight, before any memory is read; the asyncio client carries at least the
    threads' load, so a memory gap cannot come from carrying less."""
    for workers, level in sorted(threads.items(), key=lambda item: -item[1]):
        enough = [w for w, kept in asyncio.items() if kept >= level]
        if enough:
            return workers, min(enough, key=lambda w: asyncio[w])
    return None


def in_flight_text(value: float) -> str:
    return f"{value:,.0f}"


def threads_text(rows: pd.DataFrame, threads_kept: dict[int, float]) -> str:
    """The most the threaded client kept in flight, at which setting, with the threads its
    pool started there (a thread pool starts a thread only when none is idle)."""
    most = max(threads_kept, key=lambda w: threads_kept[w])
    started = per_round(rows, "threads_created")
    started = started[(started["model"] == THREADED_CLIENT) & (started["workers"] == most)]
    threads = f", {int(started['value'].median()):,} threads started" if not started.empty else ""
    return (
        f"{CLIENTS[THREADED_CLIENT].label} kept at most {in_flight_text(threads_kept[most])} "
        f"in flight ({most:,} configured{threads})"
    )


def judge_client(
    client: str, rows: pd.DataFrame, rss: pd.DataFrame, achieved: pd.DataFrame
) -> tuple[str, Judgement | None, dict[str, Any]]:
    """One asyncio client: its words, its judgement (None where it was not measured at
    thousands) and its figures."""
    label = CLIENTS[client].label
    mine, threaded = rss[rss["model"] == client], rss[rss["model"] == THREADED_CLIENT]
    top = int(mine["workers"].max())
    if top < THOUSANDS:
        return f"{label}: measured up to {top:,} in flight only", None, {}
    kept = in_flight_by_setting(achieved, client)
    threads_kept = in_flight_by_setting(achieved, THREADED_CLIENT)
    failed = error_fraction(rows, client, top)
    entry: dict[str, Any] = {"workers": top, "error_fraction": failed, "in_flight": kept.get(top)}
    text = f"{label} kept {in_flight_text(kept.get(top, float('nan')))} in flight at {top:,}"
    if failed is not None and failed > HANDLED_ERRORS:
        text += f"; but {format_percent(failed)} of its requests failed"
        return text, Judgement(DOES_NOT_HOLD), entry
    if kept.get(top, 0.0) < THOUSANDS:
        why = f"{label} never had {THOUSANDS:,} requests in flight"
        return text, Judgement(INCONCLUSIVE, why), entry
    pair = equal_footing(threads_kept, kept)
    if pair is None:
        why = f"no setting of {label} kept as many in flight as the threads"
        return text, Judgement(INCONCLUSIVE, why), entry
    threads_at, async_at = pair
    paired = threaded[threaded["workers"] == threads_at].merge(
        mine[mine["workers"] == async_at], on=["run_id", "round"], suffixes=("_t", "_a")
    )
    estimate = ratio_estimate(list(paired["value_t"] / paired["value_a"]))
    entry |= {
        "threads_workers": threads_at,
        "async_workers": async_at,
        "threads_in_flight": threads_kept[threads_at],
        "async_in_flight": kept[async_at],
        "threads_rss_bytes": float(paired["value_t"].median()),
        "async_rss_bytes": float(paired["value_a"].median()),
    } | estimate_figures(estimate)
    text += (
        f"; at equal footing the threads' {in_flight_text(threads_kept[threads_at])} in "
        f"flight took {format_bytes(entry['threads_rss_bytes'])} peak RSS, its "
        f"{in_flight_text(kept[async_at])} ({async_at:,} configured) "
        f"{format_bytes(entry['async_rss_bytes'])}: ratio {format_estimate(estimate)}"
    )
    if threads_kept[threads_at] < THOUSANDS:  # the comparison cannot be made at thousands
        text += f" (the threads never kept {THOUSANDS:,} in flight: compared where they got)"
    judged = judge_estimate(
        estimate,
        holds=Bound(HTTP_MEMORY_RATIO, above=True),
        fails=Bound(HTTP_SAME_MEMORY, above=False),
    )
    return text, judged, entry


@claim(
    "asyncio_scales_connections",
    order=85,
    statement="asyncio handles thousands of concurrent requests with less memory than threads.",
    measured_by="requests each client really kept in flight, and the peak RSS of a requests "
    "client on threads over that of each asyncio client (aiohttp, httpx async) at equal "
    "requests in flight, against a real HTTP server",
    criteria=f"per asyncio client, at its highest concurrency measured (at least "
    f"{THOUSANDS:,}): it must keep at least {THOUSANDS:,} requests in flight on average and "
    f"fail at most {format_percent(HANDLED_ERRORS)} of its requests; its memory is compared "
    f"with the threaded client's at equal requests really in flight (the most the threads "
    f"kept, against the asyncio setting that kept at least as many); holds when the 95% "
    f"interval of the threads' peak RSS over its own lies at or above "
    f"{format_threshold(HTTP_MEMORY_RATIO)}; does not hold when it failed more, or the "
    f"interval lies below {format_threshold(HTTP_SAME_MEMORY)}; {MIXED_OR_UNCLEAR}; the "
    f"claim holds when it holds for every asyncio client measured",
    figures=(HTTP_FIGURES,),
)
def asyncio_scales_connections(frame: pd.DataFrame) -> Verdict:
    """Per asyncio client: did it keep thousands of requests in flight (errors too), and,
    at equal requests really in flight, on how much less memory than the threaded client
    (paired by round)."""
    rows = http_rows(frame)
    rss = per_round(rows, "peak_rss_bytes")
    if not (rss["model"] == THREADED_CLIENT).any() or not rss["model"].isin(ASYNC_CLIENTS).any():
        return no_data("peak RSS of the threaded and the asyncio HTTP clients")
    achieved = achieved_in_flight(rows)
    threads_kept = in_flight_by_setting(achieved, THREADED_CLIENT)
    how = sorted(set(achieved["how"])) if not achieved.empty else []
    figures: dict[str, Any] = {
        "group": str(rows["group"].iloc[0]),
        "clients": {},
        "threads_in_flight": {str(w): v for w, v in threads_kept.items()},
        "in_flight_from": how,
    }
    texts = [threads_text(rows, threads_kept)] if threads_kept else []
    judgements: dict[str, Judgement] = {}
    for client in ASYNC_CLIENTS:
        if not (rss["model"] == client).any():
            continue
        text, judged, entry = judge_client(client, rows, rss, achieved)
        texts.append(text)
        if judged is not None:
            judgements[CLIENTS[client].label] = judged
            figures["clients"][client] = entry
    if not judgements:
        return no_data(
            f"both kinds of client at {THOUSANDS:,} or more requests in flight"
            + (f" ({'; '.join(texts)})" if texts else "")
        )
    line = "; ".join(texts) + (f" (requests in flight: {', '.join(how)})" if how else "")
    return verdict_of_judgements(judgements, line, figures, across="the client")
