"""Which results folders the site shows, and under which label.

By default: the committed baseline (``results/baseline``) and, when it holds a run,
the user's own results (``results/local``, where ``python -m bench run`` writes).
The environment variable ``BENCH_RESULTS`` replaces both: a list of folders
separated by ``os.pathsep`` (``:`` on Unix), each optionally ``label=folder``,
e.g. ``BENCH_RESULTS=history`` or ``BENCH_RESULTS="Nightly=history:Mine=results/local"``.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from bench.environment import BASELINE_RESULTS, LOCAL_RESULTS, PROJECT_ROOT

ENV_VAR = "BENCH_RESULTS"
BASELINE = BASELINE_RESULTS
LOCAL = LOCAL_RESULTS


class SourceError(ValueError):
    """A results folder named by the user that cannot be shown."""


@dataclass(frozen=True)
class Source:
    key: str  # a slug: folder names in the site, anchors
    title: str  # what readers see
    path: Path
    yours: bool = False  # measured by the person building the site

    @property
    def shown_path(self) -> str:
        """The folder as a page may show it: relative to the project, never the builder's
        absolute path (on the published site that would show the CI runner's folders)."""
        try:
            return self.path.resolve().relative_to(PROJECT_ROOT.resolve()).as_posix()
        except ValueError:
            return self.path.name


def slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-") or "results"


def has_results(path: Path) -> bool:
    """Whether ``path`` holds a run's files; a folder that cannot be read counts, so
    that loading it says what it could not read rather than leaving it out in silence."""
    try:
        return path.is_dir() and any(
            run.is_dir() and any(file.name.endswith(".json") for file in run.iterdir())
            for machine in path.iterdir() if machine.is_dir()
            for run in machine.iterdir()
        )  # fmt: skip
    except OSError:
        return True


def default_sources() -> list[Source]:
    sources = [Source("baseline", "Baseline", BASELINE)]
    if has_results(LOCAL):
        sources.append(Source("yours", "Your machine", LOCAL, yours=True))
    return sources


def parse_sources(value: str, cwd: Path) -> list[Source]:
    """``label=folder`` items (label optional) separated by ``os.pathsep``."""
    sources: list[Source] = []
    for item in filter(None, (part.strip() for part in value.split(os.pathsep))):
        label, sep, folder = item.partition("=")
        if not sep:
            label, folder = "", item
        path = Path(folder).expanduser()
        path = path if path.is_absolute() else cwd / path
        if not path.is_dir():  # a typo would otherwise build a site that says "no results"
            raise SourceError(f"{ENV_VAR} names {folder!r}, but {path} is not a folder")
        title = label.strip() or path.name or str(path)
        key = slug(title)
        while any(s.key == key for s in sources):  # two folders of the same name
            key += "-2"
        sources.append(Source(key, title, path))
    return sources


def resolve(environ: Mapping[str, str] | None = None, cwd: Path | None = None) -> list[Source]:
    """The sources to show: ``BENCH_RESULTS`` when set, else the defaults."""
    environ = os.environ if environ is None else environ
    value = environ.get(ENV_VAR, "").strip()
    if value:
        return parse_sources(value, cwd or Path.cwd())
    return default_sources()
