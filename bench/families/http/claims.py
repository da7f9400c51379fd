"""HTTP at scale: asyncio holds thousands of requests in flight on less memory than threads."""

from __future__ import annotations

from typing import Any

import pandas as pd

from bench.families.http.clients import CLIENTS
from bench.families.http.figures import HTTP_FIGURES
from bench.report.claims import (
    DOES_NOT_HOLD,
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
        return pd.DataFrame(columns=["run_id", "round", "model", "workers", "value"])
    part = part.assign(value=part["value"].astype(float))
    keys = ["run_id", "round", "model", "workers"]
    return part.groupby(keys, dropna=False)["value"].median().reset_index()


def error_fraction(rows: pd.DataFrame, model: str, workers: int) -> float | None:
    """The share of ``model``'s requests that failed at ``workers``, over every round."""
    mine = rows[(rows["model"] == model) & (rows["workers"] == workers)]
    failed = where(mine, metric="errors")["value"].astype(float).sum()
    sent = failed + where(mine, metric="requests_succeeded")["value"].astype(float).sum()
    return float(failed / sent) if sent else None


@claim(
    "asyncio_scales_connections",
    order=85,
    statement="asyncio handles thousands of concurrent requests with less memory than threads.",
    measured_by="peak RSS of a requests client on threads over that of each asyncio client "
    "(aiohttp, httpx async) at the highest concurrency measured, against a real HTTP server",
    criteria=f"judged at the highest concurrency measured, at least {THOUSANDS:,}; per "
    f"asyncio client, holds when it failed at most {format_percent(HANDLED_ERRORS)} of its "
    f"requests and the 95% interval of the threads' peak RSS over its own lies at or above "
    f"{format_threshold(HTTP_MEMORY_RATIO)}; does not hold when it failed more, or the "
    f"interval lies below {format_threshold(HTTP_SAME_MEMORY)}; {MIXED_OR_UNCLEAR}; the "
    f"claim holds when it holds for every asyncio client measured",
    figures=(HTTP_FIGURES,),
)
def asyncio_scales_connections(frame: pd.DataFrame) -> Verdict:
    """Per asyncio client at the highest concurrency both it and the threaded client
    reached: did it handle it (errors), and on how much less memory (paired by round)."""
    rows = http_rows(frame)
    rss = per_round(rows, "peak_rss_bytes")
    threaded = rss[rss["model"] == THREADED_CLIENT]
    if threaded.empty or not rss["model"].isin(ASYNC_CLIENTS).any():
        return no_data("peak RSS of the threaded and the asyncio HTTP clients")
    judgements: dict[str, Judgement] = {}
    figures: dict[str, Any] = {"group": str(rows["group"].iloc[0]), "clients": {}}
    texts = []
    for client in ASYNC_CLIENTS:
        mine = rss[rss["model"] == client]
        common = sorted(set(mine["workers"]) & set(threaded["workers"]))
        if not common:
            continue
        workers = int(common[-1])
        if workers < THOUSANDS:
            texts.append(f"{CLIENTS[client].label}: measured up to {workers:,} in flight only")
            continue
        keys = ["run_id", "round"]
        paired = threaded[threaded["workers"] == workers].merge(
            mine[mine["workers"] == workers], on=keys, suffixes=("_threads", "_async")
        )
        estimate = ratio_estimate(list(paired["value_threads"] / paired["value_async"]))
        failed = error_fraction(rows, client, workers)
        figures["clients"][client] = {
            "workers": workers,
            "error_fraction": failed,
            "threads_rss_bytes": float(paired["value_threads"].median()),
            "async_rss_bytes": float(paired["value_async"].median()),
        } | estimate_figures(estimate)
        label = CLIENTS[client].label
        text = (
            f"{label} at {workers:,} in flight: threads' peak RSS "
            f"{format_bytes(paired['value_threads'].median())} vs "
            f"{format_bytes(paired['value_async'].median())}, ratio {format_estimate(estimate)}"
        )
        started = per_round(rows, "threads_created")
        started = started[(started["model"] == THREADED_CLIENT) & (started["workers"] == workers)]
        if not started.empty:  # a thread pool starts threads only when none is idle
            text += f" (the threads' client started {int(started['value'].median()):,} threads)"
        if failed is not None and failed > HANDLED_ERRORS:
            texts.append(f"{text}; but {format_percent(failed)} of its requests failed")
            judgements[label] = Judgement(DOES_NOT_HOLD)
            continue
        texts.append(text)
        judgements[label] = judge_estimate(
            estimate,
            holds=Bound(HTTP_MEMORY_RATIO, above=True),
            fails=Bound(HTTP_SAME_MEMORY, above=False),
        )
    if not judgements:
        return no_data(
            f"both kinds of client at {THOUSANDS:,} or more requests in flight"
            + (f" ({'; '.join(texts)})" if texts else "")
        )
    return verdict_of_judgements(judgements, "; ".join(texts), figures, across="the client")
