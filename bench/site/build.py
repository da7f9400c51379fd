"""One site build: load every results folder, generate pages and files, expand markers.

Returns what to write; ``scripts/gen_pages.py`` writes it through mkdocs-gen-files.
Figures, the tidy table, and the verdicts and tables (``bench.evidence.cache``)
are kept under ``build/site-cache`` so that a rebuild redoes only what changed.
"""

from __future__ import annotations

import math
import os
import posixpath
import time
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import pandas as pd

from bench.environment import PROJECT_ROOT
from bench.report import spreadsheet
from bench.results import write
from bench.results.schema import max_file_bytes
from bench.site import catalogue, markers, pages, redact
from bench.site.data import SourceData, load_sources
from bench.site.sources import SourceError, resolve

CACHE = PROJECT_ROOT / "build" / "site-cache"
CACHE_ENV = "BENCH_SITE_CACHE"  # another cache folder (tests, parallel builds)
STALE_ENV = "BENCH_STALE_DAYS"


class SiteError(RuntimeError):
    pass


@dataclass(frozen=True)
class GeneratedSite:
    pages: dict[str, str]  # docs path -> Markdown
    files: dict[str, str]  # docs path -> file to copy
    stale_notice: str
    sources_notice: str
    seconds: float


def stale_after_days(environ: Mapping[str, str], default: float) -> float:
    """``BENCH_STALE_DAYS`` (else ``default``): days after which results are stale."""
    raw = environ.get(STALE_ENV, "")
    try:
        days = float(raw) if raw.strip() else float(default)
    except ValueError:
        days = math.nan
    if not math.isfinite(days) or days < 0:
        raise SiteError(f"{STALE_ENV}={raw!r} is not a number of days (0 or more)")
    return days


def newest(sources: list[SourceData]) -> pd.Timestamp | None:
    dates = [d for d in (s.newest_date() for s in sources) if d is not None]
    return max(dates) if dates else None


def stale_notice(sources: list[SourceData], max_age_days: float, now: datetime) -> str:
    """A warning for every page when the newest results are older than ``max_age_days``."""
    when = newest(sources)
    if when is None:
        return ""
    age = pd.Timestamp(now) - when
    if age <= pd.Timedelta(days=max_age_days):
        return ""
    days = age / pd.Timedelta(days=1)
    return (
        f"These results are stale: the newest was measured on {when:%Y-%m-%d} "
        f"({days:.0f} days ago, more than {max_age_days:g})."
    )


def sources_notice(sources: list[SourceData]) -> str:
    mine = [s.source.title for s in sources if s.source.yours and not s.empty]
    if not mine:
        return ""
    return f"Results from your own machine are shown in the tabs named “{mine[0]}”."


def hand_written(docs_dir: Path) -> dict[str, str]:
    """Docs pages (path -> text) that contain at least one marker."""
    found = {}
    for path in sorted(docs_dir.rglob("*.md")):
        text = path.read_text(encoding="utf-8")
        if markers.MARKER.search(text):
            found[path.relative_to(docs_dir).as_posix()] = text
    return found


def generated_pages(sources: list[SourceData]) -> dict[str, str]:
    made = {topic.path: pages.topic_page(sources, topic) for topic in pages.topics()}
    made["results/index.md"] = pages.results_index(sources)
    made["environment.md"] = pages.environment_page(sources)
    made["downloads.md"] = pages.downloads_page(sources)
    made["history.md"] = pages.history_page(sources)
    listed = {page.path for page in catalogue.pages() if page.generated}
    if set(made) != listed:
        raise SiteError(
            f"generated pages and the catalogue (bench/site/catalogue.py) disagree: "
            f"{', '.join(sorted(set(made) ^ listed))}"
        )
    return made


def data_files(sources: list[SourceData], cache: Path) -> dict[str, str]:
    """Figures, the tidy tables and the raw files, docs path -> file on disk."""
    files: dict[str, str] = {}
    for data in sources:
        for name, info in data.figures.items():
            files[pages.figure_target(data, name)] = str(info.path)
            if info.numbers.is_file():  # the numbers behind the chart, as it drew them
                files[pages.numbers_target(data, name)] = str(info.numbers)
        if data.empty:
            continue
        tidy = cache / data.source.key / "tidy.csv"
        text = spreadsheet.to_csv(data.latest)  # the newest runs: a year of history is too big
        if not tidy.exists() or tidy.read_text(encoding="utf-8") != text:
            with write.atomic_writer(tidy) as f:
                f.write(text)
        files[pages.tidy_target(data)] = str(tidy)
        raw = cache / data.source.key / "raw"
        for target, source in pages.download_targets(data).items():
            # what a download offers: no home folder of the machine that measured it
            shown = target.removeprefix(f"{pages.GENERATED}/{data.source.key}/raw/")
            files[target] = str(redact.shareable(Path(source), raw / shown))
    return files


def check_copy(target: str, source: Path | None = None, roots: list[Path] | None = None) -> None:
    """Refuse a docs path that leads out of the docs, or a file from outside ``roots``.

    Paths are built from folder names the loader found, never from metadata: this is
    the last line of defence should that ever change.
    """
    normal = posixpath.normpath(target)
    if target.startswith("/") or normal == ".." or normal.startswith("../") or "\\" in target:
        raise SiteError(f"refusing to write {target!r}: it leads out of the site")
    if source is not None and roots is not None:
        resolved = source.resolve()
        if source.is_symlink() or not any(resolved.is_relative_to(r.resolve()) for r in roots):
            raise SiteError(f"refusing to publish {source}: it is not a file of a results folder")


def generate(
    docs_dir: str | Path,
    stale_after_days: float = 7,
    *,
    environ: Mapping[str, str] | None = None,
    now: datetime | None = None,
    cache: Path | None = None,
) -> GeneratedSite:
    start = time.perf_counter()
    environ = os.environ if environ is None else environ
    cache = cache or Path(environ.get(CACHE_ENV) or CACHE)
    try:
        max_file_bytes()  # a bad BENCH_MAX_FILE_MB named before any work, not in a traceback
    except ValueError as exc:
        raise SiteError(str(exc)) from None
    try:
        chosen = resolve(environ)
    except SourceError as exc:
        raise SiteError(str(exc)) from None
    sources = [data for source in chosen for data in load_sources(source, cache)]
    made = generated_pages(sources)
    for page, text in hand_written(Path(docs_dir)).items():
        try:
            made[page] = markers.expand(text, page, sources)
        except markers.MarkerError as exc:
            raise SiteError(str(exc)) from None
    files = data_files(sources, cache)
    for target, source in files.items():
        check_copy(target, Path(source), [*(s.source.path for s in sources), cache])
    for target in made:
        check_copy(target)
    return GeneratedSite(
        pages=made,
        files=files,
        stale_notice=stale_notice(sources, stale_after_days, now or datetime.now(UTC)),
        sources_notice=sources_notice(sources),
        seconds=time.perf_counter() - start,
    )
