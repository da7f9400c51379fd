"""More than one machine on the site, and the home page's first screen (issues 21 and 23).

The site is built from two machines' results (a 2-core VM and a 16-core machine): every
page shows each machine in a tab of its own, each with its own verdicts and charts, the
charts link the numbers they drew, and the home page's first screen carries the numbers.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from pathlib import Path

import pandas as pd
import pytest
from helpers_site import serve, two_machine_site

CHROMIUM = os.environ.get("BENCH_CHROMIUM", "/usr/bin/chromium")
#: An estimate with its interval and its count, as the pages write it: "2.0x (1.8-2.3x, n=5)"
#: with a multiplication sign and an en dash.
WITH_INTERVAL = re.compile(r"\d[\d.]*\s*\S*\s*\(\d[\d.]*\s*\S*\u2013\d[\d.]*\s*\S*,\s*n=\d+\)")


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return two_machine_site(tmp_path_factory)


def text_of(site: Path, page: str) -> str:
    html = (site / page).read_text(encoding="utf-8")
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


def test_every_machine_has_its_own_tab_with_its_own_numbers(site: Path) -> None:
    cpu = text_of(site, "results/cpu/index.html")
    assert "2-core AMD EPYC" in cpu and "16-core Intel Xeon" in cpu
    figures = sorted(p.parent.parent.name for p in site.glob("generated/*/figures/*.svg"))
    assert len(set(figures)) == 2  # each machine's charts drawn apart, never together


def test_each_chart_links_the_numbers_it_drew(site: Path) -> None:
    html = (site / "results" / "cpu" / "index.html").read_text(encoding="utf-8")
    links = re.findall(r'href="([^"]+\.csv)"[^>]*>The numbers behind this chart', html)
    assert links
    for link in links:
        csv = (site / "results" / "cpu" / link).resolve()
        assert csv.is_file(), link
        numbers = pd.read_csv(csv, keep_default_na=False)
        assert len(numbers) and "interpreter" in numbers.columns


def test_the_16_core_machine_shows_its_scaling_past_8_workers(site: Path) -> None:
    (csv,) = site.glob("generated/*16cpu*/figures/scaling-cpu-python-count-primes-100ms.csv")
    numbers = pd.read_csv(csv, keep_default_na=False)
    assert numbers["workers"].max() == 32  # twice the cores: oversubscribed
    assert 16 in set(numbers["workers"])


def test_the_home_page_says_how_the_answer_changes_with_the_cores(site: Path) -> None:
    home = text_of(site, "index.html")
    assert "changes with the machine's cores" in home
    assert "2 workers: process pool" in home and "16 workers: process pool" in home


def test_the_verdicts_link_to_their_evidence(site: Path) -> None:
    html = (site / "index.html").read_text(encoding="utf-8")
    anchors = re.findall(r'href="([^"#]+)#(evidence-[a-z-]+)"', html)
    assert len({anchor for _, anchor in anchors}) >= 10
    for target, anchor in anchors:
        page = (site / target.lstrip("./")).resolve()
        page = page / "index.html" if page.is_dir() else page
        assert f'id="{anchor}"' in page.read_text(encoding="utf-8"), (target, anchor)


@pytest.fixture(scope="module")
def first_screen(site: Path) -> Iterator[str]:
    """The text a reader sees of the home page on a 1366x768 screen, before scrolling."""
    if not Path(CHROMIUM).is_file():
        pytest.skip(f"no Chromium at {CHROMIUM} (apt-get install chromium)")
    from playwright.sync_api import sync_playwright

    with serve(site) as url, sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        try:
            page = browser.new_page(viewport={"width": 1366, "height": 768})
            page.goto(url)
            yield page.evaluate(
                """() => {
                  const seen = [];
                  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
                  while (walker.nextNode()) {
                    const node = walker.currentNode, range = document.createRange();
                    range.selectNodeContents(node);
                    const box = range.getBoundingClientRect();
                    const style = getComputedStyle(node.parentElement);
                    if (box.bottom > 0 && box.top < innerHeight && box.width > 0
                        && style.visibility !== 'hidden' && style.display !== 'none')
                      seen.push(node.textContent);
                  }
                  return seen.join(' ');
                }"""
            )
        finally:
            browser.close()


@pytest.mark.browser
def test_the_first_screen_carries_numbers_with_intervals_and_the_machine(first_screen: str) -> None:
    text = re.sub(r"\s+", " ", first_screen)
    assert len(WITH_INTERVAL.findall(text)) >= 4, text
    assert "2-core AMD EPYC" in text
    assert re.search(r"CPython 3\.\d+\.\d+", text), text
