"""The pure helpers of the case script and of the interpreter handling."""

from __future__ import annotations

import os
import sys

import pytest

from bench import case_script, interpreters
from bench.environment import PROJECT_ROOT


@pytest.mark.parametrize(
    ("cpus", "text"),
    [
        ([0, 1, 2, 5], "0-2,5"),
        ([], ""),
        ([3], "3"),
        ([5, 1, 0, 2, 2], "0-2,5"),
        ([0, 2, 4], "0,2,4"),
        ([0, 1, 3, 4, 7], "0-1,3-4,7"),
    ],
)
def test_format_cpus(cpus: list[int], text: str) -> None:
    assert case_script.format_cpus(cpus) == text


def facts(pid: int, gil: bool, cpus: list[int]) -> dict[str, object]:
    return {"pid": pid, "gil_enabled": gil, "cpu_affinity": cpus}


def test_probe_metadata_two_processes_with_the_gil() -> None:
    meta = case_script.probe_metadata(
        [facts(10, True, [0, 1]), facts(11, True, [1, 2]), facts(10, True, [0, 1])]
    )
    assert meta == {
        "gil_enabled": "enabled",
        "worker_cpu_affinity": "0-2",
        "worker_cpu_count": 3,
        "worker_processes": 2,
    }


def test_probe_metadata_gil_disabled() -> None:
    meta = case_script.probe_metadata([facts(1, False, [0])])
    assert meta["gil_enabled"] == "disabled"
    assert meta["worker_processes"] == 1


def test_probe_metadata_mixed_gil() -> None:
    meta = case_script.probe_metadata([facts(1, True, [0]), facts(2, False, [0])])
    assert meta["gil_enabled"] == "mixed"


def test_probe_metadata_without_affinity() -> None:
    meta = case_script.probe_metadata([facts(1, True, [])])
    assert meta["worker_cpu_affinity"] == "unknown"
    assert meta["worker_cpu_count"] == 0


@pytest.mark.parametrize(
    ("argv", "options"),
    [
        (
            ["/usr/bin/python3", "-X", "gil=1", "-m", "bench.case_script", "--case", "{}"],
            ["-X", "gil=1"],
        ),
        (["python", "-m", "bench.case_script", "-m", "x"], []),
        (["python", "script.py"], []),
        ([], []),
    ],
)
def test_interpreter_options(
    argv: list[str], options: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(sys, "orig_argv", argv, raising=False)
    assert interpreters.interpreter_options() == options


def test_parse_keeps_the_options_apart() -> None:
    interp = interpreters.parse('"/opt/x y/python" -X gil=1')
    assert interp.executable == "/opt/x y/python"
    assert interp.options == ("-X", "gil=1")
    assert interp.argv == ("/opt/x y/python", "-X", "gil=1")
    assert interp.spec == '"/opt/x y/python" -X gil=1'


@pytest.mark.parametrize("spec", ["", "   "])
def test_parse_refuses_an_empty_interpreter(spec: str) -> None:
    with pytest.raises(interpreters.InterpreterError):
        interpreters.parse(spec)


def test_label_of_a_free_threaded_build_with_options() -> None:
    info = {"implementation": "cpython", "version": "3.13.5", "free_threaded_build": True}
    interp = interpreters.Interpreter(
        argv=("/opt/py/bin/python3.13t", "-X", "gil=1"), spec="...", info=info
    )
    assert interp.build_label == "cpython-3.13.5t"
    assert interp.label == "cpython-3.13.5t-x-gil-1"


def test_label_of_a_default_build_without_options() -> None:
    info = {"implementation": "cpython", "version": "3.11.7", "free_threaded_build": False}
    interp = interpreters.Interpreter(argv=("python3",), spec="python3", info=info)
    assert interp.build_label == "cpython-3.11.7"
    assert interp.label == "cpython-3.11.7"


def test_label_before_probing() -> None:
    assert interpreters.parse("python3").label == "python-unknown"


def test_case_environment_puts_the_project_first(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PYTHONPATH", os.pathsep.join(["/elsewhere", str(PROJECT_ROOT), ""]))
    env = interpreters.case_environment({})
    paths = env["PYTHONPATH"].split(os.pathsep)
    assert paths == [str(PROJECT_ROOT), "/elsewhere"]
    assert (PROJECT_ROOT / "bench" / "__init__.py").is_file()


def test_case_environment_without_pythonpath(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("PYTHONPATH", raising=False)
    env = interpreters.case_environment({"BENCH_X": "1"})
    assert env["PYTHONPATH"] == str(PROJECT_ROOT)
    assert env["BENCH_X"] == "1"
    assert "BENCH_X" not in os.environ


def test_case_environment_extras_win(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("BENCH_Y", "ours")
    assert interpreters.case_environment({"BENCH_Y": "theirs"})["BENCH_Y"] == "theirs"
