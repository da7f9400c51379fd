"""A measure runs the model it is given, and a claim names its model by role.

A dummy model of each isolation kind (``tests/dummies``: a real model's executor whose
every task leaves a mark) joins the families its traits and capabilities fit; every
kind of case it joins is run, and must have run the dummy's workers. Then models with
the traits of those the claims name, registered above them, change no verdict.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest
from helpers_baseline import fullest_run
from helpers_waiting import CHILD_RUN_S
from test_report_claims import BASELINE, evaluate

from bench.models import MODELS, ModelSpec, Role, model_of
from bench.results.read import load_run

TESTS = Path(__file__).resolve().parent
KINDS = ["dummy_threads", "dummy_thread_pool", "dummy_interpreters", "dummy_processes",
         "dummy_process_pool", "dummy_forked_pool", "dummy_cluster"]  # fmt: skip


@pytest.mark.parametrize("kind", KINDS)
def test_every_case_a_new_model_joins_runs_it(kind: str) -> None:
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(TESTS.parent), str(TESTS)])}
    done = subprocess.run(
        [sys.executable, "-m", "dummies.run_joined", kind],
        capture_output=True, text=True, env=env, cwd=TESTS.parent, timeout=CHILD_RUN_S,
        check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr[-3000:]
    ran = json.loads(done.stdout.strip().splitlines()[-1])
    assert ran, f"{kind} joined no family"
    assert [name for name, marked in ran.items() if not marked] == []


def clone(spec: ModelSpec) -> ModelSpec:
    """A model with every trait of ``spec`` but its name and role."""
    return ModelSpec(
        f"twin_of_{spec.name}", spec.module, f"twin of {spec.label}", "#0a0b0c", spec.isolation,
        start_methods=spec.start_methods, chunksize=spec.chunksize, baseline=spec.baseline,
        pool=spec.pool, starts_per_run=spec.starts_per_run, is_async=spec.is_async,
        capabilities=spec.capabilities, requires=spec.requires, extra=spec.extra,
    )  # fmt: skip


def test_a_twin_registered_above_a_model_changes_no_claim() -> None:
    frame = load_run(fullest_run(BASELINE))
    before = evaluate(frame)
    registered = dict(MODELS)
    twins: dict[str, ModelSpec] = {}
    for name, spec in registered.items():
        if spec.role is not None:  # each model a claim names, a twin above it
            twins[f"twin_of_{name}"] = clone(spec)
        twins[name] = spec
    MODELS.clear()  # the registry itself, in place: whoever holds it sees the twins
    MODELS.update(twins)
    try:
        assert list(MODELS).index("twin_of_process_pool") < list(MODELS).index("process_pool")
        assert model_of(Role.PROCESS_POOL) == "process_pool"
        after = evaluate(frame)
    finally:
        MODELS.clear()
        MODELS.update(registered)
    pd.testing.assert_frame_equal(after, before)


def test_a_role_held_twice_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    spec = MODELS["thread_pool"]
    twin = ModelSpec("twin", spec.module, "twin", "#0a0b0c", spec.isolation, pool=True,
                     role=Role.THREAD_POOL)  # fmt: skip
    monkeypatch.setitem(MODELS, "twin", twin)
    with pytest.raises(LookupError, match="thread pool"):
        model_of(Role.THREAD_POOL)
