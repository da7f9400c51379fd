"""The pitfalls table: what breaks where, per mistake, process API and start method."""

from __future__ import annotations

import pandas as pd

from bench.families.pitfalls.apis import PROCESS_APIS
from bench.families.pitfalls.measure import PITFALLS
from bench.report.tables import (
    NO_DATA,
    ensure_columns,
    identity_keys,
    markdown_table,
    one_cell,
    sorted_rows,
    table,
    with_identity,
)

#: Start methods in the order the guide discusses them; others (none today) follow, sorted.
START_METHOD_ORDER = ("fork", "forkserver", "spawn")


def pitfalls_table(frame: pd.DataFrame) -> str:
    """What breaks where (``bench.families.pitfalls.measure``): a row per mistake and process API,
    a column per start method, each cell what the program met: "works", or the exception
    (type and first line), what a dying worker printed and any warning shown."""
    if frame.empty or "measure" not in frame.columns:
        return NO_DATA
    data = ensure_columns(frame, ["variant", "model", "start_method", "metric", "value"])
    data = data[(data["measure"] == "pitfalls") & (data["metric"] == "outcome")]
    if data.empty:
        return NO_DATA
    identity = identity_keys(data)
    methods = sorted(
        {str(m) for m in data["start_method"].dropna()},
        key=lambda m: (START_METHOD_ORDER.index(m) if m in START_METHOD_ORDER else 99, m),
    )
    order = list(PITFALLS)
    apis = list(PROCESS_APIS)
    rows = []
    for key, part in data.groupby([*identity, "variant", "model"], dropna=False, sort=False):
        row = dict(zip([*identity, "variant", "model"], key, strict=True))
        known = PITFALLS.get(str(row["variant"]))
        row |= {
            "mistake": known.label if known else row["variant"],
            "api": api.label if (api := PROCESS_APIS.get(str(row["model"]))) else row["model"],
            "order": order.index(row["variant"]) if known else len(order),
            "api_order": apis.index(row["model"]) if row["model"] in apis else len(apis),
        }
        for method in methods:
            cell = part[part["start_method"] == method]
            row[f"method:{method}"] = one_cell(list(cell["value"]))
        rows.append(row)
    table = sorted_rows(pd.DataFrame(rows), [*identity, "order", "variant", "api_order", "model"])
    columns = [("mistake", "mistake"), ("api", "API")]
    columns += [(f"method:{m}", m) for m in methods]
    return markdown_table(table, with_identity(table, columns))


@table("pitfalls", order=80)
def pitfalls(latest: pd.DataFrame) -> str:
    return pitfalls_table(latest)
