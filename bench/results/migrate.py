"""Results of earlier schema versions, read as the current one: one step per version.

A step takes what version N wrote and returns what version N + 1 would have; the
reader chains them, so the history of every earlier night keeps loading after a bump.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from bench.results import schema
from bench.results.schema import DEFINITION_HASH_KEY, SCHEMA_KEY, definition_hash

MetadataStep = Callable[[dict[str, Any]], dict[str, Any]]


def _v1_to_v2(metadata: dict[str, Any]) -> dict[str, Any]:
    # Version 2 added the definition hash. Version 1 recorded no workload source, so its
    # hash covers the parameters alone: a trend breaks where version 2 begins, as it must.
    return {**metadata, DEFINITION_HASH_KEY: definition_hash(metadata, None)}


#: Steps on a benchmark's (or an outcome record's) metadata, by the version they read.
METADATA_STEPS: dict[int, MetadataStep] = {1: _v1_to_v2}


def readable(version: int) -> bool:
    """True when files of ``version`` can be read: it is current, or steps lead from it."""
    current = schema.SCHEMA_VERSION
    return 1 <= version <= current and all(v in METADATA_STEPS for v in range(version, current))


def upgrade_metadata(metadata: Mapping[str, Any]) -> dict[str, Any]:
    """``metadata`` of any readable version as the current version writes it."""
    upgraded = dict(metadata)
    version, current = upgraded.get(SCHEMA_KEY), schema.SCHEMA_VERSION
    if not isinstance(version, int) or version >= current:
        return upgraded
    for step in range(version, current):
        upgraded = METADATA_STEPS[step](upgraded) | {SCHEMA_KEY: step + 1}
    return upgraded
