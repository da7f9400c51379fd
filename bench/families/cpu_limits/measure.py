"""Containers and CPU limits: what Python counts under a limit, and what a pool then does.

A child interpreter (this module with ``--child``) runs under one limit (the variant):

* ``unrestricted``: as the suite runs, for reference;
* ``affinity_1``: its CPU affinity cut to one core with ``os.sched_setaffinity`` (Linux
  only; elsewhere the variant records why it was skipped), which is what
  ``taskset -c 0`` or a container's ``--cpuset-cpus`` does;
* ``x_cpu_count_1``: started with ``-X cpu_count=1`` (3.13+; ignored before), which
  overrides the counts but not the CPUs.

It records ``os.cpu_count()``, ``os.process_cpu_count()`` (3.13+, "n/a" before), the cores
its affinity allows, the default ``max_workers`` of ``ThreadPoolExecutor`` and
``ProcessPoolExecutor``, the CPU quota of its cgroup as read from /sys/fs/cgroup ("none"
without one), and the speedup of a warm pool of 2 workers of the case's model (a process
pool) over the plain loop on 2 tasks of the pure-Python prime count. Under one core the 2
processes take turns: oversubscription made visible.

A cgroup quota is read, never set: setting one needs root or a delegated cgroup
(``systemd-run --user --scope -p CPUQuota=100%``), a change to the system that
outlives the run. The standard library only at the top level: pool workers import it.
"""

from __future__ import annotations

import json
import os
import sys
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

from bench.measurement import Measurement

if TYPE_CHECKING:
    from bench.cases import Case

#: Variant -> the interpreter options of the child.
VARIANTS: dict[str, tuple[str, ...]] = {
    "unrestricted": (),
    "affinity_1": (),
    "x_cpu_count_1": ("-X", "cpu_count=1"),
}
#: Metric -> unit; counts that the interpreter does not know are the text "n/a".
METRICS: dict[str, str] = {
    "cpu_count": "count",
    "process_cpu_count": "count",
    "affinity_cores": "count",
    "default_thread_workers": "count",
    "default_process_workers": "count",
    "cgroup_cpu_quota": "text",
    "pool_speedup": "ratio",
}
TIMEOUT_S = 120.0
POOL_WORKERS = 2
NOT_KNOWN = "n/a"
#: Why a cgroup quota is read but never set (the table's note says it too).
QUOTA_NOTE = (
    "a cgroup CPU quota is read, not set: setting one needs root or a delegated cgroup, "
    "a change that outlives the run"
)


def skip_reason(variant: str) -> str | None:
    """Why ``variant`` cannot run on this platform; None where it can."""
    if variant == "affinity_1" and not hasattr(os, "sched_setaffinity"):
        return "skipped: os.sched_setaffinity is Linux-only"
    return None


def measure(case: Case, repeat: int = 1) -> list[Measurement]:
    """Run the child of ``case.variant``: its facts once, the pool's speedup ``repeat`` times."""
    import subprocess

    from bench.interpreters import case_environment, interpreter_options

    if case.variant not in VARIANTS:
        raise ValueError(f"cpu_limits: no variant {case.variant!r}; known: {', '.join(VARIANTS)}")
    from bench.models import MODELS

    if case.start_method is None or repeat < 1 or case.size < 2:
        raise ValueError("cpu_limits: needs a start method, repeat >= 1 and a size >= 2")
    spec = MODELS.get(case.model)
    if spec is None or not spec.pool or case.start_method not in spec.start_methods:
        raise ValueError(f"cpu_limits: {case.model!r} is no pool that takes a start method")
    reason = skip_reason(case.variant)
    if reason is not None:
        return [Measurement("skipped", "text", [reason])]
    env = case_environment({})
    env.pop("PYTHON_CPU_COUNT", None)  # the variants set their own limits, nothing else
    command = [
        sys.executable,
        *interpreter_options(),
        *VARIANTS[case.variant],
        "-m",
        "bench.families.cpu_limits.measure",
        "--child",
        case.variant,
        spec.module,  # the model the case names, which the child opens
        case.start_method,
        str(case.size),
        str(repeat),
    ]
    try:
        done = subprocess.run(
            command, capture_output=True, text=True, env=env, timeout=TIMEOUT_S, check=False
        )
    except subprocess.TimeoutExpired:
        raise TimeoutError(
            f"cpu_limits: the {case.variant} child ran past {TIMEOUT_S:.0f} s"
        ) from None
    if done.returncode != 0 or not done.stdout.strip():
        raise RuntimeError(
            f"cpu_limits: the {case.variant} child failed (exit {done.returncode}): "
            f"{done.stderr.strip()[-500:]}"
        )
    return measurements(json.loads(done.stdout.strip().splitlines()[-1]))


def measurements(facts: dict[str, Any]) -> list[Measurement]:
    """The child's report as records: the speedups as values, every other fact once."""
    out = []
    for metric, unit in METRICS.items():
        value = facts[metric]
        values = value if isinstance(value, list) else [value]
        # A count the interpreter does not know (process_cpu_count before 3.13) is text.
        kind = "text" if any(isinstance(v, str) for v in values) else unit
        out.append(Measurement(metric, kind, values))
    return out


# --- in the child -------------------------------------------------------------------------


def cgroup_cpu_quota() -> str:
    """The tightest CPU quota of this process's cgroup and its parents (cgroup v2), as
    ``"1.5 CPUs"``; "none" without one; "unknown" where /sys/fs/cgroup says nothing."""
    root = Path("/sys/fs/cgroup")
    try:
        lines = Path("/proc/self/cgroup").read_text(encoding="utf-8").splitlines()
    except OSError:
        return "unknown"
    path = next((ln.split(":", 2)[2] for ln in lines if ln.startswith("0::")), None)
    if path is None or not (root / "cgroup.controllers").exists():
        return "unknown"  # cgroup v1 or none: not read
    tightest: float | None = None
    folder = root / path.lstrip("/")
    while True:
        try:
            quota, period = (folder / "cpu.max").read_text(encoding="utf-8").split()
            if quota != "max":
                cpus = int(quota) / int(period)
                tightest = cpus if tightest is None else min(tightest, cpus)
        except (OSError, ValueError):
            pass  # no cpu controller here, or unreadable: the parents may still say
        if folder == root or root not in folder.parents:
            break
        folder = folder.parent
    return "none" if tightest is None else f"{tightest:g} CPUs"


def facts(start_method: str) -> dict[str, Any]:
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor, ThreadPoolExecutor

    context = multiprocessing.get_context(start_method)
    # The defaults are private attributes; creating either pool starts no worker yet.
    threads = ThreadPoolExecutor()
    processes = ProcessPoolExecutor(mp_context=context)
    try:
        thread_default = getattr(threads, "_max_workers", NOT_KNOWN)
        process_default = getattr(processes, "_max_workers", NOT_KNOWN)
    finally:
        threads.shutdown()
        processes.shutdown()
    process_cpu_count = getattr(os, "process_cpu_count", None)
    affinity = getattr(os, "sched_getaffinity", None)
    return {
        "cpu_count": os.cpu_count() or NOT_KNOWN,
        "process_cpu_count": (process_cpu_count() or NOT_KNOWN) if process_cpu_count else NOT_KNOWN,
        "affinity_cores": len(affinity(0)) if affinity else NOT_KNOWN,
        "default_thread_workers": thread_default,
        "default_process_workers": process_default,
        "cgroup_cpu_quota": cgroup_cpu_quota(),
    }


def pool_speedups(model: str, start_method: str, limit: int, repeat: int) -> list[float]:
    """The loop's time over a warm 2-worker pool's, on 2 tasks, ``repeat`` times; the pool
    is an executor of the model module ``model``."""
    import importlib

    from bench.families.cpu.workload import count_primes

    arglist = [(limit, index) for index in range(POOL_WORKERS)]
    speedups = []
    pool = importlib.import_module(model).open_executor(POOL_WORKERS, start_method)
    try:
        pool.run(count_primes, arglist)  # starts and warms both workers
        for _ in range(repeat):
            start = time.perf_counter()
            for args in arglist:
                count_primes(*args)
            loop = time.perf_counter() - start
            start = time.perf_counter()
            pool.run(count_primes, arglist)
            speedups.append(loop / (time.perf_counter() - start))
    finally:
        pool.close()
    return speedups


def child_main(argv: list[str]) -> int:
    """``--child VARIANT MODEL_MODULE START_METHOD LIMIT REPEAT``: one JSON line of facts."""
    if len(argv) != 6 or argv[0] != "--child":
        sys.stderr.write(
            "usage: python -m bench.families.cpu_limits.measure --child VARIANT MODULE METHOD N R\n"
        )
        return 2
    variant, model, method, limit, repeat = argv[1], argv[2], argv[3], int(argv[4]), int(argv[5])
    if variant == "affinity_1":
        os.sched_setaffinity(0, {min(os.sched_getaffinity(0))})  # before any worker starts
    report = facts(method) | {"pool_speedup": pool_speedups(model, method, limit, repeat)}
    print(json.dumps(report), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(child_main(sys.argv[1:]))
