"""The decision map: the fastest model for each task length and payload."""

from __future__ import annotations

from typing import Any

import pandas as pd
from matplotlib.patches import Rectangle

from bench.families.granularity.metrics import winners
from bench.report.figures.registry import figure
from bench.report.figures.style import FigureWithAlt, axes_grid, model_colour, new_figure
from bench.report.format import format_payload, format_ratio
from bench.report.metrics import paired_speedups
from bench.report.select import interpreter_label, is_loop, model_label, models_where, pick, spec_of

TITLE = "Fastest model by task length and payload"


def select_decision_map(frame: pd.DataFrame) -> pd.DataFrame:
    return pick(frame, family="granularity", metric="time")


def _candidate(model: str, chunksize: Any) -> str:
    spec = spec_of(model)
    batched = spec is not None and spec.chunksize
    if batched and pd.notna(chunksize) and int(chunksize) != 1:
        return f"{model_label(model)}\nchunksize {int(chunksize)}"
    return model_label(model)


def decision_winners(frame: pd.DataFrame) -> pd.DataFrame:
    """Per interpreter, task length and payload, at the pools' largest worker count: the
    fastest candidate as ``metrics.winners`` ranks them (the verdict the rest of the
    report gives), with its median paired speedup over the loop and its ``margin``
    over the runner-up."""
    rows = select_decision_map(frame)
    pools = rows[~rows["model"].isin(models_where(is_loop))] if not rows.empty else rows
    if pools.empty:
        return rows.iloc[0:0]
    best = winners(rows)
    best = best[best["workers"] == pools["workers"].max()]
    keys = ["interpreter", "group", "benchmark"]
    meta = rows.drop_duplicates(keys).loc[
        :, [*keys, "model", "size", "size_label", "payload_bytes", "chunksize"]
    ]
    speed = paired_speedups(rows).loc[:, [*keys, "speedup"]]
    out = (
        best.rename(columns={"winner": "benchmark"})
        .loc[:, ["interpreter", "group", "workers", "benchmark", "margin"]]
        .merge(meta, on=keys, how="left")
        .merge(speed, on=keys, how="left")
    )
    out["candidate"] = [
        _candidate(m, c) for m, c in zip(out["model"], out["chunksize"], strict=True)
    ]
    return out.sort_values(["interpreter", "size", "payload_bytes"]).reset_index(drop=True)


DECISION_MAP = "decision-map"


@figure(DECISION_MAP, TITLE, select_decision_map, order=50)
def make_decision_map(frame: pd.DataFrame) -> FigureWithAlt:
    """A grid of task length x payload, each cell coloured and labelled by its winner."""
    winners = decision_winners(frame)
    if winners.empty:
        return None
    rows = select_decision_map(frame)
    interpreters = sorted(winners["interpreter"].unique())
    lengths = winners.drop_duplicates("size").sort_values("size")
    payloads = sorted(winners["payload_bytes"].astype(int).unique())
    fig = new_figure(
        len(interpreters),
        width=max(4.6, 1.25 * len(lengths) + 1.5),
        height=max(2.6, 0.9 * len(payloads) + 1.2),
    )
    axes = axes_grid(fig, len(interpreters), sharey=True)[0]
    summary = []
    for ax, interpreter in zip(axes, interpreters, strict=True):
        part = winners[winners["interpreter"] == interpreter]
        for cell in part.itertuples():
            x = list(lengths["size"]).index(cell.size)
            y = payloads.index(int(cell.payload_bytes))
            ax.add_patch(
                Rectangle((x - 0.48, y - 0.46), 0.96, 0.92, color=model_colour(str(cell.model)))
            )
            ax.text(
                x,
                y,
                _cell_text(cell.candidate, cell.speedup, cell.margin),
                ha="center",
                va="center",
                color="white",
                fontsize=8,
            )
        ax.set_xlim(-0.5, len(lengths) - 0.5)
        ax.set_ylim(-0.5, len(payloads) - 0.5)
        ax.set_xticks(range(len(lengths)), list(lengths["size_label"]))
        ax.set_yticks(range(len(payloads)), [format_payload(p) for p in payloads])
        ax.grid(visible=False)
        ax.tick_params(length=0)
        for side in ("left", "bottom"):
            ax.spines[side].set_visible(False)
        ax.set_xlabel("task length (nominal, per task)")
        ax.set_title(interpreter_label(rows, interpreter))
        summary.append(_decision_summary(part, interpreter))
    axes[0].set_ylabel("payload per task (bytes each way)")
    parallel = ~rows["model"].isin(models_where(is_loop))
    workers = sorted(rows.loc[parallel, "workers"].astype(int).unique())
    fig.suptitle(f"{TITLE} ({', '.join(map(str, workers))} workers)")
    measured = ", ".join(sorted({model_label(m) for m in rows["model"]}))
    alt = (
        f"For each task length and payload size, the fastest of the models measured ({measured}; "
        "a pool that takes one with and without chunksize), with its speedup over the loop. "
        f"{' '.join(summary)}"
    )
    return fig, alt


def _cell_text(candidate: str, speedup: float, margin: float) -> str:
    lead = f"\n{format_ratio(margin)} vs next" if pd.notna(margin) else ""
    return f"{candidate}\n{format_ratio(speedup)} vs loop{lead}"


def _decision_summary(part: pd.DataFrame, interpreter: str) -> str:
    wins = part["model"].map(model_label).value_counts()
    ranked = sorted(wins.items(), key=lambda item: (-item[1], item[0]))
    counts = ", ".join(f"{m} {n}" for m, n in ranked)
    best = part.loc[part["speedup"].idxmax()]
    payload = format_payload(best["payload_bytes"])
    return (
        f"On {interpreter}, wins out of {len(part)} cell{'s' * (len(part) != 1)}: {counts}; "
        "the largest speedup is "
        f"{best['candidate'].replace(chr(10), ' ')} at {format_ratio(best['speedup'])} "
        f"({best['size_label']} tasks, {'no' if payload == 'none' else payload} payload)."
    )
