"""Parallel capacity: how many cores the machine gives right now, measured in every round.

k processes spin a fixed amount of pure-Python work at once, against one process doing
the same alone: capacity = k x t_one / t_k, where t_k is the time the last of the k took
(2.0 when two processes run side by side on two free cores, 1.0 when they share one).
A VM's second vCPU comes and goes within minutes (docs/methodology.md, "Parallel
capacity"), and pairing within a round cancels a slower CPU but not a missing one: so
the runner probes at the start of every round and right before every group of CPU work,
and the report judges each round's speedups against the capacity of that round
(``bench.report.capacity``). The families whose speedups need cores say so
(``Family.needs_cores``); this module makes the probe cases that go with them.

The processes are started once and kept warm, so the probe measures cores, not
start-up; they start together behind a barrier. Standard library only: the probe runs
under every interpreter measured (free-threaded included, without psutil or pyperf),
and children of the spawn and forkserver start methods import this module.
"""

from __future__ import annotations

import contextlib
import math
import multiprocessing
import os
import sys
import time
from collections.abc import Callable, Collection, Iterable, Sequence
from typing import TYPE_CHECKING, Any

from bench.cases import Case, Size, Subject, SubjectKind, usable_cores
from bench.measurement import Measurement
from bench.workloads.catalog import Workload

if TYPE_CHECKING:
    from multiprocessing.connection import Connection
    from multiprocessing.context import BaseContext

#: The probe's family and measure, and its one subject: processes of the platform's
#: default start method (no start method is chosen), spinning. Results name it as a model.
FAMILY = "capacity"
MEASURE = "capacity"
SPINNER = "spinning_processes"
PROBE = SubjectKind("capacity probe", lambda: {SPINNER: Subject(SPINNER, "spinning processes")})
WORKLOAD = Workload("capacity", None, "spin iterations per process", measure=MEASURE)
#: ~40 ms of spinning per process on 3.11 here: a probe takes a few hundred ms in all.
SPIN = Size("40ms", 1_500_000, 2)
ROUND_START = "round start"  # the variant of the probe that opens every round
BEFORE = "before "  # the variant of a probe right before a group: "before <group>"

#: Pairs of (one alone, k together) per probe: each gives one capacity.
PAIRS = 3
#: The metric of the probe with k processes: one per k probed, 2, 4, 8 ... up to the
#: cores the run plans for, and those cores.
METRIC_PREFIX, METRIC_SUFFIX = "cores_with_", "_processes"
#: Before the probe followed the cores it ran k = 2 and k = min(cores, 8), the latter as
#: this metric; results of that time still read (``processes_of``).
LEGACY_METRIC = "cores"
LEGACY_MAX_PROCESSES = 8
BARRIER_TIMEOUT_S = 60.0
REPLY_TIMEOUT_S = 120.0

#: Seconds for k processes to spin at once, from the release of the first to the end of
#: the last (k = 1: one process alone).
Makespan = Callable[[int], float]


def spin(iterations: int) -> float:
    """Busy pure-Python work; returns the seconds it took in this process."""
    start = time.perf_counter()
    total = 0
    for i in range(iterations):
        total += i
    return time.perf_counter() - start


def capacity(processes: int, alone_s: float, together_s: float) -> float:
    """How many cores ``processes`` processes got at once, relative to one alone."""
    if processes < 1 or alone_s <= 0 or together_s <= 0:
        raise ValueError(
            f"capacity: need processes >= 1 and positive times, got {processes}, "
            f"{alone_s}, {together_s}"
        )
    return processes * alone_s / together_s


def probe_sizes(cores: int) -> tuple[int, ...]:
    """The k to probe on ``cores`` cores: 2, 4, 8 ... up to the cores, and the cores
    themselves (2 at the least: one process alone is the reference, never a probe)."""
    top = max(2, cores)
    return tuple(sorted({*(1 << e for e in range(1, top.bit_length()) if 1 << e <= top), top}))


def metric_for(processes: int) -> str:
    """The metric of the probe with ``processes`` spinning at once."""
    return f"{METRIC_PREFIX}{processes}{METRIC_SUFFIX}"


def processes_of(metric: str, cores: float | None = None) -> int | None:
    """How many processes spun for ``metric`` (None: no capacity metric). The legacy
    metric ran min(cores, 8): ``cores`` is then the machine's count."""
    if metric.startswith(METRIC_PREFIX) and metric.endswith(METRIC_SUFFIX):
        middle = metric[len(METRIC_PREFIX) : -len(METRIC_SUFFIX)]
        return int(middle) if middle.isdigit() else None
    if metric == LEGACY_METRIC:
        known = cores is not None and not math.isnan(cores) and cores >= 1
        return max(2, min(int(cores) if known else 2, LEGACY_MAX_PROCESSES))  # type: ignore[arg-type]
    return None


def probe(makespan: Makespan, processes: int, pairs: int = PAIRS) -> list[float]:
    """``pairs`` capacities of ``processes`` processes: each from one time alone and one
    together, taken back to back, in alternating order so that a drift cancels."""
    if pairs < 1:
        raise ValueError(f"capacity: pairs must be >= 1, got {pairs}")
    out = []
    for i in range(pairs):
        if i % 2 == 0:
            alone = makespan(1)
            together = makespan(processes)
        else:
            together = makespan(processes)
            alone = makespan(1)
        out.append(capacity(processes, alone, together))
    return out


def _facts() -> dict[str, Any]:
    """GIL state and CPU affinity of this process (``bench.workloads.probe``'s facts)."""
    is_enabled = getattr(sys, "_is_gil_enabled", None)
    cpus = sorted(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else []
    return {
        "pid": os.getpid(),
        "gil_enabled": True if is_enabled is None else bool(is_enabled()),
        "cpu_affinity": cpus or list(range(os.cpu_count() or 1)),
    }


def _serve(conn: Connection, barriers: dict[int, Any]) -> None:
    """A spinner's loop: report its facts, then spin on every ``(iterations, together)``
    received (behind the barrier of ``together`` processes), until ``None``."""
    conn.send(_facts())
    while (message := conn.recv()) is not None:
        iterations, together = message
        if together > 1:
            barriers[together].wait(BARRIER_TIMEOUT_S)
        conn.send(spin(iterations))


class Spinners:
    """``processes`` warm processes of the default start method, spinning on demand."""

    def __init__(
        self, processes: int, together: Sequence[int], context: BaseContext | None = None
    ) -> None:
        ctx = context or multiprocessing.get_context()
        barriers = {k: ctx.Barrier(k) for k in together if k > 1}
        self.conns: list[Connection] = []
        self.procs: list[Any] = []
        try:
            for i in range(processes):
                parent, child = ctx.Pipe()
                proc = ctx.Process(  # type: ignore[attr-defined]
                    target=_serve, args=(child, barriers), name=f"capacity-{i}", daemon=True
                )
                proc.start()
                child.close()
                self.conns.append(parent)
                self.procs.append(proc)
            self.facts: list[dict[str, Any]] = [self._reply(i) for i in range(processes)]
        except BaseException:
            self.close()
            raise

    def _reply(self, index: int) -> Any:
        conn = self.conns[index]
        try:
            if conn.poll(REPLY_TIMEOUT_S):
                return conn.recv()
        except (EOFError, OSError):
            pass
        code = self.procs[index].exitcode
        raise RuntimeError(f"capacity: spinner {index} gave no answer (exit code {code})")

    def makespan(self, iterations: int) -> Makespan:
        """A :data:`Makespan` of these processes spinning ``iterations`` each."""

        def timed(k: int) -> float:
            for conn in self.conns[:k]:
                conn.send((iterations, k))
            return max(self._reply(i) for i in range(k))

        return timed

    def close(self) -> None:
        for conn in self.conns:
            with contextlib.suppress(OSError):  # already gone: terminated below
                conn.send(None)
        for proc in self.procs:
            proc.join(5)
            if proc.is_alive():
                proc.terminate()
                proc.join()
        for conn in self.conns:
            conn.close()


def run(
    case: Case, repeat: int = 1, context: BaseContext | None = None
) -> tuple[list[dict[str, Any]], list[Measurement]]:
    """Probe the capacity for every k of ``probe_sizes(case.workers)`` (the cores the run
    plans for; at least :data:`PAIRS` pairs per k, ``repeat`` where more); returns the
    spinners' facts (GIL state, affinity, as ``case_script.probe_metadata`` reads them)
    and one measurement per k (``metric_for(k)``): the machine's own scaling curve."""
    sizes = probe_sizes(case.workers)
    pairs = max(PAIRS, repeat)
    spinners = Spinners(max(sizes), sizes, context)
    try:
        makespan = spinners.makespan(case.size)
        makespan(max(sizes))  # a first spin of every process, not counted: warm
        found = {k: probe(makespan, k, pairs) for k in reversed(sizes)}
    finally:
        spinners.close()
    params = {"spin_iterations": case.size, "cores_seen": usable_cores()}
    results = [
        Measurement(metric_for(k), "ratio", found[k], params | {"processes": k}) for k in sizes
    ]
    return spinners.facts, results


def measure(case: Case, repeat: int = 1) -> list[Measurement]:
    """The measurements of :func:`run`, without the facts."""
    return run(case, repeat)[1]


# --- the probe cases the runner adds ------------------------------------------------------


def probe_case(cores: int, before: str | None = None) -> Case:
    """The capacity probe that opens every round, or the one run right before ``before``
    (a group of a family that needs cores), for a run planned for ``cores`` cores: it
    spins up to that many processes at once."""
    return Case(
        family=FAMILY,
        workload=WORKLOAD.name,
        size_label=SPIN.label,
        size=SPIN.value,
        tasks=SPIN.tasks,
        model=SPINNER,
        workers=max(2, cores),
        measure=MEASURE,
        variant=f"{BEFORE}{before}" if before else ROUND_START,
    )


def probe_target(case: Case) -> str | None:
    """Where a capacity probe runs: ``""`` at the start of the round, a group's name
    right before that group; ``None`` for a case that is no probe."""
    if case.family != FAMILY:
        return None
    return case.variant.removeprefix(BEFORE) if case.variant.startswith(BEFORE) else ""


def with_probes(cases: Iterable[Case], needs_cores: Collection[str], cores: int) -> list[Case]:
    """``cases`` and the capacity probes they need (none are added to no work), for a run
    planned for ``cores`` cores: one at the start of every round and one right before
    every group of the families ``needs_cores`` names."""
    given = list(cases)
    work = [c for c in given if c.family != FAMILY]
    if not work:
        return given
    limited = sorted({c.group for c in work if c.family in needs_cores})
    have = {c.name for c in given}
    wanted = [probe_case(cores), *(probe_case(cores, group) for group in limited)]
    return given + [p for p in wanted if p.name not in have]


# --- reading the probes back ---------------------------------------------------------------


def describe(records: Sequence[dict[str, Any]]) -> str | None:
    """One line on the capacity in outcome records (as the case script writes them): at
    the most processes probed, the median of the rounds' capacities (each round's the
    median of its probes), their range, and the rounds unusually low against the others
    (``LOW_AGAINST_OTHERS``), which the report leaves out. None without probes."""
    by_round: dict[Any, list[float]] = {}
    top = 0
    for record in records:
        k = processes_of(str(record.get("metric", "")), record.get("metadata", {}).get("cpu_count"))
        if k is None or record.get("metadata", {}).get("family") != FAMILY:
            continue
        if k > top:
            top, by_round = k, {}
        if k == top:
            by_round.setdefault(record["metadata"].get("round"), []).extend(record["values"])
    if not by_round:
        return None
    per_round = [_median(values) for values in by_round.values()]
    low = sum(is_unusually_low(v, others) for v, others in _each_against_the_rest(per_round))
    rounds = sorted(per_round)
    return (
        f"capacity with {top} processes: {_median(rounds):.2f} cores (median of {len(rounds)} "
        f"round(s), {rounds[0]:.2f}-{rounds[-1]:.2f}); {low} round(s) unusually low"
    )


#: A round is left out of an estimate when its capacity is below this share of the median
#: of the run's other rounds: the host withheld cores then. Judged against the machine's
#: own rounds, never against the ideal: a machine with two hardware threads a core, or a
#: shared host, never gives its logical cores in full, and that is the machine, not noise.
LOW_AGAINST_OTHERS = 0.85


def is_unusually_low(value: float, others: Sequence[float]) -> bool:
    """Whether ``value`` is below ``LOW_AGAINST_OTHERS`` of the median of ``others`` (at
    least two of them: with fewer there is nothing to be unusual against)."""
    return len(others) >= 2 and value < LOW_AGAINST_OTHERS * _median(others)


def _each_against_the_rest(values: Sequence[float]) -> list[tuple[float, list[float]]]:
    return [(value, [*values[:i], *values[i + 1 :]]) for i, value in enumerate(values)]


def _median(values: Sequence[float]) -> float:
    ordered = sorted(values)
    middle = len(ordered) // 2
    return ordered[middle] if len(ordered) % 2 else (ordered[middle - 1] + ordered[middle]) / 2
