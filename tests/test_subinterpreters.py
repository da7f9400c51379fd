"""Subinterpreters (issue 12), and the measures choosing models by trait.

The model needs Python 3.12+ and, before 3.14, ``backports.interpreters``: the tests
that run it do so in the suite's own venvs of CPython 3.13 and 3.13t through a
subprocess (``helpers_interpreters``), and skip (saying why) where those Pythons are
absent. Nothing asserts a timing.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any

import pyperf
import pytest
from helpers_interpreters import FREE_THREADED, GIL_313, prepared
from helpers_waiting import CHILD_RUN_S

from bench.case_script import probed_model
from bench.cases import Case
from bench.families.catalogue import PROFILES
from bench.families.fault import measure as fault
from bench.families.ipc import channels
from bench.families.memory import measure as memory
from bench.families.pitfalls import measure as pitfalls
from bench.families.pitfalls.apis import PROCESS_APIS
from bench.models import MODELS, Capability, Isolation, ModelSpec, base, unavailable_models
from tests.conftest import Children

ROOT = Path(__file__).resolve().parents[1]


def run_in(
    python: Path, source: str, timeout: float = CHILD_RUN_S
) -> subprocess.CompletedProcess[str]:
    """Run ``source`` in ``python`` with the project on its path."""
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    return subprocess.run(
        [str(python), "-c", textwrap.dedent(source)],
        capture_output=True,
        text=True,
        env=env,
        cwd=ROOT,
        timeout=timeout,
        check=False,
    )


def last_json(result: subprocess.CompletedProcess[str]) -> Any:
    assert result.returncode == 0, result.stderr[-2000:]
    return json.loads(result.stdout.strip().splitlines()[-1])


RUN_TASKS = """
import json, threading
from bench.models import MODELS, TaskError, open_executor, unavailable_models
from bench.families.cpu.workload import count_primes
from bench.workloads.probe import worker_facts

reason = unavailable_models().get("subinterpreters")
out = {"reason": reason, "spec": MODELS["subinterpreters"].isolation.value}
if reason is None:
    executor = open_executor("subinterpreters", 2)
    try:
        out["results"] = executor.run(count_primes, [(n, i) for i, n in enumerate((10, 100, 1000))])
        out["pids"] = sorted({f["pid"] for f in executor.run(worker_facts, [(1, 0), (1, 1)])})
        try:
            executor.run(count_primes, [("ten", 0)])
        except TaskError as exc:
            out["error"] = str(exc).splitlines()[0]
    finally:
        executor.close()
    out["threads_left"] = threading.active_count()
print(json.dumps(out))
"""


def test_the_model_is_a_pool_of_separate_interpreters() -> None:
    spec = MODELS["subinterpreters"]
    assert spec.isolation is Isolation.INTERPRETER and spec.pool and spec.own_gil
    assert not spec.uses_processes and not spec.starts_per_run


@pytest.mark.skipif(sys.version_info >= (3, 12), reason="the version check is for 3.11")
def test_unavailable_before_312_with_the_reason_in_words() -> None:
    missing = unavailable_models()
    assert missing["subinterpreters"] == "subinterpreters with their own GIL need 3.12+"
    # ... and a channel whose peer is a subinterpreter says so too
    assert "3.12+" in channels.unavailable_channels(missing)["interpreters.Queue"]


def test_runs_tasks_and_returns_results_in_order_on_313() -> None:
    out = last_json(run_in(prepared(GIL_313), RUN_TASKS))
    if out["reason"]:
        pytest.skip(f"subinterpreters unavailable there: {out['reason']}")
    assert out["results"] == [4, 25, 168]
    assert out["pids"] and len(out["pids"]) == 1  # every worker is in this one process
    assert out["error"].startswith("TypeError")
    assert out["threads_left"] == 1  # close() joined every worker thread


def test_free_threaded_313_runs_them_or_says_why() -> None:
    """On 3.13t the backport works here; were it not to, the reason must be words."""
    result = run_in(prepared(FREE_THREADED), RUN_TASKS)
    out = last_json(result)
    if out["reason"]:
        assert "\n" not in out["reason"] and "subinterpreter" in out["reason"]
        return
    assert out["results"] == [4, 25, 168]
    assert "Exception ignored" not in result.stderr  # no closed interpreter left for exit


def test_channels_of_a_missing_model_are_unavailable_too() -> None:
    assert channels.unavailable_channels({}) == {}
    missing = channels.unavailable_channels({"subinterpreters": "needs Python 3.12+"})
    assert missing == {
        "interpreters.Queue": "its peer is a subinterpreters worker: needs Python 3.12+"
    }


def test_a_channel_or_api_is_probed_in_a_model_of_its_peer_kind() -> None:
    def probed(model: str, measure: str, start_method: str | None = None) -> str:
        return probed_model(Case("x", "x", "x", 1, 1, model, 1, start_method, measure=measure))

    assert probed("interpreters.Queue", "ipc") == "subinterpreters"
    assert MODELS[probed("mp.Queue", "ipc", "spawn")].uses_processes
    assert MODELS[probed("queue.Queue", "ipc")].isolation is Isolation.SHARED
    assert MODELS[probed("mp.Pool", "pitfalls", "fork")].uses_processes
    assert probed("thread_pool", "batch") == "thread_pool"


def test_smoke_has_one_case_of_each_kind() -> None:
    names = [c.name for c in PROFILES["smoke"].cases()]
    for wanted in (
        "count_primes[1ms] subinterpreters w=2",
        "noop[first result] subinterpreters w=1 first_result",
        "echo[64B] interpreters.Queue w=1",
        "fault[8 tasks] subinterpreters w=2 os_exit",
    ):
        assert wanted in names


# --- the measures choose by trait -------------------------------------------------------


def register(monkeypatch: pytest.MonkeyPatch, isolation: Isolation, **traits: Any) -> str:
    """A made-up model (the thread pool's module behind it) with the given traits."""
    spec = ModelSpec("dummy", "bench.models.thread_pool", "dummy", "#000000", isolation, **traits)
    monkeypatch.setitem(MODELS, "dummy", spec)
    return "dummy"


def fault_case(model: str, variant: str = "os_exit", method: str | None = None) -> Case:
    return Case(
        family="fault", workload="fault", size_label="-", size=0, tasks=4, model=model,
        workers=2, start_method=method, measure="fault", variant=variant,
    )  # fmt: skip


@pytest.mark.parametrize(
    ("isolation", "traits", "path"),
    [
        (Isolation.INTERPRETER, {"pool": True}, "crash_in_child"),
        (Isolation.SHARED, {"pool": True}, "crash_in_child"),
        (Isolation.PROCESS, {"pool": True}, "crash_pool"),
        (Isolation.PROCESS, {"pool": True, "start_methods": ("fork",)}, "crash_pool"),
        (Isolation.PROCESS, {"starts_per_run": True, "start_methods": ("fork",)},
         "crash_each_alone"),
    ],
)  # fmt: skip
def test_fault_takes_its_path_from_the_isolation(
    monkeypatch: pytest.MonkeyPatch, isolation: Isolation, traits: dict[str, Any], path: str
) -> None:
    model = register(monkeypatch, isolation, **traits)
    taken: list[str] = []

    def recorder(name: str) -> Any:
        def record(*args: Any) -> dict[str, Any]:
            taken.append(name)
            return {}

        return record

    for name in ("crash_in_child", "crash_pool", "crash_each_alone"):
        monkeypatch.setattr(fault, name, recorder(name))
    method = "fork" if "start_methods" in traits else None
    fault.run_once(fault_case(model, method=method))
    assert taken == [path]


def test_fault_rejects_a_model_with_no_workers_of_its_own(monkeypatch: pytest.MonkeyPatch) -> None:
    model = register(monkeypatch, Isolation.REMOTE, pool=True)
    with pytest.raises(ValueError, match="not measured"):
        fault.measure(fault_case(model))


def test_a_leak_in_a_model_of_this_process_is_freed_after_measuring(
    monkeypatch: pytest.MonkeyPatch, children: Children
) -> None:
    model = register(monkeypatch, Isolation.INTERPRETER, pool=True)
    (growth,) = fault.measure(Case(
        family="fault", workload="fault", size_label="-", size=4, tasks=4, model=model,
        workers=2, measure="fault", variant="leak",
    ))  # fmt: skip
    assert growth.params["freed_after_measuring"] is True
    assert all(v >= 8 * fault.MIB for v in growth.values)  # 16 MiB leaked, half of it at least
    assert fault.free_leaked() == 0  # nothing was left
    assert not children.left()


def memory_case(model: str, workers: int = 2, variant: str = "", size: int = 0) -> Case:
    return Case(
        family="memory", workload="live_workers", size_label="-", size=size, tasks=0,
        model=model, workers=workers, measure="memory", variant=variant,
    )  # fmt: skip


def test_memory_measures_other_pools_through_their_own_executor(
    monkeypatch: pytest.MonkeyPatch, children: Children
) -> None:
    model = register(monkeypatch, Isolation.INTERPRETER, pool=True,
                     capabilities=frozenset({Capability.HOLDS_WORKERS}))  # fmt: skip
    base.KEPT.clear()
    try:
        got = {m.metric: m for m in memory.measure(memory_case(model, variant="working_set",
                                                                 size=4))}  # fmt: skip
        # the warm-up's 2 workers, then the measured 2: each kept the data once
        assert len(base.KEPT) == 4
    finally:
        base.KEPT.clear()  # threads keep into this very module: give it back
    assert got["rss_bytes"].params == {"working_set_bytes": 4 << 20}
    assert set(got) >= {"rss_bytes", "baseline_rss_bytes", "extra_rss_per_worker_bytes"}
    assert not children.left()


@pytest.mark.parametrize(
    ("isolation", "traits"),
    [(Isolation.REMOTE, {"pool": True}), (Isolation.SHARED, {"is_async": True}),
     (Isolation.SHARED, {"baseline": True}), (Isolation.INTERPRETER, {})],
)  # fmt: skip
def test_memory_refuses_models_without_workers_to_hold(
    monkeypatch: pytest.MonkeyPatch, isolation: Isolation, traits: dict[str, Any]
) -> None:
    model = register(monkeypatch, isolation, **traits)
    with pytest.raises(ValueError, match="memory"):
        memory.measure(memory_case(model))


# --- what breaks: a fork after a subinterpreter was made ---------------------------------


def test_the_fatal_error_of_an_aborted_child_is_read() -> None:
    stderr = "noise\nFatal Python error: PyThreadState_Get: the GIL is released\nPython runtime"
    assert pitfalls.fatal_error(stderr) == (
        "Fatal Python error: PyThreadState_Get: the GIL is released"
    )
    text = pitfalls.describe_outcome("", stderr, -6, 5.0)
    assert text == (
        "the program failed (exit code -6); printed Fatal Python error: PyThreadState_Get: "
        "the GIL is released"
    )
    assert pitfalls.fatal_error("Traceback (most recent call last):\n") is None


@pytest.mark.skipif(sys.version_info >= (3, 12), reason="the n/a path is for 3.11")
def test_the_subinterpreter_pitfall_is_not_applicable_before_312() -> None:
    pitfall = pitfalls.PITFALLS["fork_after_subinterpreters"]
    text = pitfalls.run_attempt(pitfall, PROCESS_APIS["processes"], "fork", 5.0)
    assert text == "n/a: subinterpreters with their own GIL need 3.12+"
    assert not pitfalls.works(text)


def test_fork_after_a_subinterpreter_is_a_recorded_outcome_on_313() -> None:
    out = last_json(run_in(prepared(GIL_313), """
        import json
        from bench.families.pitfalls import measure as pitfalls
        from bench.families.pitfalls.apis import PROCESS_APIS
        pitfall = pitfalls.PITFALLS["fork_after_subinterpreters"]
        process = PROCESS_APIS["processes"]
        print(json.dumps({method: pitfalls.run_attempt(pitfall, process, method, 5.0)
                          for method in ("fork", "spawn")}))
    """))  # fmt: skip
    if out["spawn"].startswith("n/a"):
        pytest.skip(out["spawn"])
    assert out["spawn"] == "works"
    # 3.13.0 aborts the forked child; whatever a later 3.13 does, it is an outcome in words
    assert out["fork"] == "works" or "exited with code" in out["fork"], out["fork"]


@pytest.mark.slow
def test_a_smoke_run_of_subinterpreter_cases_on_313(tmp_path: Path) -> None:
    python = prepared(GIL_313)
    command = [
        sys.executable, "-m", "bench", "run", "--profile", "smoke", "--no-install",
        "--only", r"count_primes\[1ms\] subinterpreters|interpreters\.Queue|fault.*subinterp",
        "--python", str(python), "--results", str(tmp_path),
    ]  # fmt: skip
    result = subprocess.run(
        command, capture_output=True, text=True, cwd=ROOT, timeout=CHILD_RUN_S, check=False
    )
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    (manifest,) = tmp_path.glob("*/*/run.json")
    (entry,) = json.loads(manifest.read_text())["interpreters"]
    assert entry["failures"] == []
    if entry["skipped"]:
        pytest.skip(f"skipped there: {entry['skipped'][0]['reason']}")
    suite = pyperf.BenchmarkSuite.load(str(manifest.parent / entry["file"]))
    names = set(suite.get_benchmark_names())
    assert {"count_primes[1ms] subinterpreters w=2", "echo[64B] interpreters.Queue w=1"} <= names
    outcomes = json.loads((manifest.parent / entry["outcomes_file"]).read_text())["records"]
    exits = [r["values"] for r in outcomes if r["metric"] == "program_exitcode"]
    assert exits == [[fault.EXIT_CODE]]  # os._exit in one subinterpreter ends the process


def test_the_interpreters_queue_channel_echoes_and_cleans_up_on_313() -> None:
    out = last_json(run_in(prepared(GIL_313), """
        import json, threading
        from bench.cases import Case
        from bench.families.ipc import channels
        from bench.families.ipc import measure as ipc
        from bench.models import unavailable_models

        missing = channels.unavailable_channels(unavailable_models())
        out = {"reason": missing.get("interpreters.Queue"), "echoed": []}
        if not out["reason"]:
            for size in (64, 1 << 20):
                case = Case(family="ipc", workload="echo", size_label="-", size=size, tasks=1,
                            model="interpreters.Queue", workers=1, measure="ipc")
                with ipc.open_timer(case) as timer:
                    out["echoed"].append(timer.roundtrip() == ipc.payload(size))
                    out["positive"] = timer.run(2) > 0
            out["threads_left"] = threading.active_count()
        print(json.dumps(out))
    """))  # fmt: skip
    if out["reason"]:
        pytest.skip(out["reason"])
    assert out["echoed"] == [True, True] and out["positive"]
    assert out["threads_left"] == 1  # the peer's thread joined, its interpreter closed
