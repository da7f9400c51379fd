"""The interpreter probe: what a measured interpreter lacks (a module too old included), how
it was built, and the venv the suite makes for it."""

from __future__ import annotations

import json
import subprocess
import sys
import sysconfig

import pytest
from helpers_interpreters import DEBIAN, require

from bench import interpreters
from bench.results.build_flags import build_optimisations, recorded_or_derived


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


# --- how a build was optimised (issue 22) ----------------------------------------------

PYENV_ARGS = "'--prefix=/root/.pyenv/versions/3.13.0' '--enable-shared'"


def test_pgo_and_lto_are_read_from_the_configure_arguments() -> None:
    optimised = {"CONFIG_ARGS": f"{PYENV_ARGS} '--enable-optimizations' '--with-lto'"}
    plain = {"CONFIG_ARGS": PYENV_ARGS, "PGO_PROF_USE_FLAG": "-fprofile-use"}  # not used
    assert build_optimisations(optimised) == {"python_pgo": "yes", "python_lto": "yes"}
    assert build_optimisations(plain) == {"python_pgo": "no", "python_lto": "no"}


def test_pgo_and_lto_in_the_compiler_flags_count_too() -> None:
    flags = {"CONFIG_ARGS": PYENV_ARGS, "PY_CFLAGS_NODIST": "-O3 -flto=auto -fprofile-use"}
    assert build_optimisations(flags) == {"python_pgo": "yes", "python_lto": "yes"}


def test_a_distributions_build_that_does_not_say_is_unknown() -> None:
    debian = {"CONFIG_ARGS": "'--enable-shared' '--prefix=/usr' '--with-computed-gotos'"}
    assert build_optimisations(debian) == {
        "python_pgo": "unknown",
        "python_lto": "unknown",
    }


def test_older_files_get_their_build_flags_from_the_configure_arguments() -> None:
    """The committed baseline has no python_pgo: pyperf's python_config_args says it."""
    older = {"python_config_args": PYENV_ARGS, "python_cflags": "-O3 -Wall"}
    assert recorded_or_derived(older) == {"python_pgo": "no", "python_lto": "no"}
    optimised = {"python_config_args": f"{PYENV_ARGS} '--enable-optimizations' '--with-lto'"}
    assert recorded_or_derived(optimised) == {"python_pgo": "yes", "python_lto": "yes"}
    recorded = {"python_pgo": "unknown", "python_lto": "yes", "python_config_args": PYENV_ARGS}
    assert recorded_or_derived(recorded) == {"python_pgo": "unknown", "python_lto": "yes"}
    assert recorded_or_derived({}) == {"python_pgo": None, "python_lto": None}


def test_the_probe_reports_the_build_and_the_extras_it_lacks() -> None:
    info = interpreters.probe(interpreters.current()).info
    assert info["python_pgo"] in ("yes", "no", "unknown")
    assert info["config_args"] == (sysconfig.get_config_var("CONFIG_ARGS") or "")
    assert info["missing_extras"] == {}  # the test environment has every extra


# --- the suite's venv for a distribution's interpreter (issue 22) -------------------------


@pytest.mark.parametrize("series", sorted(DEBIAN))
def test_a_wrapped_distribution_python_gets_a_venv_with_every_extra(series: str) -> None:
    """Debian's builds run through a wrapper (their own loader and C library); their
    ensurepip is broken and they lack the extras: the suite's venv for them has it all."""
    python = interpreters.prepare(interpreters.parse(str(require(DEBIAN[series]))))
    assert python.info["in_venv"] and python.info["version"].startswith(series)
    assert python.info["missing"] == [] and python.info["missing_extras"] == {}
    assert set(python.info["extras"].values()) == {"installed"}
    assert python.info["unavailable_models"] == {}
    assert python.info["unavailable_workloads"] == {}
