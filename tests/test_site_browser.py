"""The built site in a real browser: Playwright drives Debian's Chromium over loopback.

One crawl follows the navigation from the home page and records, per page, its status,
console and page errors, images, and any request to another host (aborted: the site must
work offline). The tests below read that record; search, the palette toggle and content
tabs get their own pages.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urljoin, urlsplit

import pytest
from helpers_site import HOST, fixture_site, page_files, serve, url_path

pytestmark = pytest.mark.browser

CHROMIUM = os.environ.get("BENCH_CHROMIUM", "/usr/bin/chromium")
TIMEOUT_MS = 15_000

if not Path(CHROMIUM).is_file():
    pytest.skip(
        f"no Chromium at {CHROMIUM} (apt-get install chromium, or set BENCH_CHROMIUM)",
        allow_module_level=True,
    )

from playwright.sync_api import (  # noqa: E402  (after the skip: the import is the costly part)
    Browser,
    BrowserContext,
    ConsoleMessage,
    Page,
    Route,
    sync_playwright,
)

# Loads every image, lazy or not, and reports how each one rendered.
IMAGES_JS = """async () => {
  const imgs = Array.from(document.querySelectorAll('.md-content img'));
  for (const img of imgs) img.loading = 'eager';
  await Promise.all(imgs.map(img => img.decode().catch(() => null)));
  return imgs.map(img => ({src: img.currentSrc || img.src, alt: (img.alt || '').trim(),
                           width: img.naturalWidth}));
}"""
NAV_LINKS_JS = "() => Array.from(document.querySelectorAll('nav a[href]'), a => a.href)"


@dataclass
class Visit:
    status: int | None = None
    errors: list[str] = field(default_factory=list)  # console errors and uncaught exceptions
    images: list[dict[str, object]] = field(default_factory=list)


@dataclass
class Crawl:
    visits: dict[str, Visit] = field(default_factory=dict)  # URL path -> what happened
    foreign: list[str] = field(default_factory=list)  # requests to other hosts, aborted


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return fixture_site(tmp_path_factory)


@pytest.fixture(scope="module")
def base_url(site: Path) -> Iterator[str]:
    with serve(site) as url:
        yield url


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        yield browser
        browser.close()


def offline_context(browser: Browser, foreign: list[str]) -> BrowserContext:
    """A fresh light-scheme context that aborts, and records, any request off loopback."""
    context = browser.new_context(color_scheme="light", viewport={"width": 1280, "height": 900})
    context.set_default_timeout(TIMEOUT_MS)

    def gate(route: Route) -> None:
        parts = urlsplit(route.request.url)
        if parts.scheme in {"http", "https"} and parts.hostname != HOST:
            foreign.append(route.request.url)
            route.abort()
        else:
            route.continue_()

    context.route("**/*", gate)
    return context


def visit(context: BrowserContext, url: str) -> tuple[Page, Visit]:
    page = context.new_page()
    record = Visit()

    def on_console(msg: ConsoleMessage) -> None:
        if msg.type == "error":
            record.errors.append(f"console: {msg.text} ({msg.location.get('url')})")

    page.on("console", on_console)
    page.on("pageerror", lambda exc: record.errors.append(f"page error: {exc}"))
    response = page.goto(url, wait_until="networkidle")
    record.status = response.status if response else None
    return page, record


@pytest.fixture(scope="module")
def crawl(browser: Browser, base_url: str) -> Iterator[Crawl]:
    """Every page reachable through ``<nav>`` links from the home page, breadth first."""
    result = Crawl()
    context = offline_context(browser, result.foreign)
    queue = ["/"]
    while queue:
        path = queue.pop(0)
        if path in result.visits:
            continue
        page, record = visit(context, urljoin(base_url, path))
        result.visits[path] = record
        record.images = page.evaluate(IMAGES_JS)
        for href in page.evaluate(NAV_LINKS_JS):
            parts = urlsplit(href)
            target = parts.path.removesuffix("index.html")  # one page, however it is named
            if parts.netloc == urlsplit(base_url).netloc and target not in result.visits:
                queue.append(target)
        page.close()
    yield result
    context.close()


@pytest.fixture
def context(browser: Browser) -> Iterator[tuple[BrowserContext, list[str]]]:
    foreign: list[str] = []
    ctx = offline_context(browser, foreign)
    yield ctx, foreign
    ctx.close()
    assert foreign == [], "requests to other hosts"


def test_nav_reaches_every_page(site: Path, crawl: Crawl) -> None:
    built = {url_path(site, page) for page in page_files(site)}
    assert len(built) > 1
    assert set(crawl.visits) == built


def test_every_page_loads_without_errors(crawl: Crawl) -> None:
    bad = {path: (v.status, v.errors) for path, v in crawl.visits.items()
           if v.status != 200 or v.errors}  # fmt: skip
    assert bad == {}


def test_every_image_renders_with_alt_text(crawl: Crawl) -> None:
    images = [(path, image) for path, v in crawl.visits.items() for image in v.images]
    assert images, "no page shows an image: the charts are missing"
    bad = [(path, image) for path, image in images if not image["width"] or not image["alt"]]
    assert bad == []


def test_no_request_leaves_localhost(crawl: Crawl) -> None:
    assert crawl.visits
    assert crawl.foreign == []


def test_search_finds_gil(context: tuple[BrowserContext, list[str]], base_url: str) -> None:
    page, record = visit(context[0], base_url)
    search = page.locator("input.md-search__input")
    search.click()
    search.press_sequentially("GIL", delay=50)
    results = page.locator(".md-search-result__item")
    results.first.wait_for(state="visible")
    assert results.count() >= 1
    assert record.errors == []


def scheme(page: Page) -> str | None:
    return page.locator("body").get_attribute("data-md-color-scheme")


def test_palette_toggle_switches_dark_and_back(
    context: tuple[BrowserContext, list[str]], base_url: str
) -> None:
    page, record = visit(context[0], base_url)
    assert scheme(page) == "default"
    for expected in ("slate", "default"):
        page.locator("form[data-md-component='palette'] label:visible").click()
        page.wait_for_function(
            "s => document.body.getAttribute('data-md-color-scheme') === s", arg=expected
        )
        assert scheme(page) == expected
    assert record.errors == []


def _tabbed_page(site: Path) -> str | None:
    """The home page or a guide page with a set of content tabs, home first."""
    candidates = [site / "index.html", *sorted((site / "guide").rglob("index.html"))]
    for page in candidates:
        if page.is_file() and 'class="tabbed-set' in page.read_text(encoding="utf-8"):
            return url_path(site, page)
    return None


def test_content_tabs_switch(
    context: tuple[BrowserContext, list[str]], base_url: str, site: Path
) -> None:
    path = _tabbed_page(site)
    if path is None:
        pytest.skip("no content tabs on the home page or the guide pages yet")
    page, record = visit(context[0], urljoin(base_url, path))
    tabbed = page.locator(".tabbed-set").first
    tabbed.scroll_into_view_if_needed()
    blocks = tabbed.locator(":scope > .tabbed-content > .tabbed-block")
    assert blocks.nth(0).is_visible() and not blocks.nth(1).is_visible()
    tabbed.locator(":scope > .tabbed-labels > label").nth(1).click()
    blocks.nth(1).wait_for(state="visible")
    assert not blocks.nth(0).is_visible()
    assert tabbed.locator(":scope > input").nth(1).is_checked()
    assert record.errors == []
