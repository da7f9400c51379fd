"""I/O: threads speed up programs that spend their time waiting."""

from __future__ import annotations

from typing import Any

import pandas as pd

from bench.models import Role, model_of
from bench.report.claims import (
    MIXED_OR_UNCLEAR,
    NO_GAIN,
    Bound,
    Judgement,
    Verdict,
    claim,
    estimate_figures,
    judge_estimate,
    kept_estimate,
    no_data,
    verdict_of_judgements,
)
from bench.report.estimate import Estimate
from bench.report.figures.scaling import scaling_figures
from bench.report.format import format_estimate, format_threshold
from bench.report.metrics import paired_ratios
from bench.report.select import (
    config_label,
    is_event_loop,
    model_label,
    models_where,
    runs_threads,
    where,
)

#: I/O-bound work "suits" threads when they at least double the loop's throughput:
#: waiting overlaps, so any worker count above one should, on any core count.
IO_GAIN = 2.0
IO_WORKLOADS = ("sleep", "tcp")  # the waits the claim is about; file I/O is shown beside


def configurations(ratios: pd.DataFrame) -> dict[str, tuple[Estimate, int, str]]:
    """The estimate of every model/start method at every worker count, named
    ("thread pool at 64 workers"), with its worker count and model."""
    out = {}
    for (model, method, workers), part in ratios.groupby(
        ["model", "start_method", "workers"], dropna=False, sort=True
    ):
        name = f"{config_label(model, method)} at {int(workers)} workers"
        out[name] = (kept_estimate(part)[0], int(workers), str(model))
    return out


def best_named(found: dict[str, tuple[Estimate, int, str]], models: tuple[str, ...]) -> str | None:
    """The name of the configuration of ``models`` with the highest estimate: the verdict
    then rests on that configuration's own interval, not on its best round."""
    names = [name for name, (_, _, model) in found.items() if model in models]
    return max(names, key=lambda n: found[n][0].value, default=None)


@claim(
    "threads_suit_io",
    order=80,
    from_article=True,
    statement="Threads speed up programs that spend their time waiting on I/O.",
    measured_by="speedup of threads over the plain loop on sleeps and loopback TCP requests",
    criteria=f"holds when, on every wait, the 95% interval of the fastest thread "
    f"configuration (model and worker count, named) lies at or above "
    f"{format_threshold(IO_GAIN)} the loop's throughput; does not hold when it lies below "
    f"{format_threshold(NO_GAIN)} on every wait; {MIXED_OR_UNCLEAR}",
    figures=(scaling_figures("io"),),
)
def threads_suit_io(frame: pd.DataFrame) -> Verdict:
    """Holds when, on sleep and on TCP, the fastest thread configuration's interval lies
    at or above 2x the loop; does not hold when under 1.2x on all; else depends or is
    inconclusive.
    The configuration is named; asyncio's best is shown beside."""
    ratios = paired_ratios(where(frame, family="io"))
    ratios = ratios[ratios["model"] != model_of(Role.LOOP)] if not ratios.empty else ratios
    if ratios.empty:
        return no_data("I/O-bound tasks against the sequential loop")
    judgements: dict[str, Judgement] = {}
    best: dict[str, Any] = {}
    texts = []
    everything: dict[str, dict[str, float]] = {}
    for workload, part in ratios.groupby("workload", sort=True):
        found = configurations(part)
        everything[str(workload)] = {name: e.value for name, (e, _, _) in found.items()}
        name = best_named(found, models_where(runs_threads))
        if workload not in IO_WORKLOADS or name is None:
            continue
        estimate = found[name][0]
        best[str(workload)] = {"config": name} | estimate_figures(estimate)
        text = f"{workload}: {name} {format_estimate(estimate)}"
        rival = best_named(found, models_where(is_event_loop))
        if rival is not None:
            rival_estimate, rival_workers, rival_model = found[rival]
            text += (
                f" ({model_label(rival_model)}: {rival_workers} workers "
                f"{format_estimate(rival_estimate)})"
            )
        texts.append(text)
        judgements[str(workload)] = judge_estimate(
            estimate, holds=Bound(IO_GAIN, above=True), fails=Bound(NO_GAIN, above=False)
        )
    if not judgements:
        return no_data("threads on sleep or TCP tasks")
    figures = {
        "best_thread_speedup": {w: b["value"] for w, b in best.items()},
        "best_thread": best,
        "speedup": everything,
    }
    line = "fastest thread configuration vs the loop: " + "; ".join(texts)
    return verdict_of_judgements(judgements, line, figures, across="the wait")
