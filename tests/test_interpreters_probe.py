"""The interpreter probe: what a measured interpreter lacks, a module too old included."""

from __future__ import annotations

import json
import subprocess
import sys

from bench import interpreters


def missing(required: dict[str, tuple[int, int]]) -> list[str]:
    out = subprocess.run(
        [sys.executable, "-c", interpreters.probe_source(required)],
        env=interpreters.case_environment({}),
        capture_output=True,
        text=True,
        check=True,
    )
    return list(json.loads(out.stdout.strip().splitlines()[-1])["missing"])


def test_this_interpreter_has_what_the_suite_needs() -> None:
    assert missing(interpreters.REQUIRED_MODULES) == []


def test_a_module_older_than_needed_counts_as_missing() -> None:
    assert missing({"pyperf": (99, 0), "psutil": (0, 0)}) == ["pyperf"]


def test_an_absent_module_counts_as_missing() -> None:
    assert missing({"no_such_module_here": (0, 0)}) == ["no_such_module_here"]


def test_the_requirements_ask_for_the_versions_the_probe_checks() -> None:
    pins = dict(r.split(">=", 1) for r in interpreters.REQUIREMENTS)
    for module, oldest in interpreters.REQUIRED_MODULES.items():
        assert pins[module].split(",")[0] == ".".join(map(str, oldest))
