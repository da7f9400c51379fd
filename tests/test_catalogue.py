"""The matrix the catalogue builds from the family folders: consistent, unique names, the
comparisons it promises, the exclusions."""

from __future__ import annotations

import pytest

from bench.capacity import SPINNER
from bench.cases import START_METHODS, Case, Pick, select
from bench.families import catalogue
from bench.families.catalogue import EXCLUDED, FAMILIES, MEASURES, PROFILES, WORKLOADS, check
from bench.families.ipc.channels import CHANNELS
from bench.families.pitfalls.apis import PROCESS_APIS
from bench.models import MODELS

PROCESS_MODELS = {name for name, spec in MODELS.items() if spec.uses_processes}


#: The cores the profiles are planned for here: two, whatever this machine has
#: (tests/test_plan_cores.py plans for other machines).
CORES = 2


@pytest.fixture(scope="module")
def cases_by_profile() -> dict[str, list[Case]]:
    return {name: profile.cases(CORES) for name, profile in PROFILES.items()}


def all_cases(cases_by_profile: dict[str, list[Case]]) -> list[Case]:
    return [case for cases in cases_by_profile.values() for case in cases]


def test_check_passes() -> None:
    check()


def test_check_refuses_an_unknown_measurement() -> None:
    with pytest.raises(ValueError, match="unknown measurement 'race'"):
        check(set(MEASURES) - {"race"})


def test_profiles_include_smoke_quick_standard_full() -> None:
    assert {"smoke", "quick", "standard", "full"} <= set(PROFILES)


def test_every_pick_names_a_family_and_known_choices() -> None:
    for profile in PROFILES.values():
        for pick in profile.picks:
            family = FAMILIES[pick.family_id]
            if pick.models is not None:
                assert set(pick.models) <= set(family.models), (profile.name, pick)
            if pick.sizes is not None:
                assert set(pick.sizes) <= {s.label for s in family.sizes}, (profile.name, pick)
            assert set(pick.start_methods) <= set(START_METHODS)


@pytest.mark.parametrize("profile", sorted(PROFILES))
def test_every_profile_yields_cases_with_unique_names(
    profile: str, cases_by_profile: dict[str, list[Case]]
) -> None:
    cases = cases_by_profile[profile]
    assert cases
    names = [c.name for c in cases]
    assert len(names) == len(set(names))
    assert len(set(cases)) == len(cases)


@pytest.mark.parametrize("profile", sorted(PROFILES))
def test_every_case_is_well_formed(profile: str, cases_by_profile: dict[str, list[Case]]) -> None:
    for case in cases_by_profile[profile]:
        assert case.workload in WORKLOADS
        assert case.measure == WORKLOADS[case.workload].measure
        subject = catalogue.subject_kind(case.measure).subject(case.model)
        assert (case.start_method is not None) == bool(subject.start_methods), case
        assert case.start_method is None or case.start_method in START_METHODS
        assert case.workers >= 1
        assert case.tasks >= 1
        assert case.timed in ("tasks", "lifecycle", "first_result")
        if case.model == "sequential":
            assert case.workers == 1
        assert case.group.startswith(f"{case.family}:{case.workload}[")


def test_smoke_covers_every_model_and_start_method(
    cases_by_profile: dict[str, list[Case]],
) -> None:
    smoke = cases_by_profile["smoke"]
    every = set(MODELS) | set(CHANNELS) | {SPINNER} | set(PROCESS_APIS)
    every |= {"requests_threads", "aiohttp"}  # the HTTP clients smoke runs (of CLIENTS)
    assert {c.model for c in smoke} == every
    assert {c.measure for c in smoke} == {"batch"} | set(MEASURES)
    assert {c.start_method for c in smoke if c.start_method} == set(START_METHODS)


def test_smoke_is_small(cases_by_profile: dict[str, list[Case]]) -> None:
    assert len(cases_by_profile["smoke"]) < len(cases_by_profile["quick"])
    assert len(cases_by_profile["quick"]) < len(cases_by_profile["standard"])
    assert PROFILES["smoke"].rounds == 1


def test_cpu_families_follow_the_cores_in_standard(
    cases_by_profile: dict[str, list[Case]],
) -> None:
    cpu = [c for c in cases_by_profile["standard"] if c.family in ("cpu_python", "cpu_c")]
    assert cpu
    for model in ("threads", "thread_pool", "processes", "process_pool"):
        for workload in ("count_primes", "sha256"):  # zlib: the full profile only
            counts = {c.workers for c in cpu if c.model == model and c.workload == workload}
            assert counts == {1, 2, 4}, (model, workload)  # 1, the 2 cores, twice the cores
    full = {c.workload for c in PROFILES["full"].cases(CORES) if c.family == "cpu_c"}
    assert full == {"sha256", "zlib"}


def test_io_reaches_64_workers_but_caps_process_models(
    cases_by_profile: dict[str, list[Case]],
) -> None:
    standard_io = [c for c in cases_by_profile["standard"] if c.family == "io"]
    for model in ("threads", "thread_pool", "asyncio"):
        assert max(c.workers for c in standard_io if c.model == model) == 64, model
    # a warm process pool goes to 16; processes started per batch stop at 4 (past that
    # they measure process creation, which the start-up family does)
    assert max(c.workers for c in standard_io if c.model == "process_pool") == 16
    assert max(c.workers for c in standard_io if c.model == "processes") == 4
    for case in all_cases(cases_by_profile):
        if case.family == "io" and case.model in PROCESS_MODELS:
            assert case.workers <= 16, case.name


def test_asyncio_never_runs_cpu_or_file_work(cases_by_profile: dict[str, list[Case]]) -> None:
    for case in all_cases(cases_by_profile):
        if case.model == "asyncio":
            assert case.family not in ("cpu_python", "cpu_c"), case.name
            assert case.workload != "file", case.name
            assert WORKLOADS[case.workload].async_func is not None, case.name


def test_exclusions_are_stated_as_data() -> None:
    for key in (("cpu_python", "asyncio"), ("cpu_c", "asyncio"), ("file", "asyncio")):
        assert EXCLUDED[key]
    for (subject, _model), reason in EXCLUDED.items():
        assert subject in {f.family for f in FAMILIES.values()} | set(WORKLOADS)
        assert reason.strip()


def test_the_article_family_leaves_pools_out(cases_by_profile: dict[str, list[Case]]) -> None:
    article = [c for c in all_cases(cases_by_profile) if c.family == "article"]
    assert article
    assert {c.model for c in article} <= {"sequential", "threads", "processes"}
    assert all(c.tasks == 5 for c in article)


@pytest.mark.parametrize("profile", sorted(PROFILES))
def test_case_json_round_trips(profile: str, cases_by_profile: dict[str, list[Case]]) -> None:
    for case in cases_by_profile[profile]:
        again = Case.from_json(case.to_json())
        assert again == case
        assert again.name == case.name


def test_select_filters_by_regular_expression(cases_by_profile: dict[str, list[Case]]) -> None:
    cases = cases_by_profile["standard"]
    pools = select(cases, "process_pool")
    assert pools
    assert all("process_pool" in c.name for c in pools)
    assert {c.model for c in pools} == {"process_pool"}
    assert len(pools) == sum(c.model == "process_pool" for c in cases)

    pattern = r"^count_primes\[1ms\] (sequential|threads) "
    picked = select(cases, pattern)
    assert {(c.workload, c.size_label) for c in picked} == {("count_primes", "1ms")}
    assert {c.model for c in picked} == {"sequential", "threads"}

    assert select(cases, r"no such case \d+") == []


def test_select_without_a_pattern_keeps_everything(
    cases_by_profile: dict[str, list[Case]],
) -> None:
    cases = cases_by_profile["standard"]
    assert select(cases, None) == cases
    assert select(cases, "") == cases
    assert select(iter(cases), None) == cases


def test_models_that_start_per_run_are_timed_with_their_lifecycle(
    cases_by_profile: dict[str, list[Case]],
) -> None:
    for case in all_cases(cases_by_profile):
        if case.model in MODELS and MODELS[case.model].starts_per_run:
            assert case.timed == "lifecycle", case.name
            assert not case.name.endswith(" lifecycle"), case.name  # implied, not suffixed


def test_pool_startup_is_timed_with_its_lifecycle_one_task_per_worker(
    cases_by_profile: dict[str, list[Case]],
) -> None:
    startup = [c for c in all_cases(cases_by_profile) if c.family == "pool_startup"]
    assert startup
    for case in startup:
        assert case.timed in ("lifecycle", "first_result")
        assert case.tasks == (case.workers if case.timed == "lifecycle" else 1)
        assert case.workload == "noop"
        assert case.name.endswith(f" {case.timed}")
    assert {c.model for c in startup} == {name for name, m in MODELS.items() if m.pool}


def test_standard_has_the_key_comparison(cases_by_profile: dict[str, list[Case]]) -> None:
    key = [c for c in cases_by_profile["standard"] if c.name.startswith("count_primes[100ms] ")]
    found = {(c.model, c.workers) for c in key}
    assert ("sequential", 1) in found
    assert ("threads", 2) in found
    assert ("process_pool", 2) in found
    assert {c.start_method for c in key if c.model == "process_pool"} == set(START_METHODS)
    assert {c.tasks for c in key} == {8}


def test_case_names() -> None:
    case = Case("io", "sleep", "10ms", 10, 64, "process_pool", 4, "spawn")
    assert case.name == "sleep[10ms] process_pool/spawn w=4"
    assert case.group == "io:sleep[10ms]"
    threads = Case("io", "sleep", "10ms", 10, 64, "threads", 4, timed="lifecycle")
    assert threads.name == "sleep[10ms] threads w=4"


def test_a_pick_narrows_its_family() -> None:
    family = FAMILIES["count_primes"]
    pick = Pick(
        "count_primes",
        sizes=("1ms",),
        models=("threads", "processes"),
        workers=(2,),
        start_methods=("spawn",),
    )
    cases = list(family.cases(pick, CORES))
    assert {(c.model, c.workers, c.start_method, c.size_label) for c in cases} == {
        ("threads", 2, None, "1ms"),
        ("processes", 2, "spawn", "1ms"),
    }


def test_every_channel_has_a_timer() -> None:
    from bench.families.ipc import measure as ipc

    assert set(CHANNELS) == set(ipc.TIMERS)


def test_deterministic_measurements_run_once_and_timings_every_round() -> None:
    for case in PROFILES["standard"].cases(CORES):
        once = ("memory", "fault", "pitfalls", "cpu_limits", "copy_on_write")
        assert case.once == (case.measure in once), case.name
