"""The registry of model traits: a new model is one registry line (and a module), and it
then appears in every family whose traits it fits, and in no other.

The matrix is built from the registry when it is imported, so each check imports it
afresh in a child interpreter with a dummy model registered first.
"""

from __future__ import annotations

import ast
import json
import subprocess
import sys
import textwrap

import pytest
from helpers_waiting import CHILD_RUN_S

from bench.environment import PROJECT_ROOT
from bench.models import MODELS, Isolation, model_names

FAMILIES_OF = textwrap.dedent(
    """
    import json, sys
    from bench.models import MODELS, Capability, Isolation, ModelSpec
    isolation = Isolation(sys.argv[1])
    pool = sys.argv[2] == "pool"
    # The dummy borrows the threads module: only its traits are new. A local one says it
    # can hold its workers alive, as every local model with workers of its own does.
    holds = frozenset({Capability.HOLDS_WORKERS}) if isolation != Isolation.REMOTE else frozenset()
    MODELS["dummy"] = ModelSpec("dummy", "bench.models.threads", "dummy", "#123456", isolation,
                                pool=pool, starts_per_run=not pool, capabilities=holds)
    from bench.families.catalogue import FAMILIES, PROFILES
    families = sorted(f.id for f in FAMILIES.values() if "dummy" in f.models)
    full = sorted({c.family for c in PROFILES["full"].cases() if c.model == "dummy"})
    print(json.dumps({"families": families, "full": full}))
    """
)


def families_with_dummy(isolation: Isolation, *, pool: bool) -> dict[str, list[str]]:
    out = subprocess.run(
        [sys.executable, "-c", FAMILIES_OF, isolation.value, "pool" if pool else "per-batch"],
        capture_output=True,
        text=True,
        cwd=PROJECT_ROOT,
        timeout=CHILD_RUN_S,
        check=True,
    )
    return json.loads(out.stdout)  # type: ignore[no-any-return]


CPU_AND_GRANULARITY = {
    "count_primes",
    "sha256",
    "zlib",
    "granularity_none",
    "granularity_64KiB",
    "granularity_1MiB",
}
POOL_START_UP = {"pool_startup", "pool_first_result"}


def test_a_pool_of_interpreters_joins_every_family_its_traits_fit() -> None:
    got = families_with_dummy(Isolation.INTERPRETER, pool=True)
    fits = CPU_AND_GRANULARITY | POOL_START_UP | {"sleep", "tcp", "file", "memory", "fault"}
    assert fits <= set(got["families"])
    # Not a per-batch model (article, start-up), no start method (pitfalls), not shared
    # memory (races).
    assert not {"article", "startup", "race", "pitfalls", "copy_on_write"} & set(got["families"])
    assert {"cpu_python", "cpu_c", "granularity", "pool_startup", "io", "fault"} <= set(got["full"])


def test_a_remote_pool_runs_cpu_work_but_no_local_measure() -> None:
    got = families_with_dummy(Isolation.REMOTE, pool=True)
    assert set(got["families"]) >= CPU_AND_GRANULARITY | POOL_START_UP
    assert not {"sleep", "tcp", "file", "memory", "fault", "race"} & set(got["families"])


def test_a_per_batch_shared_memory_model_is_raced_like_threads() -> None:
    got = families_with_dummy(Isolation.SHARED, pool=False)
    assert {"article", "startup", "race", "memory_working_set"} <= set(got["families"])
    assert not POOL_START_UP & set(got["families"])


def test_families_name_no_model() -> None:
    """A family takes its models by trait or capability, never by name (profiles excepted:
    a profile's picks are choices, not traits)."""
    for path in sorted((PROJECT_ROOT / "bench" / "families").glob("*/family.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for call in ast.walk(tree):
            if isinstance(call, ast.Call) and getattr(call.func, "id", None) == "Family":
                named = {n.value for n in ast.walk(call) if isinstance(n, ast.Constant)}
                assert not named & set(MODELS), f"{path}: a family names {named & set(MODELS)}"


@pytest.mark.parametrize("name", list(MODELS))
def test_every_model_has_a_label_a_colour_and_an_isolation(name: str) -> None:
    spec = MODELS[name]
    assert spec.label and spec.colour.startswith("#") and len(spec.colour) == 7
    assert isinstance(spec.isolation, Isolation)
    assert spec.extra or not spec.requires, "an optional dependency names its extra"


def test_colours_tell_models_apart() -> None:
    colours = [spec.colour for spec in MODELS.values()]
    assert len(set(colours)) == len(colours)


def test_one_baseline() -> None:
    assert len(model_names(lambda m: m.baseline)) == 1
