"""Build the MkDocs site, serve it on loopback, and read its HTML: shared by the site tests."""

from __future__ import annotations

import functools
import http.server
import os
import posixpath
import shutil
import subprocess
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path
from typing import ClassVar
from urllib.parse import unquote, urlsplit

import pytest
from helpers_waiting import SOON_S

ROOT = Path(__file__).resolve().parent.parent
FIXTURE_RESULTS = ROOT / "tests" / "fixtures" / "results"
HOST = "127.0.0.1"


def build_site(dest: Path, results: Path | None) -> None:
    """``mkdocs build --strict`` into ``dest``; ``results=None`` keeps the default sources.

    A failed build fails the calling test with mkdocs' own output, which names the cause.
    """
    env = {**os.environ, "DISABLE_MKDOCS_2_WARNING": "true", "NO_MKDOCS_2_WARNING": "1"}
    env.pop("BENCH_RESULTS", None)
    # A cache of its own: builds in parallel test processes must not share build/site-cache,
    # where one build replacing a source's figures removes those another is copying.
    env["BENCH_SITE_CACHE"] = str(dest.parent / f"{dest.name}-cache")
    if results is not None:
        env["BENCH_RESULTS"] = str(results)
    proc = subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--strict", "-d", str(dest)],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    if proc.returncode != 0:
        pytest.fail(
            f"mkdocs build --strict exited {proc.returncode} "
            f"(BENCH_RESULTS={env.get('BENCH_RESULTS', '<default sources>')}):\n{proc.stderr}",
            pytrace=False,
        )


_BUILT: dict[int, Path] = {}


def fixture_site(factory: pytest.TempPathFactory) -> Path:
    """The site built from the test fixture results, once per session for every test module."""
    key = id(factory)
    if key not in _BUILT:
        dest = factory.mktemp("site")
        build_site(dest, FIXTURE_RESULTS)
        _BUILT[key] = dest
    return _BUILT[key]


#: Results a 16-core machine measured (../shared/data/device-16core/README.md).
SIXTEEN_CORES = ROOT.parent / "shared" / "data" / "device-16core"


def two_machines(dest: Path) -> Path:
    """A results folder of two machines: the committed baseline and, where it holds one
    machine only, the 16-core machine's shared results beside it (copies: the reader
    refuses links). Skips where neither has a second machine."""
    shutil.copytree(ROOT / "results" / "baseline", dest)
    if len([p for p in dest.iterdir() if p.is_dir()]) < 2:
        if not SIXTEEN_CORES.is_dir():
            pytest.skip(f"one machine in the baseline and no {SIXTEEN_CORES} here")
        for machine in (p for p in SIXTEEN_CORES.iterdir() if p.is_dir()):
            shutil.copytree(machine, dest / machine.name)
    return dest


def two_machine_site(factory: pytest.TempPathFactory) -> Path:
    """The site built from ``two_machines``, once per session for every test module."""
    key = -id(factory)
    if key not in _BUILT:
        dest = factory.mktemp("site-two-machines")
        build_site(dest, two_machines(factory.mktemp("results-two-machines") / "results"))
        _BUILT[key] = dest
    return _BUILT[key]


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: object) -> None:
        pass  # pytest's output is for failures, not access logs


@contextmanager
def serve(directory: Path) -> Iterator[str]:
    """Serve ``directory`` on a free loopback port; yield its base URL (ending in ``/``)."""
    handler = functools.partial(_QuietHandler, directory=str(directory))
    server = http.server.ThreadingHTTPServer((HOST, 0), handler)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, name="site-server", daemon=True)
    thread.start()
    try:
        yield f"http://{HOST}:{server.server_address[1]}/"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=SOON_S)


def page_files(site: Path) -> list[Path]:
    """Every page of the site: its ``index.html`` files (404.html is no page to navigate to)."""
    return sorted(site.rglob("index.html"))


def url_path(site: Path, page: Path) -> str:
    """The URL path a page is served at: ``guide/index.html`` -> ``/guide/``."""
    parent = page.parent.relative_to(site).as_posix()
    return "/" if parent == "." else f"/{parent}/"


# ---- static reading of the built HTML ----------------------------------------------------


@dataclass
class PageRefs:
    """What one HTML file points at, and the anchors it offers."""

    ids: set[str] = field(default_factory=set)
    links: list[tuple[str, str]] = field(default_factory=list)  # (tag, url)
    images: list[str] = field(default_factory=list)


class _RefParser(HTMLParser):
    URL_ATTRS: ClassVar[dict[str, str]] = {
        "a": "href", "link": "href", "script": "src", "img": "src",
        "source": "src", "iframe": "src", "video": "src", "audio": "src",
    }  # fmt: skip

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.refs = PageRefs()

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = {name: value for name, value in attrs if value is not None}
        for name in ("id", "name") if tag == "a" else ("id",):
            if values.get(name):
                self.refs.ids.add(values[name])
        url = values.get(self.URL_ATTRS.get(tag, ""))
        if url is not None:
            self.refs.links.append((tag, url))
            if tag == "img":
                self.refs.images.append(url)


def parse_page(path: Path) -> PageRefs:
    parser = _RefParser()
    parser.feed(path.read_text(encoding="utf-8"))
    parser.close()
    return parser.refs


def is_external(url: str) -> bool:
    parts = urlsplit(url)
    return bool(parts.scheme or parts.netloc)


def resolve(site: Path, page: Path, url: str) -> tuple[Path, str]:
    """The file an internal ``url`` found in ``page`` names, and its fragment."""
    parts = urlsplit(url)
    base = "/" + page.parent.relative_to(site).as_posix() + "/"
    target = posixpath.normpath(posixpath.join(base, unquote(parts.path))) if parts.path else None
    path = site / target.lstrip("/") if target else page
    if path.is_dir():
        path /= "index.html"
    return path, unquote(parts.fragment)


def broken_refs(site: Path) -> list[str]:
    """Internal links, sources and anchors of every HTML file that lead nowhere."""
    pages = {path: parse_page(path) for path in sorted(site.rglob("*.html"))}
    problems = []
    for page, refs in pages.items():
        name = page.relative_to(site).as_posix()
        for tag, url in refs.links:
            if is_external(url) or not url or url == "#":
                continue
            target, fragment = resolve(site, page, url)
            if not target.is_file():
                problems.append(f"{name}: <{tag}> {url!r} -> missing {target.relative_to(site)}")
            elif fragment and target.suffix == ".html":
                ids = pages[target].ids if target in pages else parse_page(target).ids
                if fragment not in ids:
                    problems.append(f"{name}: <{tag}> {url!r} -> no id {fragment!r} in target")
    return problems


def external_assets(site: Path) -> list[str]:
    """``<link>``/``<script>``/``<img>`` (and media) fetched from another host."""
    return [
        f"{page.relative_to(site).as_posix()}: <{tag}> {url}"
        for page in sorted(site.rglob("*.html"))
        for tag, url in parse_page(page).links
        if tag != "a" and urlsplit(url).scheme in {"http", "https", ""} and urlsplit(url).netloc
    ]


def page_weight(site: Path, page: Path) -> int:
    """Bytes of a page's HTML plus each distinct internal image it shows."""
    images = {
        resolve(site, page, url)[0] for url in parse_page(page).images if not is_external(url)
    }
    return page.stat().st_size + sum(path.stat().st_size for path in images if path.is_file())
