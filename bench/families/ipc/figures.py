"""Communication: round-trip latency and throughput against payload, per channel."""

from __future__ import annotations

import pandas as pd
from matplotlib.ticker import NullLocator

from bench.families.ipc.metrics import REFERENCE_CHANNELS, ipc_throughput
from bench.report.figures.registry import figure
from bench.report.figures.style import (
    BLUE,
    GREEN,
    OCHRE,
    PURPLE,
    TEXT,
    VERMILLION,
    FigureWithAlt,
    axes_grid,
    legend_below,
    new_figure,
    plain_log_ticks,
)
from bench.report.format import format_payload, format_rate, format_seconds
from bench.report.select import interpreter_label, pick, series_label

TITLE = "Communication: round trip and throughput vs payload"
CHANNEL_COLOURS = {
    "queue.Queue": BLUE,
    "mp.Queue": VERMILLION,
    "mp.Pipe": PURPLE,
    "shared_memory": GREEN,
    "shared_memory_inplace": OCHRE,
    "memcpy": TEXT,  # dashed; mp.Manager, with no colour of its own, is solid
}


def select_ipc(frame: pd.DataFrame) -> pd.DataFrame:
    return pick(frame, measure="ipc", metric="time")


def size_labels(rows: pd.DataFrame) -> dict[int, str]:
    """Each payload by the workload's own label (``4KiB``: short enough for a tick, and
    what the claims call it), else by its bytes."""
    labels = {int(size): format_payload(size) for size in rows["size"].dropna().unique()}
    if "size_label" in rows:
        named = rows.dropna(subset=["size", "size_label"]).drop_duplicates("size")
        labels |= dict(zip(named["size"].astype(int), named["size_label"].astype(str), strict=True))
    return labels


IPC_FIGURE = "ipc"


@figure(IPC_FIGURE, TITLE, select_ipc, order=30)
def make_ipc(frame: pd.DataFrame) -> FigureWithAlt:
    """Round-trip latency and throughput vs payload (log-log), a line per channel, the
    memcpy ceiling dashed; a row per interpreter."""
    rows = select_ipc(frame)
    rows = rows.dropna(subset=["time_s"]) if not rows.empty else rows
    if rows.empty:
        return None
    table = ipc_throughput(rows)
    interpreters = sorted(table["interpreter"].unique())
    sizes = sorted(table["size"].astype(int).unique())
    size_label = size_labels(rows)
    fig = new_figure(2, len(interpreters))
    axes = axes_grid(fig, 2, len(interpreters), sharex=True)
    summary = []
    for r, interpreter in enumerate(interpreters):
        part = table[table["interpreter"] == interpreter]
        latency, rate = axes[r]
        for (model, method), group_rows in part.groupby(["model", "start_method"], dropna=False):
            line = group_rows.sort_values("size")
            ceiling = model == "memcpy"
            style = {
                "color": CHANNEL_COLOURS.get(model, TEXT),
                "linestyle": "--" if ceiling else "-",
                "marker": "" if ceiling else "o",
                "linewidth": 1.2 if ceiling else 2,
                "label": "memcpy (ceiling)" if ceiling else series_label(model, method),
            }
            if model in REFERENCE_CHANNELS:
                # a reference moves, not bytes: a hand-over time, never a throughput
                style["label"] = f"{model} (hand-over of a reference)"
                style["linestyle"] = ":"
            latency.plot(line["size"], line["round_trip_s"] * 1e6, **style)
            if line["mb_per_s"].notna().any():
                rate.plot(line["size"], line["mb_per_s"], **style)
        for ax in (latency, rate):
            ax.set_xscale("log")
            ax.set_yscale("log")
            ax.set_xticks(sizes, [size_label[s] for s in sizes])
            ax.xaxis.set_minor_locator(NullLocator())
            plain_log_ticks(ax.yaxis)
            ax.set_xlabel("payload each way (bytes, log scale)")
        latency.set_ylabel("round trip or hand-over (µs, log scale)")
        rate.set_ylabel("throughput of bytes copied (MB/s, log scale)")
        label = interpreter_label(rows, interpreter)
        latency.set_title(f"{label}\nround-trip latency")
        rate.set_title(f"{label}\nthroughput")
        at_largest = part[part["size"] == part["size"].max()]
        largest = at_largest.dropna(subset=["mb_per_s"]).sort_values("mb_per_s", ascending=False)
        items = ", ".join(
            f"{m} {format_rate(v)}"
            for m, v in zip(largest["model"], largest["mb_per_s"], strict=True)
        )
        handed = at_largest[at_largest["model"].isin(REFERENCE_CHANNELS)]
        items += "".join(
            f"; {m} hands the reference over and back in {format_seconds(t)}"
            for m, t in zip(handed["model"], handed["round_trip_s"], strict=True)
        )
        summary.append(f"{interpreter} at {size_label[int(at_largest['size'].iloc[0])]}: {items}")
    fig.suptitle(TITLE)
    legend_below(fig, list(axes.flat), ncols=5)
    alt = (
        "Round-trip latency and throughput of a payload sent to a peer and back, by payload "
        "size (log-log), one line per channel with memcpy as the ceiling; queue.Queue passes "
        "a reference, so it is drawn as a hand-over time only, with no throughput. "
        f"{'; '.join(summary)}."
    )
    return fig, alt
