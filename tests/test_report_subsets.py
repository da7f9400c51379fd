"""A run of a few cases (``bench run --only ...``) still gets a report: a claim, figure or
table that cannot be made from the rows it got is left out with its reason, and the rest
is made. Tried on one case of every family of the committed baseline."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pandas as pd
import pytest
from helpers_baseline import fullest_run

from bench.evidence.build import skipped_section
from bench.evidence.pipeline import Evidence, evidence
from bench.report.skipped import MAX_REASON, Skipped
from bench.results.read import load_run
from bench.site import pages, sources
from bench.site.data import load_source

BASELINE = Path(__file__).resolve().parents[1] / "results" / "baseline"
FIXTURE = Path(__file__).parent / "fixtures" / "results"


@pytest.fixture(scope="module")
def baseline() -> pd.DataFrame:
    return load_run(fullest_run(BASELINE))


def one_case_of_each_family(frame: pd.DataFrame) -> dict[str, pd.DataFrame]:
    """Every family's rows of one benchmark (its first by name), as ``--only`` leaves them."""
    subsets = {}
    for family, rows in frame.groupby("family", sort=True):
        case = sorted(rows["benchmark"].unique())[0]
        subsets[str(family)] = rows[rows["benchmark"] == case]
    return subsets


def check(found: Evidence) -> None:
    assert "claims" in found.tables and "timings" in found.tables
    assert len(found.verdicts) > 0
    for why in found.skipped:
        assert why.kind in ("figure", "claim", "table") and why.name
        assert why.reason and "\n" not in why.reason and len(why.reason) <= MAX_REASON


def test_one_case_of_every_family_still_makes_a_report(
    baseline: pd.DataFrame, tmp_path: Path
) -> None:
    subsets = one_case_of_each_family(baseline)
    assert len(subsets) >= 15
    for family, rows in subsets.items():
        found = evidence(rows, tmp_path / family)
        check(found)
        drawn = {info.name for info in found.figures}
        assert not drawn & {why.name for why in found.skipped}, family


def test_the_issues_run_of_one_tiny_thread_pool_task(
    baseline: pd.DataFrame, tmp_path: Path
) -> None:
    """``--only 'spin\\[10us\\] thread_pool'``: no loop to pair with, once a ValueError that
    stopped the whole report; now the decision map says why it is not drawn."""
    rows = baseline[baseline["benchmark"].str.startswith("spin[10us] thread_pool w=2")]
    found = evidence(rows, tmp_path)
    check(found)
    (why,) = [w for w in found.skipped if w.name == "decision-map"]
    assert why.kind == "figure" and "ValueError" in why.reason
    assert not (tmp_path / "decision-map.svg").exists()
    section = "\n".join(skipped_section(found.skipped))
    assert "Not made from these results" in section and "decision-map" in section


def test_a_claim_whose_rule_fails_is_no_data_with_its_reason(
    baseline: pd.DataFrame, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from bench.families import catalogue

    def broken(frame: pd.DataFrame) -> object:
        raise KeyError("a column these results lack")

    claims = tuple(
        dataclasses.replace(c, rule=broken) if c.id == "races_lose_updates" else c
        for c in catalogue.claims()
    )
    monkeypatch.setattr(catalogue, "claims", lambda: claims)
    found = evidence(baseline[baseline["family"] == "race"], tmp_path)
    verdicts = found.verdicts[found.verdicts["claim_id"] == "races_lose_updates"]
    assert set(verdicts["verdict"]) == {"no data"}
    assert verdicts["evidence"].str.contains("not judged").all()
    named = [w for w in found.skipped if w.kind == "claim"]  # once per interpreter judged
    assert {w.name for w in named} == {"races_lose_updates"}
    assert len(named) == verdicts["interpreter"].nunique()


def test_the_site_says_what_was_not_made(tmp_path: Path) -> None:
    data = load_source(sources.Source("baseline", "Baseline", FIXTURE), tmp_path)
    missing = dataclasses.replace(
        data, skipped=[Skipped("figure", "decision-map", "ValueError: no loop to pair with")]
    )
    index = pages.results_index([missing])
    assert "Not made from these results" in index and "no loop to pair with" in index
    block = pages.evidence([missing], "threads_suit_frequent_communication", "guide/x.md")
    assert "Not made: figure decision-map" in block
    assert "Not made from these results" not in pages.results_index([data])
