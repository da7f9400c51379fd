"""mkdocs-gen-files glue: load the results, write the generated pages and figures,
and expand the markers of the hand-written pages. The work is done in ``bench.site``."""

from __future__ import annotations

import logging
import os
import shutil

import mkdocs_gen_files
from mkdocs.exceptions import PluginError

from bench.results.read import ResultsError
from bench.site import build

log = logging.getLogger("mkdocs.plugins.gen_pages")
config = mkdocs_gen_files.config

try:
    site = build.generate(
        docs_dir=config.docs_dir,
        stale_after_days=build.stale_after_days(
            os.environ, config.extra.get("stale_after_days", 7)
        ),
    )
except (ResultsError, build.SiteError) as exc:
    raise PluginError(str(exc)) from None

for path, text in site.pages.items():
    with mkdocs_gen_files.open(path, "w", encoding="utf-8") as f:
        f.write(text)
for path, source in site.files.items():
    with mkdocs_gen_files.open(path, "wb") as out, open(source, "rb") as src:  # noqa: PTH123
        shutil.copyfileobj(src, out)
config.extra["stale_notice"] = site.stale_notice
config.extra["sources_notice"] = site.sources_notice
log.info("generated %d page(s) and %d file(s) in %.1fs", len(site.pages), len(site.files),
         site.seconds)  # fmt: skip
