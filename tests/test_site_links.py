"""The built site's links, offline assets and page weight, read from its HTML (no browser)."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from helpers_site import (
    broken_refs,
    build_site,
    external_assets,
    fixture_site,
    page_files,
    page_weight,
)

MAX_PAGE_BYTES = 1_500_000  # the target: 1.5 MB per page with its images


@pytest.fixture(scope="module")
def baseline_site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A fresh clone's site: the committed baseline (plus results/local if any)."""
    dest = tmp_path_factory.mktemp("baseline-site")
    build_site(dest, results=None)
    return dest


@pytest.fixture(scope="module", params=["fixture", "baseline"])
def site(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Path:
    if request.param == "baseline":
        return request.getfixturevalue("baseline_site")
    return fixture_site(tmp_path_factory)


def test_baseline_builds_strict(baseline_site: Path) -> None:
    assert len(page_files(baseline_site)) > 1


def test_internal_links_and_anchors_resolve(site: Path) -> None:
    assert broken_refs(site) == []


def test_no_asset_from_another_host(site: Path) -> None:
    assert external_assets(site) == []


def test_no_page_heavier_than_limit(site: Path) -> None:
    heavy = {
        page.relative_to(site).as_posix(): weight
        for page in page_files(site)
        if (weight := page_weight(site, page)) > MAX_PAGE_BYTES
    }
    assert heavy == {}


# ---- the checks themselves can fail ------------------------------------------------------


@pytest.fixture
def broken_copy(tmp_path_factory: pytest.TempPathFactory, tmp_path: Path) -> Path:
    copy = tmp_path / "site"
    shutil.copytree(fixture_site(tmp_path_factory), copy)
    return copy


def _rewrite(page: Path, old: str, new: str) -> None:
    html = page.read_text(encoding="utf-8")
    assert old in html, f"{page} has no {old!r} to break"
    page.write_text(html.replace(old, new, 1), encoding="utf-8")


def test_checker_reports_a_missing_image(broken_copy: Path) -> None:
    page = next(p for p in page_files(broken_copy) if "<img " in p.read_text(encoding="utf-8"))
    _rewrite(page, ".svg", ".missing.svg")
    assert any(".missing.svg" in problem for problem in broken_refs(broken_copy))


def test_checker_reports_a_missing_anchor(broken_copy: Path) -> None:
    _rewrite(broken_copy / "index.html", 'href="guide/"', 'href="guide/#no-such-heading"')
    assert any("no-such-heading" in problem for problem in broken_refs(broken_copy))


def test_checker_reports_an_external_script(broken_copy: Path) -> None:
    _rewrite(broken_copy / "index.html", '<script src="', '<script src="https://cdn.example/')
    assert external_assets(broken_copy) != []


def test_checker_reports_a_heavy_page(broken_copy: Path) -> None:
    page = broken_copy / "index.html"
    (broken_copy / "big.svg").write_bytes(b"<svg/>" + b" " * MAX_PAGE_BYTES)
    _rewrite(page, "</article>", '<img src="big.svg" alt="big"></article>')
    assert page_weight(broken_copy, page) > MAX_PAGE_BYTES
