"""The schema's registry is the one list of metadata keys the rest of the code draws on."""

from __future__ import annotations

import pytest

from bench.history import summary
from bench.report import metrics
from bench.results import schema
from bench.results.read import COLUMNS


def test_every_key_read_into_columns_or_grouped_on_is_registered() -> None:
    columns = set(COLUMNS)
    for name, keys in [
        ("PARAM_KEYS", schema.PARAM_KEYS),
        ("DEFINITION_KEYS", schema.DEFINITION_KEYS),
        ("summary.CONTEXT", summary.CONTEXT),
        ("summary.SUMMARY_KEYS", summary.SUMMARY_KEYS),
        ("metrics.DESCRIPTIVE", metrics.DESCRIPTIVE),
        ("metrics.SUMMARY_KEYS", metrics.SUMMARY_KEYS),
    ]:
        unknown = [k for k in keys if k not in schema.METADATA and k not in columns]
        assert not unknown, (name, unknown)
    assert set(schema.PARAM_KEYS) <= set(schema.METADATA)


@pytest.mark.parametrize(
    ("key", "value", "problem"),
    [
        ("workers", -1, "may not be negative"),
        ("workers", 1.5, "not an integer"),
        ("workers", True, "not a number"),
        ("size", float("nan"), "not a finite number"),
        ("machine", "../x", "not a plain name"),
        ("model", 3, "not text"),
        ("cpu_model_name", "a\nb", "control character"),
        ("cpu_model_name", "x" * 3000, "characters long"),
        ("param_anything", float("inf"), "not a finite number"),
        ("Bad Key", 1, "not a plain name"),
    ],
)
def test_metadata_rules(key: str, value: object, problem: str) -> None:
    found = schema.check_metadata({key: value})
    assert found is not None and problem in found


def test_plain_metadata_passes() -> None:
    assert schema.check_metadata({"workers": 2, "cpu_model_name": "AMD <EPYC>", "x": None}) is None


def test_every_invisible_or_direction_changing_character_is_refused_and_no_other() -> None:
    refused = [c for c in range(0x2000, 0x2070) if schema.text_problem(f"a{chr(c)}b")]
    formatting = [*range(0x200B, 0x2010), *range(0x202A, 0x202F), *range(0x2066, 0x206A)]
    assert refused == sorted([0x2028, 0x2029, *formatting])
    assert schema.text_problem("a\ufeffb") == "holds the invisible formatting character U+FEFF"
    assert schema.text_problem("Intel\u00ae Xeon\u2122 \u2013 2.0 GHz") is None


def test_every_field_of_a_manifest_has_its_rule_and_no_other() -> None:
    """A field added to Manifest without a rule would make the reader refuse every new run."""
    from dataclasses import fields

    assert set(schema.MANIFEST_FIELDS) == {f.name for f in fields(schema.Manifest)}
    assert set(schema.ENTRY_FIELDS) == {f.name for f in fields(schema.InterpreterEntry)}
