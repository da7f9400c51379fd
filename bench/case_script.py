"""One benchmark case under pyperf, inside the interpreter under test.

The runner starts ``python [options] -m bench.case_script --case JSON --meta JSON
--in-process [pyperf options]``: pyperf measures in this process. Without
``--in-process`` pyperf's manager re-runs the same command for its workers.

The module's top level imports nothing beyond the standard library's smallest
pieces on purpose: spawn and forkserver children re-import the main module
(as ``__mp_main__``), and anything imported here would land in their start-up
cost. pyperf and the catalogue are imported inside ``main()`` only.
"""

from __future__ import annotations

import time
from pathlib import Path  # already imported in every spawned child, unlike json
from typing import Any

#: How long each worker probe holds its worker, so that a pool spreads the
#: probes over all its workers (and so starts all of them before timing).
PROBE_HOLD_MS = 30


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

    from bench.interpreters import interpreter_options
    from bench.results.build_flags import build_optimisations

    free_threaded = bool(sysconfig.get_config_var("Py_GIL_DISABLED"))
    return {
        "python_build": "free-threading" if free_threaded else "default",
        "python_options": " ".join(interpreter_options()) or "none",
        # pyperf records the configure arguments (python_config_args); these say what they mean
        **build_optimisations(sysconfig.get_config_vars()),
    }


def case_metadata(case: Any, size_unit: str) -> dict[str, Any]:
    """The case's params, as pyperf metadata (never parsed back out of the name)."""
    return {
        "family": case.family,
        "workload": case.workload,
        "group": case.group,
        "size": case.size,
        "size_label": case.size_label,
        "size_unit": size_unit,
        "tasks": case.tasks,
        "model": case.model,
        "start_method": case.start_method or "n/a",
        "workers": case.workers,
        "timed": case.timed,
        "measure": case.measure,
        "variant": case.variant or "none",
        "payload_bytes": case.payload,
        "chunksize": case.chunksize,
    }


def probed_model(case: Any) -> str:
    """The model whose workers are like those of the case: its own, for a model; else the
    model that holds the role its subject names (an IPC channel's peer, a process API's
    processes, the thread an HTTP client runs in)."""
    from bench.families.catalogue import subject_kind
    from bench.models import model_of

    subject = subject_kind(case.measure).subject(case.model)
    return case.model if subject.peer is None else model_of(subject.peer)


def probe(case: Any) -> dict[str, Any]:
    """GIL state and CPU affinity, read inside the kind of worker the case uses."""
    from bench.models import MODELS, open_executor
    from bench.workloads.probe import worker_facts

    model = probed_model(case)
    method = case.start_method if MODELS[model].uses_processes else None
    workers = max(1, min(case.workers, 2))
    executor = open_executor(model, workers, method)
    try:
        return probe_metadata(executor.run(worker_facts, [(0, i) for i in range(workers)]))
    finally:
        executor.close()


def batch_timer(case: Any, workload: Any, spec: Any) -> tuple[Any, dict[str, Any], Any]:
    """A pyperf time function for a batch of tasks, its probe metadata and a cleanup."""
    from bench.models import open_executor
    from bench.workloads.catalog import resolve
    from bench.workloads.probe import worker_facts

    func = resolve(workload.async_func if spec.is_async and workload.async_func else workload.func)
    extra = (b"\x01" * case.payload,) if case.payload else ()
    arglist = [(case.size, i, *extra) for i in range(case.tasks)]
    # Arguments made once in the parent (arrays): before any worker starts, so that forked
    # workers share the resource tracker of the shared-memory blocks among them.
    operands = (
        resolve(workload.operands)(case.workload, case.size, case.tasks, case.variant)
        if workload.operands
        else None
    )
    if operands is not None:
        arglist = operands.arglist
    probes = [(PROBE_HOLD_MS, i) for i in range(case.workers)]
    warm = case.timed == "tasks" or spec.starts_per_run
    options = {"chunksize": case.chunksize} if case.chunksize != 1 else {}

    def fresh() -> Any:
        return open_executor(case.model, case.workers, case.start_method, **options)

    executor = fresh()
    probed = probe_metadata(executor.run(worker_facts, probes))  # also starts every worker
    describe = getattr(executor, "describe", None)  # a cluster's facts (Dask): its workers
    if describe is not None:
        probed |= describe()
    if operands is not None:
        probed |= operands.worker_metadata(executor)
    if case.timed == "tasks":
        # The warm-up: one task a worker (its module imported, its first call made), so
        # that pyperf need not run a whole batch to throw away (Profile.warmups_for).
        executor.run(func, arglist[: case.workers])
    if not warm:
        executor.close()

    def timer(loops: int) -> float:
        if warm:
            start = time.perf_counter()
            for _ in range(loops):
                executor.run(func, arglist)
            return time.perf_counter() - start
        # Start-up measured: a new executor every loop; "first_result" stops the clock
        # at the first result, "lifecycle" after a whole batch and the shutdown.
        total = 0.0
        for _ in range(loops):
            start = time.perf_counter()
            pool = fresh()
            try:
                if case.timed == "first_result":
                    pool.run(func, arglist[:1])
                    total += time.perf_counter() - start
                else:
                    pool.run(func, arglist)
            finally:
                pool.close()
            if case.timed != "first_result":
                total += time.perf_counter() - start
        return total

    def cleanup() -> None:
        try:
            executor.close()
        finally:
            if operands is not None:
                operands.close()

    return timer, probed, cleanup


def write_measurements(
    case: Any, results: list[Any], metadata: dict[str, Any], output: str
) -> None:
    """Positive seconds and bytes become pyperf benchmarks; the rest goes to the outcomes file."""
    import json

    import pyperf

    from bench.results.layout import OUTCOMES_SUFFIX
    from bench.results.write import outcome_record

    benchmarks, outcomes = [], []
    for m in results:
        name = f"{case.name} {m.metric}"
        meta = {**metadata, "metric": m.metric, **{f"param_{k}": v for k, v in m.params.items()}}
        if m.fits_pyperf:
            run_meta = {**meta, "name": name, "unit": m.unit}
            benchmarks.append(pyperf.Benchmark([pyperf.Run(m.values, metadata=run_meta)]))
        else:
            outcomes.append(outcome_record(name, m.metric, m.unit, m.values, meta))
    if benchmarks:
        pyperf.BenchmarkSuite(benchmarks).dump(output, replace=True)
    if outcomes:
        # The run's own facts (CPU, platform, Python) as pyperf collects them.
        system = pyperf.Run([1.0], metadata={"name": "facts"}).get_metadata()
        for record in outcomes:
            record["metadata"] = {**system, **record["metadata"]}
            record["metadata"].pop("name", None)
        Path(output + OUTCOMES_SUFFIX).write_text(json.dumps(outcomes), encoding="utf-8")


def main(argv: list[str] | None = None) -> None:
    import json

    import pyperf

    from bench.cases import Case
    from bench.families.catalogue import WORKLOADS, measure_module
    from bench.interpreters import interpreter_options
    from bench.models import MODELS

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
    workload = WORKLOADS[case.workload]
    runner.metadata.update(json.loads(args.meta))
    runner.metadata.update(build_metadata())
    runner.metadata.update(case_metadata(case, workload.size_unit))

    # The measure's module, by its shape (bench.measurement): none for a batch of tasks.
    measured_by: Any = None if case.measure == "batch" else measure_module(case.measure)
    if hasattr(measured_by, "run"):
        # The measure's own processes report the facts (the capacity probe's spinners).
        facts, results = measured_by.run(case, repeat=args.values)
        write_measurements(case, results, {**runner.metadata, **probe_metadata(facts)}, args.output)
        return
    if hasattr(measured_by, "measure"):
        # Not timings pyperf could repeat: the measurement repeats itself, here, once.
        metadata = {**runner.metadata, **probe(case)}
        results = measured_by.measure(case, repeat=args.values)
        write_measurements(case, results, metadata, args.output)
        return
    if not (args.worker or args.in_process):
        # The manager only spawns workers: it opens no executor.
        runner.bench_time_func(case.name, lambda loops: 0.0)
        return
    if measured_by is not None:  # a timer pyperf drives (the IPC round trips)
        probed = probe(case)
        handle = measured_by.open_timer(case)
        timer, cleanup = handle.run, handle.close
    else:
        timer, probed, cleanup = batch_timer(case, workload, MODELS[case.model])
    try:
        runner.bench_time_func(case.name, timer, metadata=probed)
    finally:
        cleanup()


if __name__ == "__main__":
    main()
