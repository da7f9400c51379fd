"""The site's generated Markdown: sources, blocks, markers and whole pages."""

from __future__ import annotations

import dataclasses
import os
import shutil
from datetime import UTC, datetime
from pathlib import Path

import pytest

from bench.families import catalogue
from bench.families.ipc.claims import IPC_SLOWER
from bench.report.claims import NO_DATA, NO_GAIN, REFERENCE, figures_json
from bench.report.format import format_threshold
from bench.results.read import ResultsError
from bench.site import build, markers, pages, sources
from bench.site.data import SourceData, load_source

FIXTURE = Path(__file__).parent / "fixtures" / "results"
BAD = Path(__file__).parent / "fixtures" / "bad"


@pytest.fixture(scope="module")
def cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("site-cache")


@pytest.fixture(scope="module")
def fixture_data(cache: Path) -> SourceData:
    return load_source(sources.Source("baseline", "Baseline", FIXTURE), cache)


@pytest.fixture(scope="module")
def two_sources(cache: Path, fixture_data: SourceData) -> list[SourceData]:
    mine = load_source(sources.Source("yours", "Your machine", FIXTURE, yours=True), cache)
    return [fixture_data, mine]


def empty_data(tmp_path: Path) -> SourceData:
    return load_source(sources.Source("empty", "Empty", tmp_path / "none"), tmp_path)


# --- sources ------------------------------------------------------------------------------------


def test_env_var_replaces_the_default_sources(tmp_path: Path) -> None:
    for folder in ("history", "mine"):
        (tmp_path / folder).mkdir()
    value = os.pathsep.join(["Nightly=history", str(tmp_path / "mine")])
    found = sources.resolve({sources.ENV_VAR: value}, cwd=tmp_path)
    assert [(s.key, s.title, s.path) for s in found] == [
        ("nightly", "Nightly", tmp_path / "history"),
        ("mine", "mine", tmp_path / "mine"),
    ]


def test_two_folders_of_one_name_get_distinct_keys(tmp_path: Path) -> None:
    for folder in ("a/results", "b/results"):
        (tmp_path / folder).mkdir(parents=True)
    found = sources.parse_sources(os.pathsep.join(["a/results", "b/results"]), tmp_path)
    assert len({s.key for s in found}) == 2


def test_defaults_show_the_baseline_and_local_results_only_when_there(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    local = tmp_path / "local"
    monkeypatch.setattr(sources, "LOCAL", local)
    assert [s.key for s in sources.resolve({})] == ["baseline"]
    shutil.copytree(FIXTURE, local)
    found = sources.resolve({})
    assert [s.key for s in found] == ["baseline", "yours"]
    assert found[1].yours


# --- blocks ---------------------------------------------------------------------------------------


def test_verdicts_at_a_glance_lists_every_claim_and_interpreter(
    fixture_data: SourceData,
) -> None:
    text = pages.verdicts_at_a_glance([fixture_data])
    for claim in catalogue.claims():
        assert claim.statement in text
    # Readable names for the columns, not file stems.
    assert "3.11 (GIL)" in text and "3.13t" in text and "cpython-3.11.7" not in text
    # one round of smoke: no interval, so the timed verdicts are inconclusive (too little data)
    assert "inconclusive" in text
    # The article's claims apart from the site's own: eight of them are the article's.
    rows = [line for line in text.splitlines() if line.startswith("| ") and "made by" not in line]
    assert sum(" | the article | " in row for row in rows) == 8
    assert sum(" | this site | " in row for row in rows) == len(catalogue.claims()) - 8


def test_evidence_shows_a_verdict_per_interpreter_and_the_chart(
    fixture_data: SourceData,
) -> None:
    text = pages.evidence([fixture_data], "threads_start_faster", "guide/threading.md")
    # one round of smoke: too little data for an interval on either interpreter
    assert text.count('!!! inconclusive "Inconclusive:') == 2
    assert "too little data" in text
    assert "](../generated/baseline/figures/startup.svg" in text
    assert "Measured by:" in text


def test_several_sources_give_one_tab_each(two_sources: list[SourceData]) -> None:
    text = pages.evidence(two_sources, "races_lose_updates", "index.md")
    assert '=== "Baseline"' in text and '=== "Your machine"' in text
    assert "](generated/yours/figures/races.svg" in text


def test_an_empty_folder_says_so(tmp_path: Path) -> None:
    text = pages.verdicts_at_a_glance([empty_data(tmp_path)])
    # The folder by name only: a page never shows the builder's absolute paths.
    assert "No results" in text and "none" in text and str(tmp_path) not in text


def test_alt_text_cannot_break_the_image_syntax() -> None:
    from bench.site.markdown import image

    md = image("a [b]\nc", "generated/x/figures/y.svg", "guide/p.md", 'say "hi"')
    assert md == "![a (b) c](../generated/x/figures/y.svg \"say 'hi'\")"


# --- markers --------------------------------------------------------------------------------------


def test_markers_are_replaced_and_other_text_is_kept(fixture_data: SourceData) -> None:
    text = "# Page\n\nProse.\n\n<!-- evidence: races_lose_updates -->\n\n<!-- example-output -->\n"
    out = markers.expand(text, "guide/p.md", [fixture_data])
    assert out.startswith("# Page\n\nProse.\n")
    assert "<!--" not in out
    assert "No recorded output" in out  # the fixture's run predates recording it
    assert "lost" in out


@pytest.mark.parametrize(
    "marker", ["<!-- evidence: no_such_claim -->", "<!-- nonsense -->", "<!-- figure -->"]
)
def test_a_bad_marker_names_the_page(fixture_data: SourceData, marker: str) -> None:
    with pytest.raises(markers.MarkerError, match=r"guide/p\.md"):
        markers.expand(f"# P\n\n{marker}\n", "guide/p.md", [fixture_data])


# --- whole pages ----------------------------------------------------------------------------------


def test_topic_pages_hold_their_families_tables(fixture_data: SourceData) -> None:
    cpu = next(t for t in pages.topics() if t.path == "results/cpu.md")
    text = pages.topic_page([fixture_data], cpu)
    assert "Speedups over the plain loop" in text
    assert "Every timing: `cpu_python`" in text
    races = next(t for t in pages.topics() if t.path == "results/races-and-faults.md")
    assert "lost" in pages.topic_page([fixture_data], races)


def test_a_family_without_timings_gets_no_timing_heading(fixture_data: SourceData) -> None:
    """Issue 23: "Every timing: memory" stood over "No data." right below the memory data."""
    memory = next(t for t in pages.topics() if t.path == "results/memory.md")
    text = pages.topic_page([fixture_data], memory)
    assert "Every timing: `memory`" not in text
    assert "per worker" in text  # its data are there
    # nor a stray "No data." between tables, for a table of a family not measured
    races = next(t for t in pages.topics() if t.path == "results/races-and-faults.md")
    assert "_No data._" not in pages.topic_page([fixture_data], races)


def test_the_reference_build_is_marked_so_not_no_data(fixture_data: SourceData) -> None:
    """The default build a free-threaded build is measured against is its reference: its
    block and its cell say so, never "no data" over the data it lends."""
    claim = "free_threading_single_thread_cost"
    verdicts = fixture_data.verdicts.copy()
    default = (verdicts["claim_id"] == claim) & (verdicts["interpreter"] == "cpython-3.11.7")
    verdicts.loc[default, ["verdict", "figures"]] = [NO_DATA, figures_json({REFERENCE: True})]
    data = dataclasses.replace(fixture_data, verdicts=verdicts)
    glance = pages.verdicts_at_a_glance([data])
    cost = next(line for line in glance.splitlines() if "single-threaded Python" in line)
    assert cost.count("**reference**") == 1 and cost.count("**no data**") == 1  # 3.13t: none
    text = pages.evidence([data], claim, "guide/b.md")
    assert '!!! info "Reference: ' in text
    assert text.count("No data:") == 1


def test_environment_page_names_the_cpu_and_the_runs(fixture_data: SourceData) -> None:
    text = pages.environment_page([fixture_data])
    assert "AMD EPYC" in text
    assert "smoke" in text
    assert "Linux-" in text  # the OS, from the run's manifest
    assert "seed 1" in text and "complete" in text


def test_downloads_point_at_real_files(fixture_data: SourceData) -> None:
    targets = pages.download_targets(fixture_data)
    assert any(t.endswith("run.json") for t in targets)
    assert all(Path(src).is_file() for src in targets.values())
    assert "tidy.csv" in pages.downloads_page([fixture_data])


# --- one build ------------------------------------------------------------------------------------


def _docs(tmp_path: Path) -> Path:
    docs = tmp_path / "docs"
    docs.mkdir()
    (docs / "index.md").write_text("# Home\n\n<!-- verdicts -->\n", encoding="utf-8")
    (docs / "plain.md").write_text("# Plain\n", encoding="utf-8")
    return docs


def test_generate_makes_every_page_and_file(tmp_path: Path) -> None:
    site = build.generate(
        _docs(tmp_path), environ={sources.ENV_VAR: str(FIXTURE)}, cache=tmp_path / "cache"
    )
    expected = {t.path for t in pages.topics()} | {
        "results/index.md", "environment.md", "downloads.md", "index.md"
    }  # fmt: skip
    assert expected <= set(site.pages)
    assert "plain.md" not in site.pages  # no marker: left as written
    assert all(Path(path).is_file() for path in site.files.values())
    assert any(p.endswith(".svg") for p in site.files)


def test_stale_results_are_flagged(tmp_path: Path) -> None:
    env = {sources.ENV_VAR: str(FIXTURE)}
    docs, cache = _docs(tmp_path), tmp_path / "cache"
    fresh = build.generate(
        docs, 7, environ=env, cache=cache, now=datetime(2026, 11, 26, tzinfo=UTC)
    )
    assert fresh.stale_notice == ""
    old = build.generate(docs, 7, environ=env, cache=cache, now=datetime(2027, 1, 1, tzinfo=UTC))
    assert "stale" in old.stale_notice and "2026-11-25" in old.stale_notice


def test_no_results_at_all_builds_a_page_that_says_so(tmp_path: Path) -> None:
    (tmp_path / "nothing").mkdir()
    site = build.generate(
        _docs(tmp_path), environ={sources.ENV_VAR: str(tmp_path / "nothing")},
        cache=tmp_path / "cache",
    )  # fmt: skip
    assert "No results" in site.pages["index.md"]
    assert "No results" in site.pages["results/cpu.md"]
    assert site.stale_notice == ""


def test_a_corrupt_results_file_stops_the_build_with_its_name(tmp_path: Path) -> None:
    results = tmp_path / "results"
    shutil.copytree(FIXTURE, results)
    victim = next(results.glob("*/*/cpython-3.11.7.json"))
    victim.write_text(victim.read_text(encoding="utf-8")[:100], encoding="utf-8")
    with pytest.raises(ResultsError, match=r"cpython-3\.11\.7\.json"):
        build.generate(_docs(tmp_path), environ={sources.ENV_VAR: str(results)},
                       cache=tmp_path / "cache")  # fmt: skip


def test_the_rules_table_states_every_threshold_from_the_code() -> None:
    out = markers.expand("<!-- rules -->\n", "methodology.md", [])
    for claim in catalogue.claims():
        assert claim.criteria and claim.criteria in out
    assert format_threshold(IPC_SLOWER) in out and format_threshold(NO_GAIN) in out


def test_history_page_shows_runs_trends_and_too_few_runs(fixture_data: SourceData) -> None:
    text = pages.history_page([fixture_data])
    assert "Too few runs" in text
    assert "trend-" in text  # one point per series is still a chart
    assert "cpython-3.13.5t" in text
