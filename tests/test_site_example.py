"""The article example's output on the site: read from the newest run, shown inert."""

from __future__ import annotations

import html
import json
import shutil
from pathlib import Path

import markdown
import pytest
from mkdocs.config import load_config
from pymdownx.snippets import SnippetMissingError

from bench.environment import PROJECT_ROOT
from bench.results.layout import MANIFEST_NAME
from bench.results.read import check_file
from bench.site import example, markers, sources
from bench.site.data import SourceData, load_source

FIXTURE = Path(__file__).parent / "fixtures" / "results"
MARKER = "<!-- example-output -->\n"
#: Lines a results folder could hold: each must reach the page as the text it is.
HOSTILE = [
    '--8<-- "mkdocs.yml"',
    '--8<-- "article/workload.py"',
    ';--8<-- "article/workload.py"',
    "before --8<-- [start:worker] after",
    "--8<--",
    "```",
    "<script>alert(1)</script>",
    "<!-- evidence: races_lose_updates -->",
    '=== "tab"',
]


def with_output(tmp_path: Path, lines: list[str]) -> SourceData:
    """The fixture's results, its run's first interpreter having recorded ``lines``."""
    root = tmp_path / "results"
    shutil.copytree(FIXTURE, root)
    (manifest_path,) = root.glob(f"*/*/{MANIFEST_NAME}")
    manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
    manifest["interpreters"][0]["article_output"] = lines
    manifest_path.write_text(json.dumps(manifest), encoding="utf-8")
    check_file(manifest_path)  # legal in a results file: the site must cope
    return load_source(sources.Source("fixture", "Fixture", root), tmp_path / "cache")


def to_html(text: str, monkeypatch: pytest.MonkeyPatch) -> str:
    """``text`` through the Markdown extensions of the site, snippets included."""
    monkeypatch.chdir(PROJECT_ROOT)  # where the snippets extension looks
    config = load_config(str(PROJECT_ROOT / "mkdocs.yml"))
    md = markdown.Markdown(
        extensions=config["markdown_extensions"], extension_configs=config["mdx_configs"]
    )
    return md.convert(text)


def shown_text(page: str) -> str:
    """What the reader sees, zero-width spaces removed."""
    return html.unescape(page).replace(example.ZERO_WIDTH_SPACE, "")


def test_the_recorded_output_is_shown_with_its_run(tmp_path: Path) -> None:
    data = with_output(tmp_path, ["multiprocessing:", "Worker 0", "threading:", "Worker 0"])
    found = example.recorded(data)
    assert found is not None and found.lines[:2] == ("multiprocessing:", "Worker 0")
    out = markers.expand(MARKER, "guide/threading.md", [data])
    assert "```text\nmultiprocessing:\nWorker 0\nthreading:\nWorker 0\n```" in out
    assert found.run_id in out


def test_a_folder_without_it_gets_a_note_not_a_failure(tmp_path: Path) -> None:
    data = load_source(sources.Source("fixture", "Fixture", FIXTURE), tmp_path / "cache")
    assert example.recorded(data) is None
    assert "No recorded output" in markers.expand(MARKER, "guide/threading.md", [data])


def test_hostile_lines_reach_the_page_as_text(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    data = with_output(tmp_path, HOSTILE)
    page = to_html(markers.expand(MARKER, "guide/threading.md", [data]), monkeypatch)
    shown = shown_text(page)
    for line in HOSTILE:
        assert line in shown, line
    assert "<script>" not in page and "site_name" not in shown and "def worker" not in shown


def test_without_the_zero_width_space_snippets_would_act(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # The check above can fail: a plain fence is no protection from pymdownx.snippets.
    def plain(lines: list[str]) -> str:
        return shown_text(to_html("```text\n" + "\n".join(lines) + "\n```\n", monkeypatch))

    assert "def worker" in plain(['--8<-- "article/workload.py"'])
    assert "[start:worker]" not in plain(["before --8<-- [start:worker] after"])
    with pytest.raises(SnippetMissingError):
        plain(['--8<-- "mkdocs.yml"'])


def test_the_fence_outlasts_any_backticks_in_the_output() -> None:
    block = example.code_block(["a ```` b", "````"])
    assert block.startswith("`````text\n") and block.endswith("\n`````\n")
