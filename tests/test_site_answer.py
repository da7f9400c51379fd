"""The home page's answer: one row per recommendation, each number from the data, and the
numbers follow the data."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from bench.site import sources
from bench.site.answer import RECOMMENDATIONS, answer_table, interpreters_of
from bench.site.data import load_sources

FIXTURE = Path(__file__).parent / "fixtures" / "results"
BASELINE = Path(__file__).resolve().parent.parent / "results" / "baseline"


def table_of(root: Path, cache: Path, links: dict[str, str] | None = None) -> str:
    # The first machine by cores: a folder of several machines is never judged as one.
    return answer_table(load_sources(sources.Source("x", "X", root), cache)[0], links)


def rows_of(text: str) -> list[str]:
    return [line for line in text.splitlines() if line.startswith("| ") and "your work" not in line]


def test_every_recommendation_has_a_row_with_its_number_and_its_evidence(tmp_path: Path) -> None:
    links = {row.claim: f"guide/page.md#evidence-{row.claim}" for row in RECOMMENDATIONS}
    text = table_of(BASELINE, tmp_path / "cache", links)
    rows = rows_of(text)
    assert len(rows) == len(RECOMMENDATIONS)
    for row, recommendation in zip(rows, RECOMMENDATIONS, strict=True):
        assert row.startswith(f"| {recommendation.work}")
        assert f"(guide/page.md#evidence-{recommendation.claim})" in row
    assert sum("n=" in row for row in rows) >= 4  # estimates with their rounds
    assert text.startswith("Measured on a **2-core AMD EPYC** with CPython 3.13")


def test_the_newest_gil_build_and_free_threaded_build_are_named(tmp_path: Path) -> None:
    data = load_sources(sources.Source("x", "X", BASELINE), tmp_path / "cache")[0]
    who = interpreters_of(data.latest)
    assert who.gil is not None and who.free is not None
    assert who.labels[who.free].endswith("t") and not who.labels[who.gil].endswith("t")


def test_a_smoke_run_gives_what_it_measured_and_dashes_for_the_rest(tmp_path: Path) -> None:
    rows = rows_of(table_of(FIXTURE, tmp_path / "cache"))
    assert len(rows) == len(RECOMMENDATIONS)
    assert "Measured on" in table_of(FIXTURE, tmp_path / "cache")


def test_the_numbers_follow_the_data(tmp_path: Path) -> None:
    before = rows_of(table_of(BASELINE, tmp_path / "cache-before"))
    root = tmp_path / "results"
    shutil.copytree(BASELINE, root)
    for path in root.glob("*/*/*.json"):
        if path.name == "run.json" or path.name.endswith(".outcomes.json"):
            continue
        data = json.loads(path.read_text(encoding="utf-8"))
        for benchmark in data["benchmarks"]:
            meta = benchmark.get("metadata", {})
            if meta.get("family") == "io" and meta.get("model") == "thread_pool":
                for run in benchmark["runs"]:
                    run["values"] = [v * 10 for v in run.get("values", [])]
        path.write_text(json.dumps(data), encoding="utf-8")
    after = rows_of(table_of(root, tmp_path / "cache-after"))
    waits = [line for line in after if line.startswith("| Waiting")]
    was = [line for line in before if line.startswith("| Waiting")]
    assert waits and waits != was
