"""Results of earlier schema versions, read as the current one: one step per version.

A step takes what version N wrote and returns what version N + 1 would have; the
reader chains them, so the history of every earlier night keeps loading after a bump.
Benchmark metadata and run manifests each have their steps, for the same versions.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from bench.results import schema
from bench.results.schema import DEFINITION_HASH_KEY, SCHEMA_KEY, definition_hash

MetadataStep = Callable[[dict[str, Any]], dict[str, Any]]
ManifestStep = Callable[[dict[str, Any]], dict[str, Any]]


def _v1_to_v2(metadata: dict[str, Any]) -> dict[str, Any]:
    # Version 2 added the definition hash. Version 1 recorded no workload source, so its
    # hash covers the parameters alone: a trend breaks where version 2 begins, as it must.
    return {**metadata, DEFINITION_HASH_KEY: definition_hash(metadata, None)}


def _manifest_v1_to_v2(manifest: dict[str, Any]) -> dict[str, Any]:
    # Version 2 keeps the article example's output per interpreter; version 1 ran none.
    entries = [{"article_output": [], **entry} for entry in manifest["interpreters"]]
    return {**manifest, "interpreters": entries}


#: Steps on a benchmark's (or an outcome record's) metadata, by the version they read.
METADATA_STEPS: dict[int, MetadataStep] = {1: _v1_to_v2}
#: Steps on a run's manifest (``run.json``), by the version they read.
MANIFEST_STEPS: dict[int, ManifestStep] = {1: _manifest_v1_to_v2}


def readable(version: int) -> bool:
    """True when files of ``version`` can be read: it is current, or steps lead from it."""
    current = schema.SCHEMA_VERSION
    steps = range(version, current)
    return 1 <= version <= current and all(
        v in METADATA_STEPS and v in MANIFEST_STEPS for v in steps
    )


def upgrade_metadata(metadata: Mapping[str, Any]) -> dict[str, Any]:
    """``metadata`` of any readable version as the current version writes it."""
    upgraded = dict(metadata)
    version, current = upgraded.get(SCHEMA_KEY), schema.SCHEMA_VERSION
    if not isinstance(version, int) or version >= current:
        return upgraded
    for step in range(version, current):
        upgraded = METADATA_STEPS[step](upgraded) | {SCHEMA_KEY: step + 1}
    return upgraded


def upgrade_manifest(manifest: Mapping[str, Any]) -> dict[str, Any]:
    """A manifest of any readable version (its ``schema_version``) as the current version
    writes it. Its interpreters must be objects: the boundary checks that first."""
    upgraded = dict(manifest)
    version, current = upgraded.get("schema_version"), schema.SCHEMA_VERSION
    if not isinstance(version, int) or version >= current:
        return upgraded
    for step in range(version, current):
        upgraded = MANIFEST_STEPS[step](upgraded) | {"schema_version": step + 1}
    return upgraded
