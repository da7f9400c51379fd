"""The generated parts of the site: Markdown from the loaded results (pure functions).

``evidence``, ``figure``, ``table``, ``family`` and ``verdicts_at_a_glance`` give
blocks that hand-written pages embed through markers (see ``markers.py``); the
other functions give whole generated pages. With several results folders (the
baseline and the reader's own runs) every block shows one content tab per folder.

Over 400 lines on purpose: the blocks and the pages share their helpers (tabs per
folder, figure links, labels) and each is a few lines; the home page's answer is in
``answer.py``, the recorded example in ``example.py``.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path

import pandas as pd

from bench.capacity import LOW_AGAINST_OTHERS
from bench.cases import ResultsPage
from bench.evidence import tables as evidence_tables
from bench.families import catalogue
from bench.history.regress import MIN_RUNS
from bench.history.trends import changes_table
from bench.report import metrics, tables
from bench.report.claims import shown_verdict
from bench.report.markdown import inert
from bench.report.select import readable_interpreter_labels
from bench.report.skipped import Skipped
from bench.results.layout import MANIFEST_NAME
from bench.results.read import read_manifest, results_files
from bench.site import catalogue as site_catalogue
from bench.site.data import SourceData, run_starts
from bench.site.markdown import (
    VERDICT_KINDS,
    admonition,
    bullet_list,
    image,
    relative,
    tabs,
)

GENERATED = "generated"  # docs folder of the figures and downloads


def topics() -> tuple[ResultsPage, ...]:
    """The results pages, as the family folders declare their parts of them."""
    return catalogue.pages()


def title(topic: ResultsPage) -> str:
    return site_catalogue.title(topic.path)


# --- small helpers ----------------------------------------------------------------------------


def figure_target(data: SourceData, name: str) -> str:
    return f"{GENERATED}/{data.source.key}/figures/{name}.svg"


def numbers_target(data: SourceData, name: str) -> str:
    """Where the numbers behind a chart (its CSV) are published, beside its SVG."""
    return f"{GENERATED}/{data.source.key}/figures/{name}.csv"


def figure_names(data: SourceData, patterns: Sequence[str]) -> list[str]:
    """Names of drawn figures matching ``patterns`` (exact, or a prefix ending in ``*``)."""
    names: list[str] = []
    for pattern in patterns:
        if pattern.endswith("*"):
            found = sorted(n for n in data.figures if n.startswith(pattern[:-1]))
        else:
            found = [pattern] if pattern in data.figures else []
        names += [n for n in found if n not in names]
    return names


def figure_block(data: SourceData, name: str, page: str) -> str:
    """The chart, and a link to the numbers it drew (a CSV, where it has one)."""
    info = data.figures[name]
    chart = image(info.alt, figure_target(data, name), page, info.title) + "\n"
    if not info.numbers.is_file():
        return chart
    return (
        chart + f"\n[The numbers behind this chart]({relative(numbers_target(data, name), page)})\n"
    )


def no_results(data: SourceData) -> str:
    return admonition(
        "info",
        "No results",
        f"No results were found in {inert(data.source.shown_path)}. Run the suite "
        "(`python -m bench run --profile quick`) or point `BENCH_RESULTS` at a results "
        "folder, then rebuild the site.",
    )


def per_source(
    sources: Sequence[SourceData], body: Callable[[SourceData], str], *, skip_empty: bool = False
) -> str:
    """One tab per results folder (none when there is one); empty folders say so."""
    items = []
    for data in sources:
        if data.empty:
            if not skip_empty:
                items.append((data.source.title, no_results(data)))
            continue
        items.append((data.source.title, body(data) or tables.NO_DATA))
    return tabs(items) or tables.NO_DATA


def label(data: SourceData, interpreter: str) -> str:
    return data.label(interpreter)


def _machines(data: SourceData) -> int:
    return int(data.latest["machine"].nunique()) if not data.latest.empty else 0


def _where(data: SourceData, machine: str, interpreter: str) -> str:
    where = label(data, interpreter)
    return f"{where} on {machine}" if _machines(data) > 1 else where


def in_families(frame: pd.DataFrame, families: Sequence[str]) -> pd.DataFrame:
    return frame[frame["family"].isin(families)] if "family" in frame else frame.iloc[0:0]


# --- blocks embedded by markers ---------------------------------------------------------------


def evidence_anchor(claim_id: str) -> str:
    """The anchor an evidence block carries: the home page and the verdicts link to it."""
    return f"evidence-{claim_id.replace('_', '-')}"


def evidence(sources: Sequence[SourceData], claim_id: str, page: str) -> str:
    """A claim's verdict per interpreter with the numbers behind it, then its figures,
    under an anchor of its own (``evidence_anchor``)."""

    def body(data: SourceData) -> str:
        rows = data.verdicts[data.verdicts["claim_id"] == claim_id]
        parts = []
        for row in rows.itertuples():
            shown = shown_verdict(str(row.verdict), str(row.figures))
            title = f"{shown.capitalize()}: {_where(data, row.machine, row.interpreter)}"
            kind = VERDICT_KINDS.get(shown, "note")
            parts.append(admonition(kind, title, f"{inert(str(row.evidence))}\n"))
        if not rows.empty:
            parts.append(f"_Measured by: {inert(str(rows.iloc[0].measured_by))}._\n")
        shown_by = next((c.figures for c in catalogue.claims() if c.id == claim_id), ())
        for name in figure_names(data, shown_by):
            parts.append(figure_block(data, name, page))
        parts += [not_made(why) for why in data.skipped if why.kind == "figure"
                  and figure_names_match(why.name, shown_by)]  # fmt: skip
        return "\n".join(parts)

    return f'<span id="{evidence_anchor(claim_id)}"></span>\n\n' + per_source(sources, body)


def figure(sources: Sequence[SourceData], name: str, page: str) -> str:
    def body(data: SourceData) -> str:
        found = figure_names(data, (name,))
        return "\n".join(figure_block(data, n, page) for n in found) or tables.NO_DATA

    return per_source(sources, body)


def table(sources: Sequence[SourceData], name: str) -> str:
    return per_source(sources, lambda data: data.tables.get(name, tables.NO_DATA))


def family_timings(sources: Sequence[SourceData], family: str) -> str:
    return per_source(
        sources, lambda d: evidence_tables.timings_table(in_families(d.latest, [family]))
    )


def family_speedups(data: SourceData, families: Sequence[str]) -> str:
    part = in_families(data.latest, families)
    if part.empty:
        return tables.NO_DATA
    return evidence_tables.speedup_table(metrics.paired_speedups(part))


def verdicts_at_a_glance(sources: Sequence[SourceData], links: dict[str, str] | None = None) -> str:
    """Claims down, interpreters across, each cell its verdict; a claim links to its
    evidence where ``links`` (claim -> page and anchor) has it, and says whether the
    article makes it or the site adds it."""

    def body(data: SourceData) -> str:
        verdicts = data.verdicts
        if verdicts.empty:
            return tables.NO_DATA
        columns = [(m, i) for m, i in verdicts[["machine", "interpreter"]].drop_duplicates()
                   .itertuples(index=False)]  # fmt: skip
        names = readable_interpreter_labels(data.latest)
        many = _machines(data) > 1
        head = ["claim", "made by", *(f"{names.get(i, i)} on {m}" if many else names.get(i, i)
                                      for m, i in columns)]  # fmt: skip
        from_article = {c.id for c in catalogue.claims() if c.from_article}
        lines = ["| " + " | ".join(inert(h) for h in head) + " |",
                 "|" + "---|" * len(head)]  # fmt: skip
        for _, part in verdicts.groupby("claim_id", sort=False):
            by_column = {
                (r.machine, r.interpreter): shown_verdict(str(r.verdict), str(r.figures))
                for r in part.itertuples()
            }
            statement = inert(str(part.iloc[0].statement))
            link = (links or {}).get(str(part.iloc[0].claim_id))
            made_by = "the article" if part.iloc[0].claim_id in from_article else "this site"
            cells = [f"[{statement}]({link})" if link else statement, made_by]
            cells += [f"**{inert(str(by_column.get(c, 'no data')))}**" for c in columns]
            lines.append("| " + " | ".join(cells) + " |")
        return "\n".join(lines) + "\n"

    return per_source(sources, body)


def rules_table() -> str:
    """Every claim with what measures it and its rule, thresholds filled in from the code."""
    frame = pd.DataFrame(
        [{"statement": c.statement, "measured_by": c.measured_by, "criteria": c.criteria}
         for c in catalogue.claims()]
    )  # fmt: skip
    return tables.markdown_table(
        frame, [("statement", "claim"), ("measured_by", "measured by"), ("criteria", "rule")]
    )


def measured_on(sources: Sequence[SourceData]) -> str:
    """Where and when each folder's newest runs were measured, one line per folder."""
    lines = []
    for data in sources:
        if data.empty:
            lines.append(
                f"**{inert(data.source.title)}**: no results in {inert(data.source.shown_path)}."
            )
            continue
        env = data.latest
        cpus = ", ".join(sorted({f"{inert(str(m))} ({int(c)} logical cores)" for m, c in
                                 env[["cpu_model_name", "cpu_count"]].dropna()
                                 .drop_duplicates().itertuples(index=False)}))  # fmt: skip
        interpreters = ", ".join(
            inert(label(data, i)) for i in sorted(env["interpreter"].dropna().unique())
        )
        newest = data.newest_date()
        when = newest.strftime("%Y-%m-%d %H:%M UTC") if newest is not None else "an unknown date"
        profiles = ", ".join(inert(str(p)) for p in sorted(env["profile"].dropna().unique()))
        mine = " (measured on your machine)" if data.source.yours else ""
        lines.append(
            f"**{inert(data.source.title)}**{mine}: {cpus or 'unknown CPU'}; {interpreters}; "
            f"{profiles} profile; newest run {when}."
        )
    return bullet_list(lines)


# --- whole generated pages --------------------------------------------------------------------


def topic_page(sources: Sequence[SourceData], topic: ResultsPage) -> str:
    def body(data: SourceData) -> str:
        parts = [figure_block(data, n, topic.path) for n in figure_names(data, topic.figures)]
        if topic.speedups:
            parts += ["#### Speedups over the plain loop\n", family_speedups(data, topic.families)]
        for name in topic.tables:  # a table of a family not measured: nothing, no stray line
            if data.tables.get(name, tables.NO_DATA) != tables.NO_DATA:
                parts += [data.tables[name]]
        for family in topic.families:
            part = in_families(data.latest, [family])
            # a family of bytes or counts has no timing: no heading over "no data" below its data
            if "time_s" in part and part["time_s"].notna().any():
                parts += [f"#### Every timing: `{family}`\n", evidence_tables.timings_table(part)]
        return "\n".join(parts)

    return f"# {title(topic)}\n\n{topic.intro}\n\n{per_source(sources, body)}"


def results_index(sources: Sequence[SourceData]) -> str:
    links = "".join(f"- [{title(t)}]({relative(t.path, 'results/index.md')}): {t.intro}\n"
                    for t in topics())  # fmt: skip
    covered = {f for t in topics() for f in t.families}

    def others(data: SourceData) -> str:
        rest = data.latest[~data.latest["family"].isin(covered)] if not data.empty else data.latest
        return evidence_tables.timings_table(rest) if not rest.empty else ""

    other = (
        per_source(sources, others, skip_empty=True)
        if any(not d.empty and not d.latest["family"].isin(covered).all() for d in sources)
        else ""
    )
    parts = [
        "# Results\n",
        "Every number on these pages is computed from the results files at build time. "
        "Figures and tables show the newest run of each machine and interpreter.\n",
        "## Verdicts\n",
        verdicts_at_a_glance(sources),
        "## By topic\n",
        links,
    ]
    if other:
        parts += ["## Other families\n", other]
    if any(data.skipped for data in sources):
        parts += ["## Not made from these results\n", per_source(sources, not_made_list)]
    return "\n".join(parts)


def not_made(why: Skipped) -> str:
    """A note that a figure, claim or table could not be made from these results."""
    return admonition("warning", f"Not made: {why.kind} {why.name}", f"{inert(why.reason)}\n")


def not_made_list(data: SourceData) -> str:
    lines = [f"{inert(why.kind)} {inert(why.name)}: {inert(why.reason)}" for why in data.skipped]
    return bullet_list(lines) if lines else "Everything was made.\n"


def figure_names_match(name: str, patterns: Sequence[str]) -> bool:
    """Whether the figure ``name`` is one of ``patterns`` (exact, or a prefix ending in
    ``*``); a figure drawn per group, skipped whole, goes by its registered name, which
    the names of its groups start with."""
    return any(
        name == p or p.rstrip("*").startswith(name) or (p.endswith("*") and name.startswith(p[:-1]))
        for p in patterns
    )


def _minute(when: pd.Timestamp) -> str | None:
    return when.strftime("%Y-%m-%d %H:%M") if pd.notna(when) else None


def runs_table(data: SourceData) -> str:
    """One row per machine and interpreter: how many runs, the first and the newest."""
    runs = data.summaries.drop_duplicates(["machine", "interpreter", "run_id"])
    if runs.empty:
        return tables.NO_DATA
    dates = run_starts(runs["run_id"])
    rows = (
        runs.assign(_date=dates)
        .groupby(["machine", "interpreter"], dropna=False)
        .agg(runs=("run_id", "nunique"), first=("_date", "min"), newest=("_date", "max"),
             newest_run=("run_id", "max"))
        .reset_index()
    )  # fmt: skip
    rows = rows.assign(first=rows["first"].map(_minute), newest=rows["newest"].map(_minute))
    return tables.markdown_table(
        rows,
        [("machine", "machine"), ("interpreter", "interpreter"), ("runs", "runs"),
         ("first", "first (UTC)"), ("newest", "newest (UTC)"), ("newest_run", "newest run")],
        right=["runs"],
    )  # fmt: skip


def newest_run_files(data: SourceData) -> list[Path]:
    """The results files of the newest runs, as the loader found them in the folder.

    Paths come from the folder's own listing (which refuses links and odd names), and
    a run is picked by its folder's name, never by a path built from metadata.
    """
    if data.empty:
        return []
    newest = set(data.latest["run_id"].dropna().astype(str))
    return [path for path in results_files(data.source.path) if path.parent.name in newest]


def manifest_rows(data: SourceData) -> list[dict[str, object]]:
    """The run manifests (``run.json``) of the newest runs: OS, settings, commit, status."""
    rows: list[dict[str, object]] = []
    for path in newest_run_files(data):
        if path.name != MANIFEST_NAME:
            continue
        manifest = read_manifest(path)
        rows.append({
            "run_id": path.parent.name,
            "os": manifest.host.get("platform"),
            "settings": f"{manifest.profile}: {manifest.rounds} round(s) x "
                        f"{manifest.values} value(s), {manifest.warmups} "
                        f"warmup(s), seed {manifest.seed}",
            "commit": (manifest.git_commit or "")[:12],
            "status": manifest.status,
        })  # fmt: skip
    return rows


def manifests_table(data: SourceData) -> str:
    rows = manifest_rows(data)
    if not rows:
        return tables.NO_DATA
    return tables.markdown_table(
        pd.DataFrame(rows),
        [("run_id", "run"), ("os", "operating system"), ("settings", "settings"),
         ("commit", "suite commit"), ("status", "status")],
    )  # fmt: skip


#: What the environment page says about the capacity table.
CAPACITY_NOTE = (
    "How many cores the machine gave, measured at the start of every round and right "
    "before every group of CPU work: k processes spinning at once against one alone, for "
    "k = 2, 4, 8 ... up to the cores (2.0 on two free cores); the table gives it at the most "
    "processes probed. A round whose capacity at a worker count is below "
    f"{LOW_AGAINST_OTHERS:.0%} of the median of the run's other rounds is left out of that "
    "count's CPU speedups: the host withheld cores then. Each speedup's efficiency is taken "
    "against what the machine gave at its count; see "
    "[the methodology](methodology.md#parallel-capacity).\n"
)


def environment_page(sources: Sequence[SourceData]) -> str:
    def body(data: SourceData) -> str:
        return "\n".join([
            f"Folder: {inert(data.source.shown_path)}\n",
            "#### Machines and interpreters\n",
            evidence_tables.environment_table(data.latest),
            "#### Parallel capacity\n",
            CAPACITY_NOTE,
            data.tables.get("capacity", tables.NO_DATA),
            "#### Runs\n",
            runs_table(data),
            "#### Settings of the newest runs\n",
            manifests_table(data),
        ])  # fmt: skip

    return (
        "# Environment\n\nWhere and when every result was measured: the CPU and its logical "
        "cores, the operating system's name for the machine, the Python version and build, "
        "the GIL state the worker processes themselves reported, and the parallel capacity "
        "the machine gave in every round.\n\n" + per_source(sources, body)
    )


def download_targets(data: SourceData) -> dict[str, str]:
    """Docs path of each downloadable file of a folder -> its source path (raw files)."""
    out = {}
    for path in newest_run_files(data):
        shown = path.relative_to(data.source.path).as_posix()
        if path.parent == data.source.path:  # a run folder shown on its own
            shown = f"{path.parent.name}/{shown}"
        out[f"{GENERATED}/{data.source.key}/raw/{shown}"] = str(path)
    return out


def tidy_target(data: SourceData) -> str:
    return f"{GENERATED}/{data.source.key}/tidy.csv"


def downloads_page(sources: Sequence[SourceData]) -> str:
    page = "downloads.md"

    def body(data: SourceData) -> str:
        raw = download_targets(data)
        tidy = relative(tidy_target(data), page)
        lines = [
            f"[`tidy.csv`]({tidy}): one row per measured value of the newest runs "
            f"({len(data.latest)} rows), parameters as columns."
        ]
        lines += [f"[`{'/'.join(t.split('/')[-3:])}`]({relative(t, page)})" for t in raw]
        return bullet_list(lines)

    return (
        "# Downloads\n\nThe data behind every page: the tidy table the figures are drawn "
        "from, and the raw pyperf files (`python -m pyperf stats FILE` reads them) with "
        "each run's manifest and outcomes. In these copies the home folder of the machine "
        "that measured them is written `~` wherever a path starts with it (the "
        "interpreters' paths, their configure arguments); every other byte is as "
        "measured.\n\n" + per_source(sources, body)
    )


def history_page(sources: Sequence[SourceData]) -> str:
    """Trends of the key benchmarks over runs, and what changed in the newest run."""

    def body(data: SourceData) -> str:
        trends = [n for n in data.figures if n.startswith("trend-")]
        changes = data.changes
        tested = changes[changes["verdict"] != "too few runs"] if not changes.empty else changes
        if changes.empty or tested.empty:
            verdict = (
                "Too few runs to test the newest one: the detector needs at least "
                f"{MIN_RUNS} earlier runs of the same machine and interpreter."
            )
        else:
            flagged = int(tested["significant"].sum())
            verdict = (
                f"{flagged} of {len(tested)} benchmark(s) changed significantly in the newest "
                "run of their machine and interpreter."
            )
        return "\n".join([
            "#### Runs\n",
            runs_table(data),
            "#### What changed in the newest run\n",
            verdict + "\n",
            changes_table(changes) if not tested.empty else "",
            "#### Trends\n",
            "\n".join(figure_block(data, n, "history.md") for n in trends) or tables.NO_DATA,
        ])  # fmt: skip

    return (
        "# History\n\nEvery run kept, per machine and interpreter: never one series across "
        "two of either. The newest run of each is compared with up to ten earlier ones "
        "by a significance test on its median (a prediction interval that allows for the "
        "run-to-run drift of the machine, corrected for testing many benchmarks at once), "
        "not by a fixed percentage. Bands are the confidence interval of each run's "
        "median.\n\n" + per_source(sources, body)
    )
