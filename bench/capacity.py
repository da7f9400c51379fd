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
import multiprocessing
import os
import sys
import time
from collections.abc import Callable, Collection, Iterable, Sequence
from typing import TYPE_CHECKING, Any

from bench.cases import Case, Size, Subject, SubjectKind
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

#: A round keeps its w-worker speedups when its capacity is at least this share of
#: min(w, cores): below it the host withheld a core for part of the round.
KEEP_FRACTION = 0.9
#: Pairs of (one alone, k together) per probe: each gives one capacity.
PAIRS = 3
#: The most processes a probe runs: the most workers a CPU case uses (its families), so
#: every speedup the report shows is limited by a capacity measured with as many.
MAX_PROCESSES = 8
#: Metric of the probe with k = the core count (at most MAX_PROCESSES; 2 at the least).
METRIC = "cores"
#: Metric of the probe with k = 2, recorded beside it where the cores are more than two.
METRIC_TWO = "cores_with_2_processes"
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
    """The k to probe: 2, and the core count (at most MAX_PROCESSES) where it is more."""
    top = max(2, min(cores, MAX_PROCESSES))
    return (2,) if top == 2 else (2, top)


def usable_cores() -> int:
    """The logical cores this process may run on (its affinity where the OS has one)."""
    if hasattr(os, "sched_getaffinity"):
        return len(os.sched_getaffinity(0))
    return os.cpu_count() or 1


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
    """Probe the capacity (at least :data:`PAIRS` pairs per k, ``repeat`` where more);
    returns the spinners' facts (GIL state, affinity, as ``case_script.probe_metadata``
    reads them) and the measurements: :data:`METRIC`, and :data:`METRIC_TWO` where
    the cores are more than two."""
    cores = usable_cores()
    sizes = probe_sizes(cores)
    pairs = max(PAIRS, repeat)
    spinners = Spinners(max(sizes), sizes, context)
    try:
        makespan = spinners.makespan(case.size)
        makespan(max(sizes))  # a first spin of every process, not counted: warm
        found = {k: probe(makespan, k, pairs) for k in reversed(sizes)}
    finally:
        spinners.close()
    params = {"spin_iterations": case.size, "cores_seen": cores}
    results = [Measurement(METRIC, "ratio", found[max(sizes)], params | {"processes": max(sizes)})]
    if len(sizes) > 1:
        results.append(Measurement(METRIC_TWO, "ratio", found[2], params | {"processes": 2}))
    return spinners.facts, results


def measure(case: Case, repeat: int = 1) -> list[Measurement]:
    """The measurements of :func:`run`, without the facts."""
    return run(case, repeat)[1]


# --- the probe cases the runner adds ------------------------------------------------------


def probe_case(before: str | None = None) -> Case:
    """The capacity probe that opens every round, or the one run right before ``before``
    (a group of a family that needs cores)."""
    return Case(
        family=FAMILY,
        workload=WORKLOAD.name,
        size_label=SPIN.label,
        size=SPIN.value,
        tasks=SPIN.tasks,
        model=SPINNER,
        workers=SPIN.tasks,
        measure=MEASURE,
        variant=f"{BEFORE}{before}" if before else ROUND_START,
    )


def probe_target(case: Case) -> str | None:
    """Where a capacity probe runs: ``""`` at the start of the round, a group's name
    right before that group; ``None`` for a case that is no probe."""
    if case.family != FAMILY:
        return None
    return case.variant.removeprefix(BEFORE) if case.variant.startswith(BEFORE) else ""


def with_probes(cases: Iterable[Case], needs_cores: Collection[str]) -> list[Case]:
    """``cases`` and the capacity probes they need (none are added to no work): one at
    the start of every round and one right before every group of the families
    ``needs_cores`` names."""
    given = list(cases)
    work = [c for c in given if c.family != FAMILY]
    if not work:
        return given
    limited = sorted({c.group for c in work if c.family in needs_cores})
    have = {c.name for c in given}
    wanted = [probe_case(), *(probe_case(group) for group in limited)]
    return given + [p for p in wanted if p.name not in have]


# --- reading the probes back ---------------------------------------------------------------


def describe(records: Sequence[dict[str, Any]], cores: int) -> str | None:
    """One line on the capacity in outcome records (as the case script writes them): the
    median of the rounds' capacities (each round's the median of its probes), their
    range, and how many rounds fell below KEEP_FRACTION of the cores a speedup at every
    core needs. None without probes."""
    by_round: dict[Any, list[float]] = {}
    for record in records:
        if record.get("metric") == METRIC and record.get("metadata", {}).get("family") == FAMILY:
            by_round.setdefault(record["metadata"].get("round"), []).extend(record["values"])
    if not by_round:
        return None
    rounds = sorted(_median(values) for values in by_round.values())
    threshold = KEEP_FRACTION * max(1, min(cores, MAX_PROCESSES))
    below = sum(value < threshold for value in rounds)
    return (
        f"capacity {_median(rounds):.2f} cores (median of {len(rounds)} round(s), "
        f"{rounds[0]:.2f}-{rounds[-1]:.2f}); {below} round(s) below {threshold:.2f}"
    )


def _median(values: Sequence[float]) -> float:
    ordered = sorted(values)
    middle = len(ordered) // 2
    return ordered[middle] if len(ordered) % 2 else (ordered[middle - 1] + ordered[middle]) / 2
