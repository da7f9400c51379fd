"""Markdown tables on hand-made frames (exact strings), escaping, and the real results."""

# The expected tables are written as a reader sees them, en dashes and
# multiplication signs included.
# ruff: noqa: RUF001

from __future__ import annotations

import html
import math
import re
import textwrap
from pathlib import Path

import markdown
import pandas as pd
import pytest
from helpers_baseline import fullest_run

from bench.evidence.tables import environment_table, outcomes_table, speedup_table, timings_table
from bench.families.ipc.metrics import ipc_throughput
from bench.families.ipc.tables import ipc_table
from bench.families.memory.metrics import memory_per_worker
from bench.families.memory.tables import memory_table
from bench.report.format import format_seconds
from bench.report.markdown import inert
from bench.report.metrics import paired_speedups
from bench.report.tables import MISSING, NO_DATA, markdown_table, summarise_values
from bench.results.read import load_run

MIB = 1 << 20
EVIL = "Evil | <script>alert(1)</script>\n# heading\r\nend"


def md(text: str) -> str:
    return textwrap.dedent(text).lstrip("\n")


def render(table: str) -> str:
    """The HTML MkDocs (Python-Markdown with tables) makes of a table."""
    return markdown.markdown(table, extensions=["tables"])


# --------------------------------------------------------------------------- generic table


def test_markdown_table_formats_aligns_and_marks_missing_values() -> None:
    frame = pd.DataFrame(
        {"name": ["a", "b"], "t": [0.00123, math.nan], "n": [3, 12345], "ok": [True, False]}
    )
    table = markdown_table(
        frame,
        [("name", "name"), ("t", "time"), ("n", "count"), ("ok", "ok?")],
        {"t": format_seconds},
        right=["t", "n"],
    )
    assert table == md(
        """
        | name | time | count | ok? |
        | --- | ---: | ---: | --- |
        | a | 1.23 ms | 3 | yes |
        | b | – | 12,345 | no |
        """
    )


def test_a_hostile_text_stays_plain_text_in_one_cell() -> None:
    frame = pd.DataFrame({"cpu": [EVIL], "cores": [2]})
    table = markdown_table(frame, [("cpu", "CPU"), ("cores", "cores")])
    assert table == md(
        r"""
        | CPU | cores |
        | --- | --- |
        | Evil \| &lt;script&gt;alert(1)&lt;/script&gt; # heading end | 2 |
        """
    )
    html = render(table)
    assert "<script" not in html
    assert "<h1" not in html
    assert html.count("<tr>") == 2  # header and one row: the newline did not end the row
    assert html.count("<td>") == 2  # the pipe did not split the cell
    assert "<td>Evil | &lt;script&gt;alert(1)&lt;/script&gt; # heading end</td>" in html


@pytest.mark.parametrize(
    ("text", "escaped"),
    [
        ("# heading", "&#35; heading"),
        ("#x", "&#35;x"),
        ("- item", "&#45; item"),
        ("+ item", "&#43; item"),
        ("-", "&#45;"),
        ('--8<-- ".git/config"', '&#45;-8&lt;-- ".git/config"'),  # snippets' include line
        ("=== tab", "&#61;== tab"),
        ("!!! note", "&#33;!! note"),
        ("> quote", "&gt; quote"),
        ("-5.00 KiB", "-5.00 KiB"),  # a negative number is not a list
        ("a `code` b", "a &#96;code&#96; b"),
        ("*bold* _it_ snake_case", r"\*bold\* \_it\_ snake_case"),
        ("[x](javascript:alert(1))", r"\[x\](javascript:alert(1))"),
        ("a & b", "a &amp; b"),
        ("back\\slash|", r"back\\slash\|"),
        ("  two\n\nlines  ", "two lines"),
    ],
)
def test_inert(text: str, escaped: str) -> None:
    assert inert(text) == escaped


@pytest.mark.parametrize(
    "text",
    [EVIL, "# h", "- x", "**b**", "`c`", "[l](http://x)", "<b>x</b>", "a\\|b", "~~s~~", "=== t"],
)
def test_escaped_text_renders_as_itself(text: str) -> None:
    rendered = render(f"| h |\n| --- |\n| {inert(text)} |\n")
    cell = re.search(r"<td>(.*?)</td>", rendered, re.S)
    assert cell and "<" not in cell.group(1)  # no tag, only text
    assert html.unescape(cell.group(1)) == " ".join(text.split())


def test_an_empty_frame_gives_a_short_line() -> None:
    assert markdown_table(pd.DataFrame(), [("a", "a")]) == NO_DATA
    assert NO_DATA.count("\n") == 1
    assert "|" not in NO_DATA


@pytest.mark.parametrize(
    "table",
    [speedup_table, environment_table, timings_table, memory_table, ipc_table, outcomes_table],
)
def test_every_table_of_nothing_is_the_no_data_line(table) -> None:
    assert table(pd.DataFrame()) == NO_DATA


def test_a_column_that_is_not_there_is_an_error() -> None:
    with pytest.raises(KeyError, match="nope"):
        markdown_table(pd.DataFrame({"a": [1]}), [("nope", "x")])


def test_summarise_values_by_unit() -> None:
    assert summarise_values([3, 3], "count") == "3, n=2"
    assert summarise_values([0, 4157, 526426], "count") == "4,157 (0–526,426), n=3"
    assert summarise_values([0.05, 0.06], "second") == "55.0 ms (50.0 ms–60.0 ms), n=2"
    assert summarise_values([True, True], "flag") == "yes, n=2"
    assert summarise_values([True, False, True], "flag") == "yes ×2; no ×1"
    assert summarise_values(["B", "A", "B"], "text") == "B ×2; A ×1"
    assert summarise_values([None, math.nan], "count") == MISSING


# --------------------------------------------------------------------------- specific tables


def speedup_row(group: str, model: str, workers: int, median: float, lo: float, hi: float):
    return {
        "interpreter": "py",
        "group": group,
        "benchmark": f"{group}[1ms] {model} w={workers}",
        "model": model,
        "start_method": "fork" if model.startswith("process") else "n/a",
        "workers": workers,
        "speedup": median,
        "low": lo,
        "high": hi,
        "rounds": 3,
    }


def test_speedup_table() -> None:
    speedups = pd.DataFrame(
        [
            speedup_row("primes", "threads", 2, 0.8786, 0.8568, 0.9554),
            speedup_row("primes", "process_pool", 2, 1.9299, 1.9262, 2.0361),
            speedup_row("primes", "sequential", 1, 1.0, 1.0, 1.0),
            speedup_row("hash", "threads", 4, math.nan, math.nan, math.nan),
        ]
    )
    assert speedup_table(speedups) == md(
        r"""
        | benchmark | model | start method | workers | speedup (95% CI) | rounds |
        | --- | --- | --- | ---: | ---: | ---: |
        | hash\[1ms\] threads w=4 | threads | n/a | 4 | – | 3 |
        | primes\[1ms\] sequential w=1 | loop | n/a | 1 | 1.0× (1.0–1.0×) | 3 |
        | primes\[1ms\] process_pool w=2 | process pool | fork | 2 | 1.9× (1.9–2.0×) | 3 |
        | primes\[1ms\] threads w=2 | threads | n/a | 2 | 0.88× (0.86–0.96×) | 3 |
        """
    )


def test_speedup_table_over_paired_speedups_and_interpreters() -> None:
    def timing(interpreter: str, model: str, round_: int, seconds: float) -> dict:
        return {
            "interpreter": interpreter,
            "group": "g",
            "benchmark": f"work {model}",
            "model": model,
            "start_method": "n/a",
            "workers": 1 if model == "sequential" else 2,
            "round": round_,
            "metric": "time",
            "time_s": seconds,
        }

    frame = pd.DataFrame(
        [
            timing(i, m, r, s)
            for i, slow in (("3.13t", 1.0), ("3.11", 0.5))
            for r in (1, 2)
            for m, s in (("sequential", 1.0 * r), ("threads", slow * r))
        ]
    )
    assert speedup_table(paired_speedups(frame)) == md(
        """
        | interpreter | benchmark | model | start method | workers | speedup (95% CI) | rounds |
        | --- | --- | --- | --- | ---: | ---: | ---: |
        | 3.11 | work sequential | loop | n/a | 1 | 1.0× (1.0–1.0×) | 2 |
        | 3.11 | work threads | threads | n/a | 2 | 2.0× (2.0–2.0×) | 2 |
        | 3.13t | work sequential | loop | n/a | 1 | 1.0× (1.0–1.0×) | 2 |
        | 3.13t | work threads | threads | n/a | 2 | 1.0× (1.0–1.0×) | 2 |
        """
    )


def env_row(interpreter: str, run_id: str, **extra) -> dict:
    return {
        "machine": "box",
        "interpreter": interpreter,
        "cpu_model_name": "AMD EPYC",
        "cpu_count": 2,
        "python_version": "3.13.5 (64-bit)" if interpreter.endswith("t") else "3.11.7 (64-bit)",
        "python_build": "free-threading" if interpreter.endswith("t") else "default",
        "gil_enabled": "disabled" if interpreter.endswith("t") else "enabled",
        "run_id": run_id,
        "value": 1.0,
    } | extra


def test_environment_table() -> None:
    frame = pd.DataFrame(
        [
            env_row("cpython-3.13.5t", "2026-11-25T08-26-07Z-quick"),
            env_row("cpython-3.11.7", "2026-11-25T08-18-49Z-quick"),
            env_row("cpython-3.11.7", "2026-11-25T09-02-00Z-quick"),
            env_row("cpython-3.13.5t", "2026-11-26T01-00-00Z-quick", gil_enabled="enabled"),
            env_row("cpython-3.11.7", "2026-11-25T09-02-00Z-quick", cpu_model_name=EVIL),
        ]
    )
    assert environment_table(frame) == md(
        r"""
        | machine | interpreter | CPU | cores | Python | build | GIL | date (UTC) |
        | --- | --- | --- | ---: | --- | --- | --- | --- |
        | box | cpython-3.11.7 | AMD EPYC, Evil \| &lt;script&gt;alert(1)&lt;/script&gt; # heading end | 2 | 3.11.7 (64-bit) | default | enabled | 2026-11-25 08:18–09:02 |
        | box | cpython-3.13.5t | AMD EPYC | 2 | 3.13.5 (64-bit) | free-threading | disabled, enabled | 2026-11-25 08:26 – 2026-11-26 01:00 |
        """  # noqa: E501
    )


def test_timings_table() -> None:
    rows = [
        {"interpreter": "py", "benchmark": b, "round": r, "time_s": t, "unit": "second"}
        for b, r, t in (
            ("spawn", 1, 0.150),
            ("spawn", 1, 0.160),
            ("spawn", 2, 0.110),
            ("thread", 1, 140e-6),
            ("thread", 2, 150e-6),
        )
    ]
    rows.append({"interpreter": "py", "benchmark": "mem", "round": 1, "time_s": None})
    assert timings_table(pd.DataFrame(rows)) == md(
        """
        | benchmark | median | min | max | values | rounds |
        | --- | ---: | ---: | ---: | ---: | ---: |
        | spawn | 150 ms | 110 ms | 160 ms | 3 | 2 |
        | thread | 145 µs | 140 µs | 150 µs | 2 | 2 |
        """
    )


def memory_row(model: str, start: str, metric: str, total: float, workers: int) -> dict:
    return {
        "interpreter": "py",
        "model": model,
        "start_method": start,
        "variant": "none",
        "metric": metric,
        "workers": workers,
        "value": total,
    }


def test_memory_table_over_memory_per_worker() -> None:
    rows = [
        memory_row("processes", "spawn", m, base + w * per, w)
        for m, base, per in (
            ("rss_bytes", 30 * MIB, 16 * MIB),
            ("uss_bytes", 20 * MIB, 8 * MIB),
            ("pss_bytes", 25 * MIB, 8.5 * MIB),
        )
        for w in (1, 2, 4)
    ]
    rows += [memory_row("threads", "n/a", "uss_bytes", 20 * MIB + w * 16384, w) for w in (1, 8)]
    assert memory_table(memory_per_worker(pd.DataFrame(rows))) == md(
        """
        | model | start method | variant | RSS per worker | USS per worker | PSS per worker | worker counts |
        | --- | --- | --- | ---: | ---: | ---: | ---: |
        | processes | spawn | none | 16.0 MiB | 8.00 MiB | 8.50 MiB | 3 |
        | threads | n/a | none | – | 16.0 KiB | – | 2 |
        """  # noqa: E501
    )


def test_results_of_several_runs_are_never_merged() -> None:
    rows = [
        memory_row("processes", "fork", "uss_bytes", w * per, w) | {"run_id": run}
        for run, per in (("run-b", 2 * MIB), ("run-a", MIB))
        for w in (1, 2)
    ]
    assert memory_table(memory_per_worker(pd.DataFrame(rows))) == md(
        """
        | run | model | start method | variant | RSS per worker | USS per worker | PSS per worker | worker counts |
        | --- | --- | --- | --- | ---: | ---: | ---: | ---: |
        | run-a | processes | fork | none | – | 1.00 MiB | – | 2 |
        | run-b | processes | fork | none | – | 2.00 MiB | – | 2 |
        """  # noqa: E501
    )


def test_ipc_table_over_ipc_throughput() -> None:
    rows = [
        {"interpreter": "py", "model": m, "start_method": s, "size": size, "time_s": t}
        for m, s, size, t in (
            ("mp.Pipe", "fork", MIB, 0.002),
            ("memcpy", "n/a", MIB, 0.0002),
            ("mp.Pipe", "fork", 64, 71e-6),
            ("memcpy", "n/a", 64, 100e-9),
        )
    ]
    throughput = ipc_throughput(pd.DataFrame(rows).assign(measure="ipc"))
    assert ipc_table(throughput) == md(
        """
        | channel | start method | payload | round trip | MB/s | memcpy MB/s |
        | --- | --- | ---: | ---: | ---: | ---: |
        | memcpy | n/a | 64 B | 100 ns | 1,280 | 1,280 |
        | mp.Pipe | fork | 64 B | 71.0 µs | 1.80 | 1,280 |
        | memcpy | n/a | 1.00 MiB | 200 µs | 10,486 | 10,486 |
        | mp.Pipe | fork | 1.00 MiB | 2.00 ms | 1,049 | 10,486 |
        """
    )


def outcome(benchmark: str, metric: str, unit: str, value, measure: str = "fault") -> dict:
    return {
        "interpreter": "py",
        "benchmark": f"{benchmark} {metric}",
        "measure": measure,
        "metric": metric,
        "unit": unit,
        "value": value,
    }


def test_outcomes_table() -> None:
    pool, racy = "fault[8] process_pool w=2 segfault", "counter threads w=4 racy"
    rows = [
        outcome(pool, "recovered", "flag", True),
        outcome(pool, "recovered", "flag", True),
        outcome(pool, "raised", "text", "BrokenProcessPool"),
        outcome(pool, "raised", "text", "<b>Boom</b>\nline two"),
        outcome(pool, "tasks_finished", "count", 3),
        outcome(pool, "tasks_finished", "count", 3),
        outcome(pool, "parent_rss_growth_bytes", "byte", 0),
        outcome(pool, "parent_rss_growth_bytes", "byte", 8192),
        outcome(racy, "final_count", "count", 273574, "race"),
        outcome(racy, "lost_updates", "count", 526426, "race"),
        outcome(racy, "lost_updates", "count", 0, "race"),
        outcome(racy, "lost_updates", "count", 4157, "race"),
        outcome("spin w=2", "time", "second", 0.5, "batch"),  # not an outcome
    ]
    assert outcomes_table(pd.DataFrame(rows)) == md(
        r"""
        | benchmark | metric | values |
        | --- | --- | --- |
        | counter threads w=4 racy | lost_updates | 4,157 (0–526,426), n=3 |
        | counter threads w=4 racy | final_count | 273,574, n=1 |
        | fault\[8\] process_pool w=2 segfault | tasks_finished | 3, n=2 |
        | fault\[8\] process_pool w=2 segfault | raised | &lt;b&gt;Boom&lt;/b&gt; line two ×1; BrokenProcessPool ×1 |
        | fault\[8\] process_pool w=2 segfault | recovered | yes, n=2 |
        | fault\[8\] process_pool w=2 segfault | parent_rss_growth_bytes | 4.00 KiB (0 B–8.00 KiB), n=2 |
        """  # noqa: E501
    )


def test_row_order_does_not_depend_on_input_order() -> None:
    rows = [speedup_row("g", m, w, 1.5, 1.0, 2.0) for m, w in (("a", 2), ("b", 2), ("a", 4))]
    rows.append(speedup_row("f", "sequential", 1, 1.0, 1.0, 1.0))
    frame = pd.DataFrame(rows)
    shuffled = frame.sample(frac=1.0, random_state=3)
    assert speedup_table(shuffled) == speedup_table(frame)
    assert speedup_table(frame.iloc[::-1]) == speedup_table(frame)


# --------------------------------------------------------------------------- real data


#: Committed results: a smoke run of two interpreters, and the site's baseline.
FIXTURE_RESULTS = Path(__file__).parent / "fixtures" / "results"
BASELINE_RESULTS = Path(__file__).parent.parent / "results" / "baseline"


def run_dirs(root: Path) -> list[Path]:
    return sorted(p for p in root.glob("*/*") if p.is_dir())


def body_rows(table: str) -> int:
    return table.count("\n") - 2


def test_two_real_runs_stay_apart() -> None:
    """One interpreter of the fixture run, and the same values as a second run a day later."""
    (run,) = run_dirs(FIXTURE_RESULTS)
    first = load_run(run)
    first = first[first["interpreter"] == first["interpreter"].iloc[0]]
    later = pd.to_datetime(first["date"]) + pd.Timedelta(days=1)
    second = first.assign(
        run_id=first["run_id"].str.replace("2026-11-25", "2026-11-26"),
        date=later.dt.strftime("%Y-%m-%d %H:%M:%S.%f"),
    )
    frame = pd.concat([first, second], ignore_index=True)
    environment = environment_table(frame)
    assert body_rows(environment) == 1  # one machine, one interpreter, two dates
    dates = environment.splitlines()[2].split(" | ")[-1]
    assert dates.startswith("2026-11-25 08:30") and "2026-11-26 08:3" in dates  # both runs
    timings = timings_table(frame)
    assert timings.startswith("| run | benchmark |")
    assert body_rows(timings) == 2 * body_rows(timings_table(first))


@pytest.mark.parametrize("root", [FIXTURE_RESULTS, BASELINE_RESULTS], ids=["fixture", "baseline"])
def test_real_results_give_non_empty_tables(root: Path) -> None:
    runs = run_dirs(root)
    assert runs, f"no results under {root}"
    frame = load_run(fullest_run(root))
    tables = {
        "environment": environment_table(frame),
        "speedup": speedup_table(paired_speedups(frame)),
        "timings": timings_table(frame),
        "memory": memory_table(memory_per_worker(frame)),
        "ipc": ipc_table(ipc_throughput(frame)),
        "outcomes": outcomes_table(frame),
    }
    for name, table in tables.items():
        assert table != NO_DATA, name
        html = render(table)
        assert html.startswith("<table>"), name
        widths = {line.count(" | ") for line in table.splitlines()}
        assert len(widths) == 1, f"{name}: rows of different widths"
    interpreters = frame["interpreter"].nunique()
    assert body_rows(tables["environment"]) == interpreters
    assert "AMD EPYC" in tables["environment"]
    timed = frame[frame["time_s"].notna()]
    assert body_rows(tables["timings"]) == timed.groupby(["interpreter", "benchmark"]).ngroups
    assert "BrokenProcessPool" in tables["outcomes"]
    assert "memcpy" in tables["ipc"]
    assert "×" in tables["speedup"]
    assert "MiB" in tables["memory"]
