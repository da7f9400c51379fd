"""I/O: a scaling chart per group of waiting work (no capacity beside it: waiting needs no
core)."""

from __future__ import annotations

from bench.families.io.family import FAMILIES
from bench.report.figures.scaling import register_scaling

READER_FAMILIES = tuple(dict.fromkeys(f.family for f in FAMILIES))

register_scaling("scaling-io", READER_FAMILIES, with_capacity=False, order=71)
