"""CPU limits: what a child counts under each limit, the records and the table."""

from __future__ import annotations

import os
import sys

import pandas as pd
import pytest

from bench.cases import Case
from bench.families.cpu_limits import measure as cpu_limits
from bench.families.cpu_limits.tables import cpu_limits_table
from bench.report.tables import NO_DATA
from tests.conftest import Children

LINUX_AFFINITY = hasattr(os, "sched_setaffinity")


def case(variant: str, limit: int = 3_000) -> Case:
    return Case(
        family="cpu_limits",
        workload="cpu_limits",
        size_label="tiny",
        size=limit,
        tasks=2,
        model="process_pool",
        workers=2,
        start_method="fork" if LINUX_AFFINITY else "spawn",
        measure="cpu_limits",
        variant=variant,
        once=True,
    )


def values(results: list[cpu_limits.Measurement]) -> dict[str, list[object]]:
    return {m.metric: m.values for m in results}


@pytest.mark.skipif(not LINUX_AFFINITY, reason="os.sched_setaffinity is Linux-only")
def test_one_core_of_affinity_is_what_the_child_and_its_pool_see(children: Children) -> None:
    seen = values(cpu_limits.measure(case("affinity_1"), repeat=2))
    assert seen["affinity_cores"] == [1]
    assert seen["cpu_count"] == [os.cpu_count()]  # the machine's count ignores affinity
    if sys.version_info >= (3, 13):  # pools follow process_cpu_count, which follows affinity
        assert seen["process_cpu_count"] == [1]
        assert seen["default_process_workers"] == [1]
        assert seen["default_thread_workers"] == [5]
    else:
        assert seen["process_cpu_count"] == ["n/a"]
        assert seen["default_process_workers"] == [os.cpu_count()]
    assert len(seen["pool_speedup"]) == 2
    assert all(isinstance(v, float) and v > 0 for v in seen["pool_speedup"])
    assert children.left() == set()


def test_without_a_limit_the_child_sees_what_we_see() -> None:
    seen = values(cpu_limits.measure(case("unrestricted")))
    assert seen["cpu_count"] == [os.cpu_count()]
    if LINUX_AFFINITY:
        assert seen["affinity_cores"] == [len(os.sched_getaffinity(0))]
    assert isinstance(seen["cgroup_cpu_quota"][0], str)


@pytest.mark.skipif(sys.version_info < (3, 13), reason="-X cpu_count is new in 3.13")
def test_x_cpu_count_overrides_the_counts() -> None:
    seen = values(cpu_limits.measure(case("x_cpu_count_1")))
    assert seen["cpu_count"] == [1]
    assert seen["default_process_workers"] == [1]


def test_a_platform_without_affinity_records_why(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delattr(os, "sched_setaffinity", raising=False)
    [skipped] = cpu_limits.measure(case("affinity_1"))
    assert (skipped.metric, skipped.unit) == ("skipped", "text")
    assert "Linux-only" in skipped.values[0]


def test_unknown_counts_are_text_and_known_ones_counts() -> None:
    facts = dict.fromkeys(cpu_limits.METRICS, 2) | {
        "process_cpu_count": "n/a",
        "cgroup_cpu_quota": "none",
        "pool_speedup": [1.9, 2.0],
    }
    units = {m.metric: (m.unit, m.values) for m in cpu_limits.measurements(facts)}
    assert units["process_cpu_count"] == ("text", ["n/a"])
    assert units["cpu_count"] == ("count", [2])
    assert units["pool_speedup"] == ("ratio", [1.9, 2.0])


def test_bad_cases_are_refused() -> None:
    with pytest.raises(ValueError, match="no variant"):
        cpu_limits.measure(case("nope"))
    with pytest.raises(ValueError, match="size"):
        cpu_limits.measure(case("unrestricted", limit=1))


def test_the_table_has_a_row_per_limit_and_says_why_no_quota_is_set() -> None:
    rows = []
    for variant, cores, speedups in (("affinity_1", 1, [1.02, 0.98]), ("unrestricted", 2, [1.9])):
        facts = {"cpu_count": 2, "process_cpu_count": "n/a", "affinity_cores": cores,
                 "default_thread_workers": 6, "default_process_workers": 2,
                 "cgroup_cpu_quota": "none", "pool_speedup": speedups}  # fmt: skip
        for m in cpu_limits.measurements(facts):
            rows += [{"machine": "m", "run_id": "r", "interpreter": "i", "measure": "cpu_limits",
                      "variant": variant, "metric": m.metric, "unit": m.unit, "value": v}
                     for v in m.values]  # fmt: skip
    text = cpu_limits_table(pd.DataFrame(rows))
    lines = text.splitlines()
    assert lines[0].startswith("| limit | os.cpu_count() | os.process_cpu_count() |")
    # every speedup with its interval and count (issue 23: "no limit ... 1.3x" had neither)
    assert lines[2].startswith("| no limit | 2 | n/a | 2 | 6 | 2 | none | 1.9\u00d7 (n=1) |")
    assert lines[3].startswith("| affinity cut to 1 core")
    assert "| 1 | 6 | 2 | none | 1.0\u00d7 (0.78\u20131.3\u00d7, n=2) |" in lines[3]
    assert "cgroup CPU quota is read, not set" in text
    assert cpu_limits_table(pd.DataFrame(rows).iloc[0:0]) == NO_DATA
