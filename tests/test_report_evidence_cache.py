"""The evidence cache gives the pages an uncached build gives, and recomputes whatever
entry it cannot trust."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from bench.evidence import cache as evidence_cache
from bench.evidence.pipeline import evidence, latest_runs
from bench.report import claims
from bench.results.read import load_results
from bench.site import build, sources
from bench.site.data import source_evidence

ROOT = Path(__file__).resolve().parent.parent
FIXTURE = ROOT / "tests" / "fixtures" / "results"


@pytest.fixture(scope="module")
def latest() -> pd.DataFrame:
    return latest_runs(load_results(FIXTURE))


def test_cached_evidence_is_the_evidence(
    latest: pd.DataFrame, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    plain = evidence(latest, tmp_path / "figures")
    first = source_evidence(latest, tmp_path)
    entries = list((tmp_path / "evidence").glob("*.json"))
    assert len(entries) == 1

    def judged_again(*args: object, **kwargs: object) -> pd.DataFrame:
        raise AssertionError("a cached entry was judged again")

    monkeypatch.setattr(claims, "evaluate", judged_again)
    cached = source_evidence(latest, tmp_path)
    for made in (first, cached):
        pd.testing.assert_frame_equal(made.verdicts, plain.verdicts, check_exact=True)
        assert list(made.tables.items()) == list(plain.tables.items())
        assert made.figures == plain.figures


def test_other_rows_are_a_miss(latest: pd.DataFrame) -> None:
    key = evidence_cache.entry_key(latest)
    assert evidence_cache.entry_key(latest.iloc[1:]) != key
    changed = latest.assign(value=latest["value"].where(latest.index != latest.index[0], 0.5))
    assert evidence_cache.entry_key(changed) != key
    assert evidence_cache.entry_key(latest) == key


def _corruptions(entry: dict[str, object], key: str) -> dict[str, bytes]:
    tables = dict(entry["tables"])  # type: ignore[call-overload]
    first = next(iter(tables))
    planted = {**entry, "tables": {**tables, first: "| <script>alert(1)</script> |\n"}}
    linked = {**entry, "tables": {**tables, first: "| \\\\[x](javascript:alert(1)) |\n"}}
    bad_cell = {**entry, "verdicts": {"columns": ["a"], "records": [[{"x": 1}]]}}
    verdicts = entry["verdicts"]  # type: ignore[index]
    columns, records = verdicts["columns"], verdicts["records"]
    at = columns.index("verdict")

    def with_verdict(value: object) -> dict[str, object]:
        first = [*records[0][:at], value, *records[0][at + 1 :]]
        return {**entry, "verdicts": {"columns": columns, "records": [first, *records[1:]]}}

    return {
        "truncated": json.dumps(entry).encode()[:100],
        "not json": b"\x00\xff not json",
        "a list": b"[1, 2]",
        "another key": json.dumps({**entry, "key": "0" * 64}).encode(),
        "another version": json.dumps({**entry, "version": "0"}).encode(),
        "raw HTML in a table": json.dumps(planted).encode(),
        "a link in a table": json.dumps(linked).encode(),
        "a cell that is not text": json.dumps(bad_cell).encode(),
        "deep nesting": b"[" * 100_000,
        "an unknown verdict": json.dumps(with_verdict('holds"><script>x</script>')).encode(),
        "a verdict that is a number": json.dumps(with_verdict(1.5)).encode(),
        "other columns": json.dumps(
            {**entry, "verdicts": {"columns": columns[::-1], "records": records}}
        ).encode(),
    }


@pytest.fixture(scope="module")
def generated(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, build.GeneratedSite]:
    cache = tmp_path_factory.mktemp("site-cache")
    site = build.generate(ROOT / "docs", environ={sources.ENV_VAR: str(FIXTURE)}, cache=cache)
    return cache, site


def _entry(cache: Path) -> Path:
    (entry,) = cache.glob("*/evidence/*.json")
    return entry


def test_a_cached_build_gives_the_same_pages_byte_for_byte(
    generated: tuple[Path, build.GeneratedSite], tmp_path: Path
) -> None:
    cache, cold = generated
    warm = build.generate(ROOT / "docs", environ={sources.ENV_VAR: str(FIXTURE)}, cache=cache)
    uncached = build.generate(
        ROOT / "docs", environ={sources.ENV_VAR: str(FIXTURE)}, cache=tmp_path / "fresh"
    )
    assert warm.pages == cold.pages == uncached.pages
    assert set(warm.files) == set(cold.files)
    for target, path in warm.files.items():
        assert Path(path).read_bytes() == Path(cold.files[target]).read_bytes(), target


def test_a_corrupt_or_foreign_entry_is_recomputed(
    generated: tuple[Path, build.GeneratedSite],
) -> None:
    cache, cold = generated
    entry = _entry(cache)
    good = entry.read_bytes()
    data = json.loads(good)
    for why, planted in _corruptions(data, data["key"]).items():
        entry.write_bytes(planted)
        assert evidence_cache.load(entry.parent, data["key"]) is None, why
        again = build.generate(ROOT / "docs", environ={sources.ENV_VAR: str(FIXTURE)}, cache=cache)
        assert again.pages == cold.pages, why
        assert _entry(cache).read_bytes() == good, why  # rewritten, sound again


def test_an_entry_that_is_a_folder_or_a_link_is_a_miss(
    generated: tuple[Path, build.GeneratedSite], tmp_path: Path
) -> None:
    cache, _ = generated
    entry = _entry(cache)
    key = json.loads(entry.read_bytes())["key"]
    elsewhere = tmp_path / "elsewhere.json"
    elsewhere.write_bytes(entry.read_bytes())
    entry.unlink()
    entry.symlink_to(elsewhere)
    assert evidence_cache.load(entry.parent, key) is None
    entry.unlink()
    entry.mkdir()
    assert evidence_cache.load(entry.parent, key) is None
    entry.rmdir()


def test_older_entries_are_removed_when_a_new_one_is_written(
    latest: pd.DataFrame, tmp_path: Path
) -> None:
    folder = tmp_path / "evidence"
    made = evidence(latest, tmp_path / "figures")
    assert evidence_cache.store(folder, "a" * 64, made.verdicts, made.tables)
    assert evidence_cache.store(folder, "b" * 64, made.verdicts, made.tables)
    assert [p.name for p in folder.iterdir()] == [f"{'b' * 64}.json"]


def test_verdicts_json_cannot_carry_exactly_are_not_cached(
    latest: pd.DataFrame, tmp_path: Path
) -> None:
    made = evidence(latest, tmp_path / "figures")
    odd = made.verdicts.astype(object)
    odd.iloc[0, 0] = np.float64(1.5)
    assert not evidence_cache.store(tmp_path / "e", "c" * 64, odd, made.tables)
    assert not list((tmp_path / "e").glob("*.json"))
