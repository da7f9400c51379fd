"""The C workloads' input (issue 23, item 7): built once in the parent before the clock,
never inside the timed batch, and found by every kind of worker without building it."""

from __future__ import annotations

import hashlib
import os
import random
from collections.abc import Iterator
from pathlib import Path

import pytest
from helpers_interpreters import DEBIAN, GIL_313, prepared
from test_subinterpreters import last_json, run_in

from bench.case_script import batch_timer
from bench.cases import Case
from bench.families.catalogue import WORKLOADS
from bench.families.cpu import workload as cpu
from bench.models import MODELS, open_executor
from bench.workloads.catalog import resolve

SHM_DIR = Path("/dev/shm")
#: Every model that runs on this machine with no extra, each way its workers start.
TIMED_MODELS = [
    ("sequential", None),
    ("threads", None),
    ("thread_pool", None),
    ("processes", "fork"),
    ("process_pool", "fork"),
]


def leftover_blocks() -> list[Path]:
    return sorted(SHM_DIR.glob(f"{cpu.SHM_PREFIX}{os.getpid()}_*"))


@pytest.fixture
def no_leftover_blocks() -> Iterator[None]:
    before = leftover_blocks()
    yield
    assert leftover_blocks() == before


def sha256_case(model: str, method: str | None, workers: int = 2) -> Case:
    """As the matrix makes it: a model that starts its workers per batch times them."""
    spec = MODELS[model]
    timed = "lifecycle" if spec.starts_per_run else "tasks"
    return Case("cpu_c", "sha256", "1MiB", 1, 4, model, 1 if spec.baseline else workers,
                method, timed=timed)  # fmt: skip


def never_built(self: random.Random, n: int) -> bytes:
    raise AssertionError(f"an input of {n} bytes was built inside the timed region")


def test_the_c_workloads_take_their_input_from_the_parent() -> None:
    for name in ("sha256", "zlib"):
        assert WORKLOADS[name].operands == "bench.families.cpu.workload:inputs"


@pytest.mark.parametrize(("model", "method"), TIMED_MODELS)
def test_sha256s_input_is_built_outside_the_timed_region(
    model: str, method: str | None, monkeypatch, children, no_leftover_blocks
) -> None:
    """Once the case is set up, building the input raises: in this process, in its threads
    and in every child forked from it while the clock runs (per-batch workers start
    inside the timed region). A timed batch that built it would fail; spawned workers
    are the next test's."""
    cpu.pattern_buffer.cache_clear()  # built by no earlier test: by this case's set-up
    case = sha256_case(model, method)
    timer, _, cleanup = batch_timer(case, WORKLOADS["sha256"], MODELS[model])
    try:
        monkeypatch.setattr(random.Random, "randbytes", never_built)
        assert timer(1) > 0
        assert timer(2) > 0
    finally:
        cleanup()
    assert not children.left()


@pytest.mark.parametrize("method", ["fork", "spawn", "forkserver"])
@pytest.mark.parametrize("model", ["processes", "process_pool"])
def test_every_worker_finds_the_parents_input_without_building_it(
    model: str, method: str, children, no_leftover_blocks
) -> None:
    """Forked workers inherit the parent's bytes; spawned and forkserver ones map its block.
    The digest is the input's, whichever way a worker found it."""
    inputs = cpu.inputs("sha256", 1, 2)
    executor = open_executor(model, 2, method)
    try:
        found = executor.run(cpu.touch_input, [(20, i, inputs.source) for i in range(2)])
        digests = executor.run(cpu.sha256_digest, inputs.arglist)
    finally:
        executor.close()
        inputs.close()
    assert set(found) == {cpu.INHERITED if method == "fork" else cpu.MAPPED}
    assert digests == [hashlib.sha256(cpu.pattern_buffer(1)).hexdigest()] * 2
    assert not children.left()


def test_threads_and_the_loop_read_the_parents_own_bytes(no_leftover_blocks) -> None:
    inputs = cpu.inputs("zlib", 1, 3)
    try:
        for model in ("sequential", "threads", "thread_pool"):
            executor = open_executor(model, 2)
            try:
                found = executor.run(cpu.touch_input, [(0, i, inputs.source) for i in range(2)])
                sizes = executor.run(resolve(WORKLOADS["zlib"].func or ""), inputs.arglist)
            finally:
                executor.close()
            assert set(found) == {cpu.OWN}
            assert sizes == [cpu.zlib_compressed_size(1)] * 3
    finally:
        inputs.close()
        inputs.close()  # idempotent


#: In a subinterpreter pool: how each worker found the input, and the digests.
IN_SUBINTERPRETERS = """
import hashlib, json
from bench.families.cpu import workload as cpu
from bench.models import open_executor, unavailable_models

out = {"reason": unavailable_models().get("subinterpreters")}
if out["reason"] is None:
    inputs = cpu.inputs("sha256", 1, 2)
    executor = open_executor("subinterpreters", 2)
    try:
        out["found"] = executor.run(cpu.touch_input, [(20, i, inputs.source) for i in range(2)])
        out["right"] = executor.run(cpu.sha256_digest, inputs.arglist) == [
            hashlib.sha256(cpu.pattern_buffer(1)).hexdigest()] * 2
    finally:
        executor.close()
        inputs.close()
print(json.dumps(out))
"""


@pytest.mark.parametrize("python", [GIL_313, DEBIAN["3.14"]], ids=["3.13", "3.14"])
def test_a_subinterpreter_maps_the_block(python: Path) -> None:
    """The backport's workers on 3.13, InterpreterPoolExecutor's on 3.14."""
    out = last_json(run_in(prepared(python), IN_SUBINTERPRETERS))
    if out["reason"]:
        pytest.skip(f"subinterpreters unavailable there: {out['reason']}")
    assert out["found"] == [cpu.MAPPED] * 2 and out["right"]


def test_a_worker_that_cannot_map_the_block_builds_the_same_bytes() -> None:
    """A remote Dask worker has no access to this machine's shared memory."""
    elsewhere = cpu.SharedInput(f"{cpu.SHM_PREFIX}nowhere_{os.urandom(4).hex()}", 1 << 20, 1)
    try:
        assert cpu.touch_input(0, 0, elsewhere) == cpu.BUILT
        assert cpu.sha256_digest(1, 0, elsewhere) == cpu.sha256_digest(1)
    finally:
        cpu.forget_input(elsewhere.block)


def test_an_unknown_variant_is_refused(no_leftover_blocks) -> None:
    with pytest.raises(ValueError, match="unknown variant"):
        cpu.inputs("sha256", 1, 1, "pickled")
