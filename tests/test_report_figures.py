"""Figures on hand-made frames: structure, alt text numbers, no data, determinism, cache."""

from __future__ import annotations

import random
from pathlib import Path
from typing import Any

import helpers_figures as figures
import matplotlib
import pandas as pd
import pytest
from helpers_rows import tidy_row
from matplotlib.axes import Axes
from matplotlib.colors import to_rgb
from matplotlib.container import BarContainer, ErrorbarContainer
from matplotlib.figure import Figure
from matplotlib.layout_engine import ConstrainedLayoutEngine

from bench.report.figures import registry, style
from bench.report.figures.style import FigureWithAlt
from bench.report.format import format_bytes, format_payload, format_rate, format_seconds
from bench.results.read import load_run

FIXTURE_RESULTS = Path(__file__).parent / "fixtures" / "results"
GIL, FT = "py-gil", "py-ft"
MIB = 1 << 20
TIMES = "\N{MULTIPLICATION SIGN}"  # after a ratio, as bench.report.format writes it


def row(**kw: Any) -> dict[str, Any]:
    """One tidy row of the featured CPU group, the build and GIL of its interpreter."""
    interpreter = kw.get("interpreter", GIL)
    free = interpreter == FT
    featured = {
        "interpreter": interpreter, "python_build": "free-threading" if free else "default",
        "gil_enabled": "disabled" if free else "enabled", "family": "cpu_python",
        "workload": "count_primes", "group": figures.SCALING_GROUP, "size": 90_000,
        "size_label": "100ms",
    }  # fmt: skip
    return tidy_row(**(featured | kw))


def frame(rows: list[dict[str, Any]]) -> pd.DataFrame:
    return pd.DataFrame(rows)


# speedups over the loop per interpreter: (model, start method, workers) -> speedup
SCALING = {
    GIL: {
        ("threads", "n/a", 2): 1 / 1.1,
        ("threads", "n/a", 4): 1 / 1.05,
        ("process_pool", "fork", 2): 2.0,
        ("process_pool", "spawn", 2): 1.6,
    },
    FT: {
        ("threads", "n/a", 2): 1.92,
        ("threads", "n/a", 4): 1.9,
        ("process_pool", "fork", 2): 2.0,
        ("process_pool", "spawn", 2): 1.6,
    },
}


def scaling_frame() -> pd.DataFrame:
    """Round 2 runs on a CPU twice as slow: paired ratios must not notice."""
    rows = []
    for interpreter, cases in SCALING.items():
        for round_, slow in ((1, 1.0), (2, 2.0)):
            rows.append(row(interpreter=interpreter, round=round_, value=slow))
            for (model, method, workers), speedup in cases.items():
                rows.append(
                    row(
                        interpreter=interpreter,
                        round=round_,
                        model=model,
                        start_method=method,
                        workers=workers,
                        value=slow / speedup,
                    )
                )
    return frame(rows)


def startup_frame() -> pd.DataFrame:
    rows = []
    for family, workers, cases in (
        ("startup", 1, (("threads", "n/a", 100e-6), ("processes", "fork", 2e-3),
                        ("processes", "spawn", 50e-3))),
        ("article", 5, (("threads", "n/a", 500e-6), ("processes", "fork", 10e-3),
                        ("sequential", "n/a", 1e-6))),
    ):  # fmt: skip
        for model, method, seconds in cases:
            rows.append(
                row(family=family, group=f"{family}:g", model=model, start_method=method,
                    workers=workers, value=seconds, timed="lifecycle")
            )  # fmt: skip
    return frame(rows)


def memory_frame(metric: str = "pss_bytes") -> pd.DataFrame:
    per_worker = {("threads", "n/a"): 16 << 10, ("processes", "fork"): 2 * MIB,
                  ("processes", "spawn"): 10 * MIB}  # fmt: skip
    rows = []
    for variant, label, extra in (("none", "idle", 0), ("working_set", "50MiB", 50 * MIB)):
        for (model, method), slope in per_worker.items():
            for workers in (1, 4):
                rows.append(
                    row(family="memory", group=f"memory:{label}", measure="memory",
                        variant=variant, size_label=label, model=model, start_method=method,
                        workers=workers, metric=metric, unit="byte",
                        value=30 * MIB + extra + workers * slope)
                )  # fmt: skip
    return frame(rows)


def ipc_frame() -> pd.DataFrame:
    # (channel, start method) -> round trip at 64 B and at 1 MiB
    times = {("memcpy", "n/a"): (1e-7, 2 * MIB / 10e9), ("queue.Queue", "n/a"): (50e-6, 60e-6),
             ("mp.Pipe", "fork"): (70e-6, 2 * MIB / 1e9)}  # fmt: skip
    rows = []
    for (channel, method), pair in times.items():
        for size, label, seconds in zip((64, MIB), ("64B", "1MiB"), pair, strict=True):
            rows.append(
                row(family="ipc", group=f"ipc:{size}", measure="ipc", model=channel,
                    start_method=method, size=size, size_label=label, value=seconds)
            )  # fmt: skip
    return frame(rows)


def race_frame() -> pd.DataFrame:
    rows = []
    for interpreter in (GIL, FT):
        for workers, racy in ((2, (100, 200, 300)), (4, (1000, 2000, 3000))):
            for round_, lost in enumerate(racy, start=1):
                for variant, value in (("racy", lost), ("locked", 0)):
                    rows.append(
                        row(interpreter=interpreter, family="race", group="race:g",
                            measure="race", model="threads", workers=workers, variant=variant,
                            round=round_, metric="lost_updates_per_million", unit="count",
                            value=float(value))
                    )  # fmt: skip
    return frame(rows)


# (task length, payload) -> seconds of: sequential, thread pool, process pool, chunked pool
GRANULARITY = {
    (("10us", 400), 0): (1.0, 2.0, 9.0, 1.5),
    (("1ms", 40_000), 0): (1.0, 1.1, 0.6, 0.5),
    (("10us", 400), MIB): (1.0, 1.2, 20.0, 4.0),
    (("1ms", 40_000), MIB): (1.0, 0.8, 2.0, 1.0),
}


def decision_frame() -> pd.DataFrame:
    rows = []
    for ((label, size), payload), seconds in GRANULARITY.items():
        group = f"granularity:spin[{label}] payload={payload}"
        cases = (("sequential", "n/a", 1, 1), ("thread_pool", "n/a", 2, 1),
                 ("process_pool", "fork", 2, 1), ("process_pool", "fork", 2, 8))  # fmt: skip
        for round_ in (1, 2):
            for (model, method, workers, chunks), s in zip(cases, seconds, strict=True):
                rows.append(
                    row(family="granularity", group=group, size=size, size_label=label,
                        payload_bytes=payload, model=model, start_method=method,
                        workers=workers, chunksize=chunks, round=round_, value=s * round_)
                )  # fmt: skip
    return frame(rows)


def everything() -> pd.DataFrame:
    parts = [scaling_frame(), startup_frame(), memory_frame(), ipc_frame(), race_frame(),
             decision_frame()]  # fmt: skip
    return pd.concat(parts, ignore_index=True)


def panels(fig: Figure) -> list[Axes]:
    return list(fig.axes)


def labels(ax: Axes) -> list[str]:
    return ax.get_legend_handles_labels()[1]


def errorbars(ax: Axes) -> list[ErrorbarContainer]:
    return [c for c in ax.containers if isinstance(c, ErrorbarContainer)]


def made(result: FigureWithAlt) -> tuple[Figure, str]:
    """The figure and alt text a make function drew (the numbers behind it apart)."""
    assert result is not None
    return result[0], result[1]


# --- the figures ---------------------------------------------------------------------


def test_scaling_curves_pair_rounds_and_draw_a_line_per_model_and_method() -> None:
    fig, alt = made(figures.make_scaling(scaling_frame()))
    ft, gil = panels(fig)  # interpreters in name order
    assert "py-ft (free-threaded, no GIL)" in ft.get_title()
    assert "py-gil (GIL), 2 cores" in gil.get_title()
    for ax in (ft, gil):
        assert labels(ax) == [
            "ideal: min(workers, cores)",
            "process pool (fork)",  # the registry's labels
            "process pool (spawn)",
            "threads",
        ]
        assert len(errorbars(ax)) == 3
        assert ax.get_xscale() == "log"
        assert "workers" in ax.get_xlabel()
        ideal = ax.get_lines()[0]
        assert max(ideal.get_ydata()) == pytest.approx(2.0)  # min(workers, 2 cores)
    assert "speedup" in ft.get_ylabel() and "\N{MULTIPLICATION SIGN}" in ft.get_ylabel()
    assert fig.get_suptitle() == figures.scaling_title(figures.SCALING_GROUP)
    # the threads line on the GIL build: 1/1.1 and 1/1.05, whatever the round's speed
    threads = errorbars(gil)[2].lines[0]
    assert list(threads.get_ydata()) == pytest.approx([1 / 1.1, 1 / 1.05])
    assert f"process pool (fork) at 2.0{TIMES} with 2 workers" in alt
    assert f"threads at 0.91{TIMES} with 2 workers" in alt
    assert f"process pool (spawn) at 1.6{TIMES}" in alt


def test_scaling_of_any_group_and_its_name() -> None:
    data = scaling_frame().assign(group="io:sleep[10ms]", family="io")
    fig, alt = made(figures.make_scaling_group(data, "io:sleep[10ms]"))
    assert "io:sleep[10ms]" in fig.get_suptitle() and "io:sleep[10ms]" in alt
    for ax in panels(fig):  # waiting needs no core: the ideal is the worker count
        assert labels(ax)[0] == "ideal: workers"
        assert max(ax.get_lines()[0].get_ydata()) == pytest.approx(4.0)
    assert "ideal (workers)" in alt and "On py-ft the best is" in alt
    assert figures.make_scaling(data) is None  # not the featured group
    assert figures.scaling_name("io:sleep[10ms]") == "scaling-io-sleep-10ms"
    assert figures.scaling_groups(data, ("io",)) == ["io:sleep[10ms]"]


def test_startup_bars_on_a_log_scale_per_start_method() -> None:
    fig, alt = made(figures.make_startup(startup_frame()))
    (ax,) = panels(fig)
    assert ax.get_xscale() == "log"
    assert "ms" in ax.get_xlabel()
    assert [t.get_text() for t in ax.get_yticklabels()] == [
        "threads",
        "processes (fork)",
        "processes (spawn)",
    ]
    bars = [c for c in ax.containers if isinstance(c, BarContainer)]
    assert [len(b) for b in bars] == [3, 2]  # 1 worker: all three; the article: no spawn
    assert labels(ax) == ["start + join 1 worker", "article: start, run, join 5 workers"]
    widths = sorted(p.get_width() for p in bars[0])
    assert widths == pytest.approx([0.1, 2.0, 50.0])  # milliseconds
    assert fig.get_suptitle() == figures.TITLES["startup"]
    assert "1 thread takes 100 µs" in alt
    # the same estimate as the start-up verdict: one round here, so no interval
    assert f"fork 20{TIMES} (n=1), spawn 500{TIMES} (n=1) as long" in alt


def test_memory_lines_per_model_and_start_method_idle_and_working_set() -> None:
    fig, alt = made(figures.make_memory(memory_frame()))
    idle, working = panels(fig)
    assert "idle" in idle.get_title() and "50MiB" in working.get_title()
    for ax in (idle, working):
        assert labels(ax) == ["processes (fork)", "processes (spawn)", "threads"]
        assert ax.get_xscale() == "log"
    assert "PSS" in idle.get_ylabel() and "MiB" in idle.get_ylabel()
    spawn = idle.get_lines()[1]
    assert list(spawn.get_ydata()) == pytest.approx([40, 70])  # 30 MiB + 10 MiB per worker
    assert "processes (spawn) 10.0 MiB" in alt
    assert "processes (fork) 2.00 MiB" in alt
    assert "threads 16.0 KiB" in alt


def test_memory_falls_back_to_uss_where_pss_is_not_measured() -> None:
    fig, alt = made(figures.make_memory(memory_frame("uss_bytes")))
    assert "USS" in panels(fig)[0].get_ylabel()
    assert "USS" in alt


def test_ipc_latency_and_throughput_are_log_log_with_the_memcpy_ceiling() -> None:
    fig, alt = made(figures.make_ipc(ipc_frame()))
    latency, rate = panels(fig)
    # queue.Queue hands over a reference: a hand-over time, never a throughput
    assert labels(latency) == [
        "memcpy (ceiling)",
        "mp.Pipe (fork)",
        "queue.Queue (hand-over of a reference)",
    ]
    assert labels(rate) == ["memcpy (ceiling)", "mp.Pipe (fork)"]
    assert "queue.Queue hands the reference over and back in" in alt
    for ax in (latency, rate):
        assert ax.get_xscale() == "log" and ax.get_yscale() == "log"
        assert ax.get_lines()[0].get_linestyle() == "--"
        assert [t.get_text() for t in ax.get_xticklabels()] == ["64B", "1MiB"]  # the workload's
    assert "µs" in latency.get_ylabel() and "MB/s" in rate.get_ylabel()
    pipe = rate.get_lines()[1]
    assert pipe.get_ydata()[-1] == pytest.approx(1000)  # 2 x 1 MiB in 2.1 ms: 1 GB/s
    assert "memcpy 10.0 GB/s" in alt and "mp.Pipe 1.00 GB/s" in alt


def test_races_racy_and_locked_per_interpreter() -> None:
    fig, alt = made(figures.make_races(race_frame()))
    assert len(panels(fig)) == 2
    for ax in panels(fig):
        assert labels(ax) == ["locked", "racy"]
        assert len(errorbars(ax)) == 2
        assert "lost updates per million" in ax.get_ylabel() or not ax.get_ylabel()
        racy = errorbars(ax)[1].lines[0]
        assert list(racy.get_ydata()) == pytest.approx([200, 2000])
    assert "(count)" in panels(fig)[0].get_ylabel()
    assert "racy: 200 at 2 threads, 2,000 at 4 threads" in alt
    assert "locked: 0 at 2 threads, 0 at 4 threads" in alt


def test_decision_map_names_the_winner_of_every_cell() -> None:
    fig, alt = made(figures.make_decision_map(decision_frame()))
    (ax,) = panels(fig)
    assert [t.get_text() for t in ax.get_xticklabels()] == ["10us", "1ms"]
    assert [t.get_text() for t in ax.get_yticklabels()] == ["none", "1.00 MiB"]
    cells = {
        (round(t.get_position()[0]), round(t.get_position()[1])): t.get_text().split("\n")[0]
        for t in ax.texts
    }
    assert cells == {
        (0, 0): "loop",
        (1, 0): "process pool",  # chunksize 8: twice the loop
        (0, 1): "loop",
        (1, 1): "thread pool",  # 1.25 times the loop
    }
    chunked = next(t.get_text() for t in ax.texts if "chunksize" in t.get_text())
    assert chunked == f"process pool\nchunksize 8\n2.0{TIMES} vs loop\n1.2{TIMES} vs next"
    assert "task length" in ax.get_xlabel() and "payload" in ax.get_ylabel()
    assert "(2 workers)" in fig.get_suptitle()
    assert "loop 2, process pool 1, thread pool 1" in alt
    assert f"process pool chunksize 8 at 2.0{TIMES} (1ms tasks, no payload)" in alt


def test_gil_vs_free_threaded_bars_at_two_workers() -> None:
    fig, alt = made(figures.make_gil(scaling_frame()))
    (ax,) = panels(fig)
    bars = [c for c in ax.containers if isinstance(c, BarContainer)]
    threads, pool = ([p.get_height() for p in b] for b in bars)
    assert threads == pytest.approx([1.92, 1 / 1.1])  # interpreters in name order: FT, GIL
    assert pool == pytest.approx([2.0, 2.0])
    assert labels(ax) == [
        f"ideal (2.0{TIMES})",
        f"loop (1.0{TIMES})",
        "threads",
        "process pool (fork)",
    ]
    assert "speedup" in ax.get_ylabel()
    assert f"py-gil (GIL): process pool (fork) 2.0{TIMES}, threads 0.91{TIMES}" in alt
    assert (
        f"py-ft (free-threaded, no GIL): process pool (fork) 2.0{TIMES}, threads 1.9{TIMES}" in alt
    )


@pytest.mark.parametrize(
    "plot",
    [
        figures.plot_scaling,
        figures.plot_startup,
        figures.plot_memory,
        figures.plot_ipc,
        figures.plot_races,
        figures.plot_decision_map,
        figures.plot_gil,
    ],
)
def test_no_data_gives_none_and_writes_nothing(plot: Any, tmp_path: Path) -> None:
    path = tmp_path / "figure.svg"
    unrelated = frame([row(family="fault", group="fault:g", metric="tasks_finished",
                           unit="count", value=7)])  # fmt: skip
    for data in (pd.DataFrame(), unrelated):
        assert plot(data, path) is None
    assert not path.exists()
    assert list(tmp_path.iterdir()) == []


def test_a_group_without_its_baseline_has_no_scaling_figure() -> None:
    data = scaling_frame()
    assert figures.make_scaling(data[data["model"] != "sequential"]) is None


def test_plot_writes_an_svg_without_a_date_and_returns_the_alt(tmp_path: Path) -> None:
    path = tmp_path / "out" / "races.svg"
    alt = figures.plot_races(race_frame(), path)
    assert alt is not None and "2,000" in alt
    svg = path.read_bytes()
    assert svg.startswith(b"<?xml") and b'id="races"' in svg
    assert b"<dc:date>" not in svg
    assert [p.name for p in path.parent.iterdir()] == ["races.svg"]


# --- determinism and the cache ---------------------------------------------------------


def test_a_pool_of_workers_draws_the_same_figures_as_one_process(tmp_path: Path) -> None:
    data = everything()
    alone = figures.render_all(data, tmp_path / "one", workers=1)
    pooled = figures.render_all(data, tmp_path / "pool", workers=2)
    assert [(f.name, f.title, f.alt) for f in alone] == [(f.name, f.title, f.alt) for f in pooled]
    assert len(alone) == 7
    for a, b in zip(alone, pooled, strict=True):
        assert a.path.read_bytes() == b.path.read_bytes(), a.name
        assert b.path.parent == tmp_path / "pool"
    # served from the cache the second time, whatever drew them
    again = figures.render_all(data, tmp_path / "pool", workers=2)
    assert again == pooled


def test_a_settled_layout_keeps_every_text_inside_the_figure() -> None:
    """The layout is placed once before saving (``style.settle_layout``): no tick label,
    axis label, title or legend entry may end up cut off at the figure's edge."""
    data = everything()
    checked = []
    for spec in figures.figure_specs(data):
        made = spec.make(spec.select(data))
        if made is None:  # no data for it here
            continue
        fig = made[0]
        checked.append(spec.name)
        with matplotlib.rc_context(style.STYLE):
            style.settle_layout(fig)
            fig.draw_without_rendering()
            # what matplotlib draws (tick labels beyond the axes' limits are not), in inches
            drawn = fig.get_tightbbox()
        assert drawn is not None, spec.name
        edge = 1 / fig.dpi  # a pixel of rounding
        assert drawn.x0 >= -edge and drawn.y0 >= -edge, (spec.name, drawn)
        assert drawn.x1 <= fig.bbox_inches.x1 + edge, (spec.name, drawn)
        assert drawn.y1 <= fig.bbox_inches.y1 + edge, (spec.name, drawn)
        assert fig.get_layout_engine() is None or not isinstance(
            fig.get_layout_engine(), ConstrainedLayoutEngine
        )
    assert len(checked) >= 7, checked


def test_renders_are_byte_identical_whatever_the_row_order(tmp_path: Path) -> None:
    data = everything()
    rows = list(data.index)
    random.Random(4).shuffle(rows)
    first = figures.render_all(data, tmp_path / "a")
    second = figures.render_all(data.loc[rows].reset_index(drop=True), tmp_path / "b")
    assert [f.name for f in first] == [f.name for f in second]
    assert {f.name for f in first} == {
        "startup", "memory", "ipc", "races", "decision-map", "gil-vs-free-threaded",
        figures.scaling_name(figures.SCALING_GROUP),
    }  # fmt: skip
    for a, b in zip(first, second, strict=True):
        assert a.path.read_bytes() == b.path.read_bytes(), a.name
        assert a.alt == b.alt and a.alt
        assert a.title == figures.TITLES.get(a.name, figures.scaling_title(figures.SCALING_GROUP))


def test_the_cache_skips_unchanged_figures_and_redraws_changed_ones(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    saved: list[str] = []
    real_save = figures.save

    def counting_save(fig: Figure, path: Path) -> None:
        saved.append(path.name)
        real_save(fig, path)

    monkeypatch.setattr(figures.cache, "save", counting_save)  # what draw_cached calls
    data = everything()
    # one process, so that the counting happens here (a pool's workers draw the same bytes)
    first = figures.render_all(data, tmp_path, workers=1)
    assert len(saved) == len(first) == 7
    stamps = {f.name: f.path.stat().st_mtime_ns for f in first}
    old_races = (tmp_path / "races.svg").read_bytes()

    saved.clear()
    again = figures.render_all(data, tmp_path, workers=1)
    assert saved == []
    assert again == first  # alt texts and titles come back from the key files
    assert {f.name: f.path.stat().st_mtime_ns for f in again} == stamps

    changed = data.copy()
    lost = changed["metric"] == "lost_updates_per_million"
    changed.loc[lost & (changed["value"] == 2000), "value"] = 2200.0
    saved.clear()
    third = figures.render_all(changed, tmp_path, workers=1)
    assert saved == ["races.svg"]
    assert (tmp_path / "races.svg").read_bytes() != old_races
    assert "2,200 at 4 threads" in next(f for f in third if f.name == "races").alt

    saved.clear()
    figures.render_all(changed[~lost], tmp_path, workers=1)  # the races are gone from the data
    assert saved == []
    assert not (tmp_path / "races.svg").exists()
    assert not (tmp_path / "races.svg.key").exists()


def test_a_lost_svg_is_redrawn_even_with_its_key(tmp_path: Path) -> None:
    data = race_frame()
    (info,) = figures.render_all(data, tmp_path)
    svg = info.path.read_bytes()
    info.path.unlink()
    figures.render_all(data, tmp_path)
    assert info.path.read_bytes() == svg


def test_numbers_read_in_the_unit_they_round_to() -> None:
    """The figures write numbers through bench.report.format, and have no formatter of
    their own that could print the same value another way."""
    assert [name for name in dir(figures) if name.startswith(("fmt_", "format_"))] == []
    assert format_rate(999.9999) == "1.00 GB/s"
    assert format_rate(537.13) == "537 MB/s"
    assert format_seconds(0.0009999) == "1.00 ms"
    assert format_seconds(111e-6) == "111 µs"
    assert format_bytes(-5120) == "-5.00 KiB"
    assert format_bytes(10 * MIB) == "10.0 MiB"
    assert format_payload(0) == "none" and format_payload(65536) == "64.0 KiB"
    _, alt = made(figures.make_ipc(ipc_frame()))
    assert f"at 1MiB: memcpy {format_rate(10_000)}" in alt  # the payload as the workload names it
    unnamed = ipc_frame().drop(columns="size_label")
    assert figures.ipc.size_labels(unnamed) == {64: "64 B", MIB: format_payload(MIB)}


def test_the_key_hashes_the_rows_not_their_order() -> None:
    data = race_frame()
    key = figures.data_key(data, "races")
    assert figures.data_key(data.iloc[::-1], "races") == key
    assert figures.data_key(data[list(reversed(data.columns))], "races") == key
    assert figures.data_key(data.assign(value=data["value"] + 1), "races") != key
    assert figures.data_key(data, "other") != key


# --- colours -----------------------------------------------------------------------------


def contrast(a: str, b: str) -> float:
    def luminance(colour: str) -> float:
        linear = [
            c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4 for c in to_rgb(colour)
        ]
        return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]

    high, low = sorted((luminance(a), luminance(b)), reverse=True)
    return (high + 0.05) / (low + 0.05)


@pytest.mark.parametrize("page", ["#ffffff", "#1e2029"])  # Material's light and slate themes
def test_every_colour_reads_on_a_light_and_a_dark_page(page: str) -> None:
    colours = {figures.TEXT, *figures.PALETTE, *figures.MODEL_COLOURS.values(),
               *figures.CHANNEL_COLOURS.values(), *figures.RACE_COLOURS.values()}  # fmt: skip
    for colour in colours:
        assert contrast(colour, page) >= 3.0, colour
    assert contrast(figures.TEXT, page) >= 3.9


def test_the_palette_tells_models_and_channels_apart() -> None:
    for colours in (figures.MODEL_COLOURS, figures.CHANNEL_COLOURS):
        assert len(set(colours.values())) == len(colours)


# --- the committed smoke run ---------------------------------------------------------------


def test_render_all_draws_the_smoke_run(tmp_path: Path) -> None:
    runs = sorted(FIXTURE_RESULTS.glob("*/*/run.json"))
    if not runs:
        pytest.skip("no committed smoke run")
    data = pd.concat([load_run(r.parent) for r in runs], ignore_index=True)
    infos = figures.render_all(data, tmp_path)
    names = {i.name for i in infos}
    assert {"startup", "memory", "ipc", "races"} <= names
    for info in infos:
        assert info.path.stat().st_size > 1000
        assert info.alt.endswith(".") and len(info.alt) > 80


# --- the registry --------------------------------------------------------------------------


def test_the_registry_holds_every_figure_in_the_report_order() -> None:
    names = [spec.name for spec in figures.figure_specs(everything())]
    assert names == [
        "startup", "memory", "ipc", "races", "decision-map", "gil-vs-free-threaded",
        "free-threading-cost", "free-threading-same-work", "numpy",
        figures.scaling_name(figures.SCALING_GROUP),
    ]  # fmt: skip
    assert set(figures.TITLES) == set(names[:-1])  # the per-group titles name the group


def test_a_new_figure_is_one_decorated_function(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(registry, "REGISTRY", dict(registry.REGISTRY))
    monkeypatch.setattr(registry, "TITLES", dict(registry.TITLES))

    @figures.figure("lost", "Lost updates, again", figures.select_races, order=45)
    def make_lost(frame: pd.DataFrame) -> figures.FigureWithAlt:
        if frame.empty:
            return None
        fig = figures.new_figure(1)
        figures.axes_grid(fig, 1)[0, 0].plot(frame["workers"], frame["value"])
        return fig, "Lost updates by threads."

    names = [spec.name for spec in figures.figure_specs(race_frame())]
    assert names[3:6] == ["races", "lost", "decision-map"]  # placed by its order
    races, lost = figures.render_all(race_frame(), tmp_path)
    assert races.name == "races"
    assert lost == figures.FigureInfo("lost", tmp_path / "lost.svg", "Lost updates, again",
                                      "Lost updates by threads.")  # fmt: skip
    assert figures.svg_problem(lost.path.read_bytes()) is None
    assert make_lost(pd.DataFrame()) is None
    with pytest.raises(ValueError, match="already registered"):
        figures.figure("races", "Again", figures.select_races, order=1)(make_lost)


def test_every_figure_module_stays_small() -> None:
    root = Path(__file__).resolve().parents[1] / "bench"
    found = [*(root / "report" / "figures").glob("*.py"), *root.glob("families/*/figures.py")]
    sizes = {str(p.relative_to(root)): len(p.read_text(encoding="utf-8").splitlines())
             for p in found}  # fmt: skip
    assert len(sizes) >= 10 and max(sizes.values()) <= 400, sizes
