"""One catalogue of pages: every page listed once, and the site's nav made from it."""

from __future__ import annotations

from collections import Counter
from html.parser import HTMLParser
from pathlib import Path

import pytest
from helpers_site import fixture_site
from mkdocs.config import load_config

from bench.site import build, catalogue, pages

ROOT = Path(__file__).resolve().parent.parent
DOCS = ROOT / "docs"


def test_every_page_is_listed_exactly_once() -> None:
    listed = Counter(page.path for page in catalogue.pages())
    assert [path for path, n in listed.items() if n > 1] == []
    written = {p.relative_to(DOCS).as_posix() for p in DOCS.rglob("*.md")}
    generated = set(build.generated_pages([]))
    assert written.isdisjoint(generated)
    assert set(listed) == written | generated
    assert {p.path for p in catalogue.pages() if p.generated} == generated


def test_topics_take_their_titles_from_the_catalogue() -> None:
    for topic in pages.topics():
        assert catalogue.page(topic.path).generated
        assert pages.topic_page([], topic).startswith(f"# {catalogue.title(topic.path)}\n")


def test_an_unknown_page_is_named() -> None:
    with pytest.raises(KeyError, match=r"nowhere\.md"):
        catalogue.title("nowhere.md")


def test_the_hook_sets_the_nav_from_the_catalogue() -> None:
    config = load_config(str(ROOT / "mkdocs.yml"))
    assert config.nav is None  # declared once: not in mkdocs.yml
    config = config.plugins.on_config(config)
    assert config.nav == catalogue.nav()


class PrimaryNav(HTMLParser):
    """The links of Material's primary navigation, in order: (href, label)."""

    def __init__(self) -> None:
        super().__init__()
        self.depth = 0  # nested <nav> elements inside the primary one
        self.href: str | None = None
        self.text: list[str] = []
        self.links: list[tuple[str, str]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        classes = (dict(attrs).get("class") or "").split()
        if tag == "nav" and (self.depth or "md-nav--primary" in classes):
            self.depth += 1
        elif tag == "a" and self.depth and "md-nav__link" in classes:
            self.href, self.text = dict(attrs).get("href") or "", []

    def handle_endtag(self, tag: str) -> None:
        if tag == "nav" and self.depth:
            self.depth -= 1
        elif tag == "a" and self.href is not None:
            self.links.append((self.href, " ".join("".join(self.text).split())))
            self.href = None

    def handle_data(self, data: str) -> None:
        if self.href is not None:
            self.text.append(data)


def page_of(href: str) -> str:
    """``guide/threading/`` -> ``guide/threading.md``; ``guide/`` -> ``guide/index.md``."""
    path = href.strip("/").removeprefix(".")
    index = f"{path}/index.md".lstrip("/")
    listed = {page.path for page in catalogue.pages()}
    return index if index in listed else f"{path}.md"


@pytest.mark.slow
def test_the_built_nav_is_the_catalogue(tmp_path_factory: pytest.TempPathFactory) -> None:
    site = fixture_site(tmp_path_factory)
    parser = PrimaryNav()
    parser.feed((site / "index.html").read_text(encoding="utf-8"))
    shown = [(page_of(href), label) for href, label in parser.links if not href.startswith("#")]
    assert shown == [(page.path, page.title) for page in catalogue.pages()]
