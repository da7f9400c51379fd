"""Every page of the site, in nav order, declared once: the nav is generated from here.

``scripts/mkdocs_hooks.py`` sets MkDocs' nav from :func:`nav`; the results pages (which
the family folders' ``PAGE`` parts make) take their titles from here, and the build
refuses a generated page that is not listed (``build.generate``). A hand-written page
missing here fails
``mkdocs build --strict`` (a file not in the nav).
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Page:
    path: str  # under docs/
    title: str  # its label in the nav
    generated: bool = False  # written at build time (bench.site.build), not a file in docs/


@dataclass(frozen=True)
class Section:
    title: str
    pages: tuple[Page, ...]


SITE: tuple[Page | Section, ...] = (
    Page("index.md", "Home"),
    Section("Guide", (
        Page("guide/index.md", "The guide"),
        Page("guide/threading.md", "Understanding threading"),
        Page("guide/multiprocessing.md", "Understanding multiprocessing"),
        Page("guide/pros-and-cons.md", "Pros and cons"),
        Page("guide/when-to-use.md", "When to use which"),
        Page("guide/beyond.md", "Beyond the article"),
        Page("beyond-one-machine.md", "Beyond one machine"),
    )),
    Section("Results", (
        Page("results/index.md", "Results", generated=True),
        Page("results/cpu.md", "CPU-bound work", generated=True),
        Page("numpy.md", "NumPy"),
        Page("results/io.md", "I/O-bound work", generated=True),
        Page("http.md", "HTTP at scale"),
        Page("results/startup.md", "Start-up", generated=True),
        Page("results/memory.md", "Memory", generated=True),
        Page("results/communication.md", "Communication", generated=True),
        Page("results/races-and-faults.md", "Races and faults", generated=True),
        Page("history.md", "History", generated=True),
    )),
    Section("About", (
        Page("methodology.md", "Methodology"),
        Page("environment.md", "Environment", generated=True),
        Page("downloads.md", "Downloads", generated=True),
    )),
)  # fmt: skip


def pages() -> tuple[Page, ...]:
    """Every page, in nav order."""
    found: list[Page] = []
    for entry in SITE:
        found += entry.pages if isinstance(entry, Section) else [entry]
    return tuple(found)


def page(path: str) -> Page:
    for candidate in pages():
        if candidate.path == path:
            return candidate
    raise KeyError(f"{path!r} is not in the page catalogue (bench/site/catalogue.py)")


def title(path: str) -> str:
    return page(path).title


def nav() -> list[dict[str, str | list[dict[str, str]]]]:
    """MkDocs' ``nav`` setting: ``{title: path}`` per page, ``{title: [...]}`` per section."""
    return [
        {entry.title: [{p.title: p.path} for p in entry.pages]}
        if isinstance(entry, Section)
        else {entry.title: entry.path}
        for entry in SITE
    ]
