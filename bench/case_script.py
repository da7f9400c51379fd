"""One benchmark case under pyperf, inside the interpreter under test.

The runner starts ``python [options] -m bench.case_script --case JSON --meta JSON
[pyperf options]``, and pyperf re-runs the same command for its worker processes.

The module's top level imports nothing beyond the standard library's smallest
pieces on purpose: spawn and forkserver children re-import the main module
(as ``__mp_main__``), and anything imported here would land in their start-up
cost. pyperf and the matrix are imported inside ``main()`` only.
"""

from __future__ import annotations

import json
import sys
import time
from typing import Any

#: How long each worker probe holds its worker, so that a pool spreads the
#: probes over all its workers (and so starts all of them before timing).
PROBE_HOLD_MS = 30


def interpreter_options() -> list[str]:
    """This interpreter's own options (``-X gil=1`` ...), passed on to pyperf's workers."""
    argv = list(getattr(sys, "orig_argv", []))
    if "-m" in argv:
        return argv[1 : argv.index("-m")]
    return []


def format_cpus(cpus: list[int]) -> str:
    """``[0, 1, 2, 5]`` -> ``"0-2,5"``, pyperf's style."""
    ranges: list[list[int]] = []
    for cpu in sorted(set(cpus)):
        if ranges and ranges[-1][1] == cpu - 1:
            ranges[-1][1] = cpu
        else:
            ranges.append([cpu, cpu])
    return ",".join(str(a) if a == b else f"{a}-{b}" for a, b in ranges)


def probe_metadata(facts: list[dict[str, Any]]) -> dict[str, Any]:
    """Summarise the worker probes: GIL state and CPU affinity as the work saw them."""
    states = {bool(f["gil_enabled"]) for f in facts}
    if not states:
        gil = "unknown"
    elif len(states) > 1:
        gil = "mixed"
    else:
        gil = "enabled" if states.pop() else "disabled"
    cpus = sorted({c for f in facts for c in f["cpu_affinity"]})
    return {
        "gil_enabled": gil,
        "worker_cpu_affinity": format_cpus(cpus) or "unknown",
        "worker_cpu_count": len(cpus),
        "worker_processes": len({f["pid"] for f in facts}),
    }


def build_metadata() -> dict[str, Any]:
    import sysconfig

    free_threaded = bool(sysconfig.get_config_var("Py_GIL_DISABLED"))
    return {
        "python_build": "free-threading" if free_threaded else "default",
        "python_options": " ".join(interpreter_options()) or "none",
    }


def main(argv: list[str] | None = None) -> None:
    import pyperf

    from bench.matrix import Case
    from bench.models import MODELS, open_executor
    from bench.workloads.catalog import WORKLOADS, resolve
    from bench.workloads.probe import worker_facts

    def forward(cmd: list[str], args: Any) -> None:
        cmd.extend(("--case", args.case, "--meta", args.meta))

    runner = pyperf.Runner(
        program_args=(*interpreter_options(), "-m", "bench.case_script"),
        add_cmdline_args=forward,
    )
    runner.argparser.add_argument("--case", required=True, help="the case, as JSON")
    runner.argparser.add_argument("--meta", default="{}", help="run metadata, as JSON")
    args = runner.parse_args(argv)
    case = Case.from_json(args.case)
    spec = MODELS[case.model]
    workload = WORKLOADS[case.workload]

    runner.metadata.update(json.loads(args.meta))
    runner.metadata.update(build_metadata())
    runner.metadata.update(
        {
            "family": case.family,
            "workload": case.workload,
            "group": case.group,
            "size": case.size,
            "size_label": case.size_label,
            "size_unit": workload.size_unit,
            "tasks": case.tasks,
            "model": case.model,
            "start_method": case.start_method or "n/a",
            "workers": case.workers,
            "timed": case.timed,
        }
    )
    if not args.worker:
        # The manager only spawns workers: it opens no executor.
        runner.bench_time_func(case.name, lambda loops: 0.0)
        return

    func = resolve(workload.async_func if spec.is_async and workload.async_func else workload.func)
    arglist = [(case.size, i) for i in range(case.tasks)]
    probes = [(PROBE_HOLD_MS, i) for i in range(case.workers)]
    warm = case.timed == "tasks" or spec.starts_per_run
    executor = open_executor(case.model, case.workers, case.start_method)
    try:
        probe = probe_metadata(executor.run(worker_facts, probes))
        if not warm:
            executor.close()

        def timer(loops: int) -> float:
            if warm:
                start = time.perf_counter()
                for _ in range(loops):
                    executor.run(func, arglist)
                return time.perf_counter() - start
            total = 0.0
            for _ in range(loops):
                start = time.perf_counter()
                fresh = open_executor(case.model, case.workers, case.start_method)
                try:
                    fresh.run(func, arglist)
                finally:
                    fresh.close()
                total += time.perf_counter() - start
            return total

        runner.bench_time_func(case.name, timer, metadata=probe)
    finally:
        executor.close()


if __name__ == "__main__":
    main()
