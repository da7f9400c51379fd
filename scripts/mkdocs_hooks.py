"""MkDocs hooks: the nav comes from the page catalogue (``bench/site/catalogue.py``)."""

from __future__ import annotations

from mkdocs.config.defaults import MkDocsConfig

from bench.site import catalogue


def on_config(config: MkDocsConfig) -> MkDocsConfig:
    config.nav = catalogue.nav()
    return config
