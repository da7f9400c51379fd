"""The home page's answer: one row per recommendation, each with its measured figure.

A reader's question down the side ("pure-Python code that keeps a CPU busy"), what to use,
and the number that says so, measured on this machine: an estimate with its 95 % interval
and the rounds it rests on (``bench.report.estimate``, the verdicts' estimator), and a link
to the claim whose evidence it is. Never a number typed into the prose. The interpreter of
a row is named with it: the newest GIL build measured, and the newest free-threaded one
where the row is about free-threading.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import pandas as pd

from bench.models import Role, model_of
from bench.report import tables
from bench.report.claims import default_start_method
from bench.report.estimate import Estimate, ratio_estimate
from bench.report.format import DASH, format_bytes, format_estimate
from bench.report.markdown import inert
from bench.report.metrics import paired_ratios
from bench.report.select import model_label, where
from bench.site.data import SourceData, machine_in_words


@dataclass(frozen=True)
class Interpreters:
    """The interpreters of one machine's rows a row speaks of."""

    gil: str | None  # the newest GIL build measured (with the GIL on)
    free: str | None  # the newest free-threaded build with the GIL off
    labels: dict[str, str]  # interpreter -> "CPython 3.14.8"


def _version(frame: pd.DataFrame, interpreter: str) -> tuple[int, ...]:
    text = str(frame.loc[frame["interpreter"] == interpreter, "python_version"].dropna().iloc[0]
               if "python_version" in frame else "")  # fmt: skip
    return tuple(int(part) for part in re.findall(r"\d+", text.split(" ", maxsplit=1)[0])[:3])


def interpreters_of(frame: pd.DataFrame) -> Interpreters:
    """The newest GIL build and the newest free-threaded build (GIL off) of ``frame``."""
    labels, gil, free = {}, [], []
    for name in sorted(frame["interpreter"].dropna().astype(str).unique()):
        rows = frame[frame["interpreter"] == name]
        version = ".".join(map(str, _version(frame, name))) or name
        threaded = "free-threading" in set(rows.get("python_build", pd.Series()).dropna())
        states = set(rows.get("gil_enabled", pd.Series()).dropna())
        labels[name] = f"CPython {version}{'t' if threaded else ''}"
        if threaded and "disabled" in states:
            free.append(name)
        elif not threaded:
            gil.append(name)
    newest = lambda names: max(names, key=lambda n: _version(frame, n)) if names else None  # noqa: E731
    return Interpreters(newest(gil), newest(free), labels)


# --- the figures ----------------------------------------------------------------------------


def _kept(ratios: pd.DataFrame) -> Estimate:
    """The estimate of the rounds not left out for low capacity (as the verdicts take it)."""
    if ratios.empty:
        return ratio_estimate([])
    kept = ratios[~ratios["low_capacity"].astype(bool)] if "low_capacity" in ratios else ratios
    return ratio_estimate(list(kept["ratio"].astype(float)))


def _speedup(label: str, estimate: Estimate) -> str:
    return f"{label} {format_estimate(estimate)}" if estimate.n else ""


def _at_the_cores(ratios: pd.DataFrame) -> pd.DataFrame:
    """The rows at the most workers up to the machine's cores: what the machine can give."""
    if ratios.empty:
        return ratios
    cores = pd.to_numeric(ratios.get("cpu_count"), errors="coerce").max()
    counts = sorted(int(w) for w in ratios["workers"].unique() if w >= 2)
    if not counts:
        return ratios.iloc[0:0]
    within = [w for w in counts if pd.isna(cores) or w <= cores]
    return ratios[ratios["workers"] == (within[-1] if within else counts[0])]


def _cpu(frame: pd.DataFrame, who: Interpreters) -> str:
    parts = []
    if who.gil:
        rows = where(frame, interpreter=who.gil)
        ratios = _at_the_cores(paired_ratios(where(rows, family=("cpu_python", "capacity"),
                                                    size_label=("100ms", "40ms"))))  # fmt: skip
        if not ratios.empty:
            method = default_start_method(rows)
            pool = _kept(where(ratios, model=model_of(Role.PROCESS_POOL), start_method=method))
            threads = _kept(where(ratios, model=model_of(Role.THREAD_POOL)))
            workers = int(ratios["workers"].iloc[0])
            parts.append(f"{workers} workers: {_speedup(f'process pool ({method})', pool)}, "
                         f"{_speedup('threads', threads)} the loop")  # fmt: skip
    if who.free:
        rows = where(frame, interpreter=who.free)
        ratios = _at_the_cores(paired_ratios(where(rows, family=("cpu_python", "capacity"),
                                                    size_label=("100ms", "40ms"))))  # fmt: skip
        threads = _kept(where(ratios, model=model_of(Role.THREAD_POOL)))
        if threads.n:
            parts.append(_speedup(f"free-threaded ({who.labels[who.free]}) threads", threads))
    return "; ".join(p for p in parts if p)


def _waits(frame: pd.DataFrame, who: Interpreters) -> str:
    if not who.gil:
        return ""
    ratios = paired_ratios(where(frame, interpreter=who.gil, family="io", workload="tcp"))
    if ratios.empty:
        return ""
    most = int(ratios["workers"].max())
    at = where(ratios, workers=most)
    parts = [_speedup(model_label(m), _kept(where(at, model=m)))
             for m in (model_of(Role.THREAD_POOL), model_of(Role.EVENT_LOOP))]  # fmt: skip
    found = "; ".join(p for p in parts if p)
    return f"{most} requests at once: {found} the loop" if found else ""


def _c_code(frame: pd.DataFrame, who: Interpreters) -> str:
    if not who.gil:
        return ""
    rows = where(frame, interpreter=who.gil)
    parts = []
    for label, family, workload in (("hashing", "cpu_c", "sha256"),
                                    ("NumPy ufuncs", "numpy", "numpy_ufuncs")):  # fmt: skip
        ratios = _at_the_cores(paired_ratios(where(rows, family=(family, "capacity"),
                                                    workload=(workload, "capacity"))))  # fmt: skip
        threads = _kept(where(ratios, model=model_of(Role.THREAD_POOL), variant=("", "none")))
        if threads.n:
            parts.append(f"{label} {format_estimate(threads)} with "
                         f"{int(ratios['workers'].iloc[0])} threads")  # fmt: skip
    return f"{'; '.join(parts)} the loop" if parts else ""


def _tiny_tasks(frame: pd.DataFrame, who: Interpreters) -> str:
    if not who.gil:
        return ""
    ratios = paired_ratios(where(frame, interpreter=who.gil, family="granularity",
                                 size_label="10us", payload_bytes=0))  # fmt: skip
    pool = where(ratios, model=model_of(Role.PROCESS_POOL))
    if pool.empty:
        return ""
    one = _kept(pool[pool["chunksize"] == 1])
    batched = _kept(pool[pool["chunksize"] > 1])
    threads = _kept(where(ratios, model=model_of(Role.THREAD_POOL)))
    parts = [_speedup("a process pool, one task a message", one),
             _speedup("with chunksize", batched), _speedup("a thread pool", threads)]  # fmt: skip
    return f"10 {chr(0xB5)}s tasks: " + "; ".join(p for p in parts if p)


def _figures(data: SourceData, claim: str, interpreter: str | None) -> dict[str, object]:
    """The numbers a verdict rests on, as the claim gave them (its one estimator)."""
    if interpreter is None or data.verdicts.empty:
        return {}
    rows = data.verdicts[(data.verdicts["claim_id"] == claim)
                         & (data.verdicts["interpreter"] == interpreter)]  # fmt: skip
    if rows.empty:
        return {}
    try:
        found = json.loads(str(rows.iloc[0]["figures"]))
    except ValueError:
        return {}
    return found if isinstance(found, dict) else {}


#: A row's figure, from one machine's results (its rows and its verdicts).
DataCell = Callable[[SourceData, Interpreters], str]


@dataclass(frozen=True)
class Recommendation:
    work: str  # the reader's situation
    use: str  # what to use
    measured: DataCell  # the figure that says so
    claim: str  # the claim whose evidence it is


def _crashes(data: SourceData, who: Interpreters) -> str:
    if who.gil is None:
        return ""
    found = _figures(data, "processes_isolate_faults", who.gil)
    pool, tasks = found.get("process_pool_tasks_finished"), found.get("tasks")
    if pool is None or tasks is None:
        return ""
    survived = found.get("threads_program_survived")
    threads = ""
    if survived is not None:
        threads = f"; with threads the program {'survived' if survived else 'died'}"
    return f"a process pool finished {pool} of {tasks} tasks after one worker's os._exit{threads}"


def _memory(data: SourceData, who: Interpreters) -> str:
    if who.gil is None:
        return ""
    found = _figures(data, "processes_cost_memory", who.gil)
    thread, process = found.get("per_thread_bytes"), found.get("per_process_bytes")
    if not isinstance(thread, int | float) or not isinstance(process, int | float):
        return ""
    working = found.get("working_set_per_worker_bytes")
    text = f"per extra idle worker: a thread {format_bytes(thread)}, "
    text += f"a process {format_bytes(process)}"
    if isinstance(working, int | float):
        text += f"; a forked worker reading 50 MiB: {format_bytes(working)}"
    return text


def _free_threading_cost(data: SourceData, who: Interpreters) -> str:
    if who.free is None:
        return ""
    found = _figures(data, "free_threading_single_thread_cost", who.free)
    slowdown = found.get("slowdown")
    if not isinstance(slowdown, dict):
        return ""
    value, low, high = (float(slowdown.get(k, math.nan)) for k in ("value", "low", "high"))
    estimate = Estimate(value, low, high, int(slowdown.get("n", 0)))
    reference = found.get("reference")
    against = f" against {reference}" if reference else ""
    return f"{who.labels[who.free]}: one thread takes {format_estimate(estimate)}{against}"


RECOMMENDATIONS: tuple[Recommendation, ...] = (
    Recommendation("Pure-Python code that keeps a CPU busy",
                   "a process pool; threads on a free-threaded build",
                   lambda d, w: _cpu(d.latest, w), "processes_sidestep_gil"),
    Recommendation("Waiting on the network or the disk", "threads, or asyncio",
                   lambda d, w: _waits(d.latest, w), "threads_suit_io"),
    Recommendation("C code that releases the GIL (hashlib, zlib, NumPy)", "threads",
                   lambda d, w: _c_code(d.latest, w), "numpy_threads_speed_up"),
    Recommendation("Many tiny tasks (microseconds each)", "batches (chunksize), or the loop",
                   lambda d, w: _tiny_tasks(d.latest, w), "threads_suit_frequent_communication"),
    Recommendation("Code that may crash or leak", "processes", _crashes,
                   "processes_isolate_faults"),
    Recommendation("Many workers that mostly wait (memory)", "threads", _memory,
                   "processes_cost_memory"),
    Recommendation("A free-threaded build (3.13t and later)", "weigh its single-thread cost",
                   _free_threading_cost, "free_threading_single_thread_cost"),
)  # fmt: skip


def answer_table(data: SourceData, links: dict[str, str] | None = None) -> str:
    """The recommendations of one machine's results, each with its measured figure and a
    link to its claim's evidence (``links``: claim -> the page and anchor), under the line
    that names the machine and the interpreters."""
    latest = data.latest
    if latest.empty:
        return tables.NO_DATA
    who = interpreters_of(latest)
    header = "| your work | use | measured (95% interval, rounds) | |"
    lines = [measured_by(data, who), "", header, "|---|---|---|---|"]
    for row in RECOMMENDATIONS:
        figure = row.measured(data, who) or DASH
        link = (links or {}).get(row.claim)
        evidence = f"[evidence]({link})" if link else DASH
        lines.append(f"| {inert(row.work)} | **{inert(row.use)}** | {inert(figure)} | {evidence} |")
    return "\n".join(lines) + "\n"


def measured_by(data: SourceData, who: Interpreters | None = None) -> str:
    """Measured on a 2-core AMD EPYC with CPython 3.13.0, 3.13.5t, ...: the machine in
    words, every interpreter with its version, and whose figures the unnamed ones are."""
    who = who or interpreters_of(data.latest)
    names = sorted(set(who.labels.values()), key=lambda n: [int(p) for p in re.findall(r"\d+", n)])
    text = (
        f"Measured on a **{inert(machine_in_words(data.latest))}** with {inert(', '.join(names))}"
    )
    if who.gil:
        text += f"; a figure is {inert(who.labels[who.gil])}'s where no other is named"
    return text + "."


def across_machines(sources: Sequence[SourceData]) -> str:
    """How the CPU answer changes with the cores: one row per machine shown (where more
    than one is), its speedups at its own cores, each with its interval and rounds."""
    rows = []
    for data in sources:
        if data.empty:
            continue
        who = interpreters_of(data.latest)
        cores = pd.to_numeric(data.latest.get("cpu_count"), errors="coerce").max()
        figures = _cpu(data.latest, who) or DASH
        rows.append((cores, inert(data.source.title), inert(figures)))
    if len(rows) < 2:
        return ""
    lines = ["How the answer for CPU-bound work changes with the machine's cores:", "",
             "| machine | pure-Python CPU work at its cores (95% interval, rounds) |",
             "|---|---|"]  # fmt: skip
    lines += [f"| {title} | {figures} |" for _, title, figures in sorted(rows, key=lambda r: r[0])]
    return "\n".join(lines) + "\n"
