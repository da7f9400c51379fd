"""The home page's headline numbers come from the data, and follow it."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from bench.site import sources
from bench.site.answer import HEADLINES, answer_table
from bench.site.data import load_source

FIXTURE = Path(__file__).parent / "fixtures" / "results"


def table_of(root: Path, cache: Path) -> str:
    return answer_table(load_source(sources.Source("x", "X", root), cache))


def test_every_headline_has_numbers_from_a_smoke_run(tmp_path: Path) -> None:
    text = table_of(FIXTURE, tmp_path / "cache")
    rows = [line for line in text.splitlines() if line.startswith("| ") and "question" not in line]
    assert len(rows) == len(HEADLINES)
    assert "thread" in text and "n=" in text and "Measured on fixture-machine" in text


def test_the_numbers_follow_the_data(tmp_path: Path) -> None:
    before = table_of(FIXTURE, tmp_path / "cache-before")
    root = tmp_path / "results"
    shutil.copytree(FIXTURE, root)
    for path in root.glob("*/*/*.json"):
        if path.name == "run.json" or path.name.endswith(".outcomes.json"):
            continue
        data = json.loads(path.read_text(encoding="utf-8"))
        for benchmark in data["benchmarks"]:
            meta = benchmark.get("metadata", {})
            if meta.get("family") == "startup" and meta.get("model") == "threads":
                for run in benchmark["runs"]:
                    run["values"] = [v * 10 for v in run.get("values", [])]
        path.write_text(json.dumps(data), encoding="utf-8")
    after = table_of(root, tmp_path / "cache-after")
    start = [line for line in after.splitlines() if line.startswith("| Starting")]
    was = [line for line in before.splitlines() if line.startswith("| Starting")]
    assert start and start != was
