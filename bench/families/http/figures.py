"""HTTP at scale: throughput, p99 latency and peak memory against requests in flight, a line
per client library, one SVG per group (service latency and payload)."""

from __future__ import annotations

import pandas as pd

from bench.families.http.clients import CLIENTS
from bench.report.figures.registry import figure_per_group
from bench.report.figures.style import (
    BLUE,
    GREEN,
    OCHRE,
    PURPLE,
    VERMILLION,
    FigureWithAlt,
    axes_grid,
    legend_below,
    new_figure,
    plain_log_ticks,
    worker_axis,
)
from bench.report.format import format_bytes, format_number
from bench.report.select import interpreter_label, pick, slug

CLIENT_COLOURS = {
    "requests_threads": BLUE,
    "httpx_threads": GREEN,
    "httpx_async": OCHRE,
    "aiohttp": VERMILLION,
    "requests_processes": PURPLE,
}
#: The panels, left to right: metric, y label, scale of the value.
PANELS = (
    ("requests_per_second", "requests per second (log scale)", 1.0),
    ("p99_latency_seconds", "p99 latency per request (ms, log scale)", 1e3),
    ("peak_rss_bytes", "peak RSS of the client (MiB, log scale)", 1 / (1 << 20)),
)
METRICS = tuple(metric for metric, _, _ in PANELS)


def http_groups(frame: pd.DataFrame) -> list[str]:
    rows = pick(frame, measure="http")
    return sorted(rows["group"].dropna().unique()) if not rows.empty else []


def http_name(group: str) -> str:
    return f"http-{slug(group.split(':', 1)[-1])}"


#: Every group's figure: what the HTTP claim shows.
HTTP_FIGURES = "http-*"


def http_title(group: str) -> str:
    return f"HTTP at scale: {group.split(':', 1)[-1]}"


def select_http(frame: pd.DataFrame, group: str) -> pd.DataFrame:
    rows = pick(frame, measure="http", group=group)
    return rows[rows["metric"].isin(METRICS)] if not rows.empty else rows


@figure_per_group(
    name="http",
    groups=http_groups,
    file_name=http_name,
    title=http_title,
    select=select_http,
    order=45,
)
def make_http(frame: pd.DataFrame, group: str) -> FigureWithAlt:
    """Three panels per interpreter (throughput, p99 latency, peak RSS) against requests in
    flight, log-log, a line per client: the median over rounds of each."""
    rows = select_http(frame, group)
    if rows.empty:
        return None
    interpreters = sorted(rows["interpreter"].unique())
    workers = sorted(int(w) for w in rows["workers"].unique())
    fig = new_figure(len(PANELS), len(interpreters))
    axes = axes_grid(fig, len(PANELS), len(interpreters))
    summary = []
    for r, interpreter in enumerate(interpreters):
        part = rows[rows["interpreter"] == interpreter]
        medians = part.groupby(["metric", "model", "workers"])["value"].median()
        for ax, (metric, label, scale) in zip(axes[r], PANELS, strict=True):
            for client in (c for c in CLIENTS if c in set(part["model"])):
                if (metric, client) not in medians.index.droplevel("workers"):
                    continue
                line = medians.loc[(metric, client)].sort_index()
                ax.plot(
                    line.index.astype(int),
                    line.to_numpy() * scale,
                    marker="o",
                    linewidth=2,
                    color=CLIENT_COLOURS.get(client, BLUE),
                    linestyle="--" if CLIENTS[client].uses_processes else "-",
                    label=CLIENTS[client].label,
                )
            # what the client was given: what it kept is the HTTP table's (http_in_flight)
            worker_axis(ax, workers, "requests in flight, configured")
            ax.set_yscale("log")
            plain_log_ticks(ax.yaxis, format_number)
            ax.set_ylabel(label)
            ax.set_title(f"{interpreter_label(rows, interpreter)}\n{label.split(' (')[0]}")
        top = int(part["workers"].max())
        rss = part[(part["metric"] == "peak_rss_bytes") & (part["workers"] == top)]
        items = ", ".join(
            f"{CLIENTS[m].label if m in CLIENTS else m} {format_bytes(v)}"
            for m, v in rss.groupby("model")["value"].median().sort_values().items()
        )
        summary.append(
            f"{interpreter} at {top:,} configured in flight, peak RSS: {items or 'none'}"
        )
    fig.suptitle(http_title(group))
    legend_below(fig, list(axes.flat), ncols=5)
    alt = (
        "Requests per second, p99 latency per request and the client's peak RSS against "
        "the number of requests in flight it was configured for (log-log), one line per "
        "client library, the "
        f"process pool of threaded clients dashed. {'; '.join(summary)}."
    )
    return fig, alt
