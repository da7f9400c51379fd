"""The caches are folders anyone may have written to (a restored CI cache, a shared
checkout): what sits there is data at most, checked, and never code."""

from __future__ import annotations

import hashlib
import json
import os
import pickle
import re
import sys
from pathlib import Path

import pandas as pd
import pytest
from matplotlib.figure import Figure

from bench.history import cache
from bench.report.figures import cache as figures
from bench.results.read import load_results

ROOT = Path(__file__).parents[1]
sys.path.insert(0, str(ROOT / "scripts"))
from synth_history import synthesise  # noqa: E402

FIXTURE_RUN = ROOT / "tests/fixtures/results/fixture-machine/2026-11-25T08-30-24Z-smoke"
FILES_PER_RUN = 5


class Planted:
    """What an attacker plants: unpickling it runs a shell command."""

    def __init__(self, marker: Path) -> None:
        self.marker = marker

    def __reduce__(self) -> tuple[object, ...]:
        return (os.system, (f"touch {self.marker}",))


@pytest.fixture(scope="module")
def history(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("history")
    synthesise(FIXTURE_RUN, out, runs=2, seed=5)
    return out


def _entries(folder: Path) -> list[Path]:
    return sorted(p for p in folder.rglob("*") if p.is_file() or p.is_symlink())


def test_a_planted_pickle_executes_nothing(history: Path, tmp_path: Path) -> None:
    folder = tmp_path / "cache"
    cache.load_history(history, folder)
    assert _entries(folder)
    # The payload is real: unpickling it does run the command.
    proof = tmp_path / "proof"
    pickle.loads(pickle.dumps(Planted(proof)))
    assert proof.exists()
    marker = tmp_path / "pwned"
    payload = pickle.dumps(Planted(marker))
    for entry in _entries(folder):  # every entry, whatever its name
        entry.write_bytes(payload)
    pd.testing.assert_frame_equal(cache.load_history(history, folder), load_results(history))
    data = cache.load_site_data(history, folder)
    assert not data.summaries.empty
    assert not marker.exists()
    assert all(e.read_bytes().startswith(b"{") for e in _entries(folder))  # rewritten


def _swap_digest(entry: Path) -> None:
    data = json.loads(entry.read_text(encoding="utf-8"))
    data["digest"] = "0" * 40  # written for another file
    entry.write_text(json.dumps(data), encoding="utf-8")


def _dict_in_values(entry: Path) -> None:
    data = json.loads(entry.read_text(encoding="utf-8"))
    for column in data["columns"]:
        column[2] = [{"__class__": "os.system"}] * len(column[2])
    data["columns"][0][2].append({"__class__": "os.system"})  # an entry of no rows too
    data["length"] += 1
    entry.write_text(json.dumps(data), encoding="utf-8")


def _text_in_numbers(entry: Path) -> None:
    data = json.loads(entry.read_text(encoding="utf-8"))
    for column in data["columns"]:
        column[2] = ["1"] * len(column[2])  # numpy would read "1" as 1 or True
        column[1] = "int64"
    data["columns"][0][2].append("1")
    data["length"] += 1
    entry.write_text(json.dumps(data), encoding="utf-8")


def _other_dtype(entry: Path) -> None:
    data = json.loads(entry.read_text(encoding="utf-8"))
    data["columns"][0][1] = "category"
    entry.write_text(json.dumps(data), encoding="utf-8")


def _missing_column(entry: Path) -> None:
    data = json.loads(entry.read_text(encoding="utf-8"))
    data["columns"].pop()
    entry.write_text(json.dumps(data), encoding="utf-8")


def _short_column(entry: Path) -> None:
    data = json.loads(entry.read_text(encoding="utf-8"))
    data["columns"][0][2].append(None)  # one column longer than the others
    entry.write_text(json.dumps(data), encoding="utf-8")


def _link_elsewhere(entry: Path) -> None:
    target = entry.parent / "elsewhere.json"
    target.write_bytes(entry.read_bytes())
    entry.unlink()
    entry.symlink_to(target)


def _fifo(entry: Path) -> None:
    entry.unlink()
    os.mkfifo(entry)  # reading it would block for ever


DAMAGES = {
    "truncated": lambda e: e.write_bytes(e.read_bytes()[:100]),
    "empty": lambda e: e.write_bytes(b""),
    "foreign JSON": lambda e: e.write_text('{"kind": "something else"}', encoding="utf-8"),
    "deeply nested": lambda e: e.write_text("[" * 100_000 + "]" * 100_000, encoding="utf-8"),
    "not UTF-8": lambda e: e.write_bytes(b"\xff\xfe" * 50),
    "another file's digest": _swap_digest,
    "a dict among the values": _dict_in_values,
    "a dtype the loader never makes": _other_dtype,
    "a column missing": _missing_column,
    "a column of another length": _short_column,
    "texts where numbers go": _text_in_numbers,
    "a symbolic link": _link_elsewhere,
    "a named pipe": _fifo,
}


@pytest.mark.parametrize("damage", sorted(DAMAGES))
def test_a_damaged_entry_is_a_miss(
    history: Path, tmp_path: Path, counted: list[Path], damage: str
) -> None:
    folder = tmp_path / "cache"
    expected = cache.load_history(history, folder)
    damaged = [e for e in _entries(folder) if e.name.endswith(".rows.json")]
    for entry in damaged:
        DAMAGES[damage](entry)
    counted.clear()
    pd.testing.assert_frame_equal(cache.load_history(history, folder), expected)
    assert len(counted) == len(damaged) == 2 * FILES_PER_RUN  # each parsed again
    counted.clear()
    cache.load_history(history, folder)
    assert counted == []  # and its entry rewritten


def test_the_digest_covers_the_libraries_and_the_code(
    history: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = next(history.rglob("cpython-3.11.7.json"))
    entries = cache.EntryCache(history, tmp_path)

    def where() -> Path:
        cache._code_and_versions.cache_clear()
        found = entries.entry_path(path, "rows")
        assert found is not None
        return found[0]

    first = where()
    assert where() == first
    for module in ("numpy", "pandas", "pyperf"):
        with monkeypatch.context() as m:
            m.setattr(sys.modules[module], "__version__", "0.0-other")
            assert where() != first, module
    with monkeypatch.context() as m:
        m.setattr(cache.inspect, "getsource", lambda code: "other code")
        assert where() != first
    cache._code_and_versions.cache_clear()


def test_no_module_of_the_suite_unpickles() -> None:
    offenders = [
        str(p.relative_to(ROOT))
        for p in sorted((ROOT / "bench").rglob("*.py"))
        if re.search(
            r"^\s*(import pickle|from pickle\b)|pickle\.loads?\(", p.read_text("utf-8"), re.M
        )
    ]
    assert offenders == []


# -- the figure cache ---------------------------------------------------------------


def _tiny(rows: pd.DataFrame) -> tuple[Figure, str]:
    fig = Figure()
    fig.add_subplot().plot([1, 2, 3], [3, 1, 2])
    return fig, "a line"


SAFE_SVG = b'<svg xmlns="http://www.w3.org/2000/svg"><g><path d="M 0 0 L 1 1"/></g></svg>'
HOSTILE_SVGS = {
    "script": b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>',
    "event handler": b'<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"/>',
    "foreignObject": b'<svg xmlns="http://www.w3.org/2000/svg"><foreignObject>'
    b'<div xmlns="http://www.w3.org/1999/xhtml">hi</div></foreignObject></svg>',
    "external link": b'<svg xmlns="http://www.w3.org/2000/svg" '
    b'xmlns:xlink="http://www.w3.org/1999/xlink"><use xlink:href="https://evil.example/x.svg#a"/>'
    b"</svg>",
    "javascript link": b'<svg xmlns="http://www.w3.org/2000/svg"><a href="javascript:alert(1)">'
    b"<path d='M 0 0'/></a></svg>",
    "style import": b'<svg xmlns="http://www.w3.org/2000/svg"><style>@import url(//evil.example/'
    b"x.css);</style></svg>",
    "style url": b'<svg xmlns="http://www.w3.org/2000/svg"><path style="fill: '
    b'url(https://evil.example/)" d="M 0 0"/></svg>',
    "entity": b'<?xml version="1.0"?><!DOCTYPE svg [<!ENTITY a "b">]>'
    b'<svg xmlns="http://www.w3.org/2000/svg">&a;</svg>',
    "not SVG": b"<html><body>hello</body></html>",
    "not XML": b"<svg",
    "script in a comment": b'<svg xmlns="http://www.w3.org/2000/svg"><!-- --><script>x()'
    b"</script> --></svg>",
}


def test_svg_problem_passes_a_plain_figure_and_names_each_danger() -> None:
    assert figures.svg_problem(SAFE_SVG) is None
    for name, svg in HOSTILE_SVGS.items():
        assert figures.svg_problem(svg), name


@pytest.mark.parametrize("name", sorted(HOSTILE_SVGS))
def test_a_planted_svg_with_a_matching_key_is_drawn_again(tmp_path: Path, name: str) -> None:
    made: list[str] = []

    def make(rows: pd.DataFrame) -> tuple[Figure, str]:
        made.append("drawn")
        return _tiny(rows)

    first = figures.draw_cached("fig", "Fig", pd.DataFrame(), make, tmp_path, key="k1")
    assert first is not None and made == ["drawn"]
    svg, key_file = first.path, tmp_path / "fig.svg.key"
    planted = HOSTILE_SVGS[name]
    svg.write_bytes(planted)
    # The attacker knows the format: the key matches and so does the SHA-256.
    key = json.loads(key_file.read_text(encoding="utf-8"))
    key |= {"sha256": hashlib.sha256(planted).hexdigest(), "alt": "planted"}
    key_file.write_text(json.dumps(key), encoding="utf-8")
    again = figures.draw_cached("fig", "Fig", pd.DataFrame(), make, tmp_path, key="k1")
    assert again is not None and made == ["drawn", "drawn"]
    assert again.alt == "a line"
    assert svg.read_bytes() != planted and figures.svg_problem(svg.read_bytes()) is None


def test_a_figure_is_served_from_the_cache_only_while_its_bytes_are_those_drawn(
    tmp_path: Path,
) -> None:
    made: list[str] = []

    def make(rows: pd.DataFrame) -> tuple[Figure, str]:
        made.append("drawn")
        return _tiny(rows)

    info = figures.draw_cached("fig", "Fig", pd.DataFrame(), make, tmp_path, key="k1")
    assert info is not None
    figures.draw_cached("fig", "Fig", pd.DataFrame(), make, tmp_path, key="k1")
    assert made == ["drawn"]  # a hit
    info.path.write_bytes(SAFE_SVG)  # safe, yet not what was drawn
    figures.draw_cached("fig", "Fig", pd.DataFrame(), make, tmp_path, key="k1")
    assert made == ["drawn", "drawn"]
    key_file = tmp_path / "fig.svg.key"
    key = json.loads(key_file.read_text(encoding="utf-8"))
    key_file.write_text(json.dumps(key | {"alt": "two\nlines"}), encoding="utf-8")
    figures.draw_cached("fig", "Fig", pd.DataFrame(), make, tmp_path, key="k1")
    assert made == ["drawn", "drawn", "drawn"]  # a control character in the alt text
    target = tmp_path / "target.svg"
    target.write_bytes(info.path.read_bytes())
    info.path.unlink()
    info.path.symlink_to(target)
    figures.draw_cached("fig", "Fig", pd.DataFrame(), make, tmp_path, key="k1")
    assert made == ["drawn"] * 4  # never served through a link
    assert not info.path.is_symlink()
