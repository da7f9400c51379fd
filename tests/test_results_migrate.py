"""Schema versions: older files load through migration steps; a definition hash per case."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

from bench.results import migrate, schema
from bench.results.read import ResultsError, load_results, read_manifest

#: A real run written with schema version 1 (a quick run of CPython 3.11, trimmed).
VERSION_1 = Path(__file__).parent / "fixtures" / "bad" / "valid"


@pytest.fixture(scope="module")
def baseline_run(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A copy of a results folder written with schema version 1."""
    root = tmp_path_factory.mktemp("v1") / "results"
    shutil.copytree(VERSION_1, root)
    (manifest,) = root.glob("*/*/run.json")
    assert json.loads(manifest.read_text(encoding="utf-8"))["schema_version"] == 1
    return root


def test_version_1_files_load_with_a_definition_hash_per_case(baseline_run: Path) -> None:
    frame = load_results(baseline_run)
    assert frame["definition_hash"].notna().all()
    per_case = frame.groupby(["group", "model", "start_method", "workers", "variant",
                              "payload_bytes", "chunksize", "tasks"], dropna=False)  # fmt: skip
    # One hash per case, the same in the suite and in the outcomes file.
    assert (per_case["definition_hash"].nunique() == 1).all()
    assert frame["definition_hash"].nunique() == per_case.ngroups


def test_a_schema_bump_keeps_the_old_files_loading(
    baseline_run: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    before = load_results(baseline_run)
    seen: list[int] = []

    def v2_to_v3(metadata: dict[str, Any]) -> dict[str, Any]:
        seen.append(metadata[schema.SCHEMA_KEY])
        return {**metadata, "variant": f"{metadata.get('variant')}+v3"}

    def manifest_v2_to_v3(manifest: dict[str, Any]) -> dict[str, Any]:
        assert manifest["schema_version"] == 2
        return {**manifest, "profile": f"{manifest['profile']}+v3"}

    monkeypatch.setattr(schema, "SCHEMA_VERSION", 3)
    monkeypatch.setitem(migrate.METADATA_STEPS, 2, v2_to_v3)
    monkeypatch.setitem(migrate.MANIFEST_STEPS, 2, manifest_v2_to_v3)
    after = load_results(baseline_run)
    assert seen and set(seen) == {2}  # version 1 went through step 1, then step 2
    assert (after["variant"] == before["variant"] + "+v3").all()
    same = [c for c in before.columns if c != "variant"]
    pd.testing.assert_frame_equal(after[same], before[same])
    (path,) = baseline_run.glob("*/*/run.json")
    manifest = read_manifest(path)
    assert (manifest.profile, manifest.schema_version) == ("quick+v3", 3)


def test_a_version_1_manifest_reads_as_the_current_typed_manifest(baseline_run: Path) -> None:
    (path,) = baseline_run.glob("*/*/run.json")
    old = json.loads(path.read_text(encoding="utf-8"))
    assert all("article_output" not in entry for entry in old["interpreters"])
    manifest = read_manifest(path)
    assert isinstance(manifest, schema.Manifest)
    assert manifest.schema_version == schema.SCHEMA_VERSION
    assert [type(e) for e in manifest.interpreters] == [schema.InterpreterEntry]
    assert manifest.interpreters[0].article_output == []  # version 1 ran no example
    # Everything version 1 held is read unchanged, through the typed fields.
    written = manifest.to_json()
    # "plan" came later, with a default: an older manifest has none to carry
    apart = {"interpreters", "schema_version", "plan"}
    assert {k: v for k, v in written.items() if k not in apart} == {
        k: v for k, v in old.items() if k not in apart
    }
    assert written["plan"] == {}
    assert written["interpreters"][0] == old["interpreters"][0] | {"article_output": []}


def test_a_manifest_without_a_step_to_the_current_version_is_refused(
    baseline_run: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(schema, "SCHEMA_VERSION", 3)
    monkeypatch.setitem(migrate.METADATA_STEPS, 2, dict)  # a step for the metadata only
    (path,) = baseline_run.glob("*/*/run.json")
    with pytest.raises(ResultsError, match="older than any version this code can upgrade"):
        read_manifest(path)


def test_without_a_step_an_old_version_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(schema, "SCHEMA_VERSION", 3)
    assert migrate.readable(2) is False  # no step from 2 to 3 registered
    assert migrate.readable(0) is False and migrate.readable(4) is False


def test_the_definition_hash_follows_parameters_and_source() -> None:
    params = {"workload": "spin", "size": 400, "tasks": 1000, "model": "threads", "workers": 2}
    same = schema.definition_hash(params, "def f(): pass")
    assert same == schema.definition_hash(dict(params), "def f(): pass")
    assert same != schema.definition_hash(params | {"tasks": 2000}, "def f(): pass")
    assert same != schema.definition_hash(params, "def f(): return 1")
    assert same != schema.definition_hash(params, None)
    # What is not a definition (where and when it ran) does not change it.
    assert same == schema.definition_hash(params | {"round": 3, "machine": "x"}, "def f(): pass")
