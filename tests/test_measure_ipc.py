"""The communication-cost timers: every channel echoes, times, and cleans up after itself."""

from __future__ import annotations

import multiprocessing
import os
import re
import signal
import subprocess
import textwrap
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from helpers_interpreters import DEBIAN, FREE_THREADED, GIL_313, prepared
from helpers_waiting import CHILD_RUN_S, SOON_S

from bench.cases import Case
from bench.families.ipc import channels
from bench.families.ipc import measure as ipc
from bench.models import unavailable_models
from tests.conftest import Children

START_METHODS = [
    m for m in ("fork", "spawn", "forkserver") if m in multiprocessing.get_all_start_methods()
]
#: Channels whose peer this interpreter cannot run (a subinterpreter before 3.12).
UNAVAILABLE = channels.unavailable_channels(unavailable_models())
COMBOS = [
    (channel, method)
    for channel in channels.CHANNELS
    for method in (START_METHODS if channels.needs_start_method(channel) else [None])
]
PROCESS_COMBOS = [(c, m) for c, m in COMBOS if m is not None]
SHM_DIR = Path("/dev/shm")
ROOT = Path(__file__).resolve().parents[1]


def case(channel: str, size: int, start_method: str | None = None) -> Case:
    return Case(
        family="ipc",
        workload="roundtrip",
        size_label=str(size),
        size=size,
        tasks=1,
        model=channel,
        workers=1,
        start_method=start_method,
        measure="ipc",
    )


def combo_id(combo: tuple[str, str | None]) -> str:
    channel, method = combo
    return f"{channel}/{method}" if method else channel


RUNNABLE_COMBOS = [
    pytest.param(
        combo,
        id=combo_id(combo),
        marks=[pytest.mark.skip(reason=UNAVAILABLE[combo[0]])] if combo[0] in UNAVAILABLE else [],
    )
    for combo in COMBOS
]


def our_segments() -> list[Path]:
    """Shared memory blocks this test process created and left behind."""
    if not SHM_DIR.is_dir():
        return []
    return sorted(SHM_DIR.glob(f"{ipc.SHM_PREFIX}{os.getpid()}_*"))


@contextmanager
def deadline(seconds: float) -> Iterator[None]:
    """Turn a hang into a TimeoutError after ``seconds`` (SIGALRM interrupts blocking calls)."""

    def expire(signum: int, frame: object) -> None:
        raise TimeoutError(f"still running after {seconds} s")

    previous = signal.signal(signal.SIGALRM, expire)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


def test_channels_and_start_methods() -> None:
    assert set(channels.CHANNELS) == {
        "queue.Queue", "mp.Queue", "mp.Pipe", "shared_memory", "memcpy",
        "shared_memory_inplace", "mp.Manager", "interpreters.Queue",
    }  # fmt: skip
    assert all(c.description for c in channels.CHANNELS.values())
    needs = {name for name in channels.CHANNELS if channels.needs_start_method(name)}
    assert needs == {"mp.Queue", "mp.Pipe", "shared_memory", "shared_memory_inplace", "mp.Manager"}
    with pytest.raises(ValueError, match="unknown IPC channel"):
        channels.needs_start_method("carrier pigeon")


def test_payload_is_a_non_zero_pattern() -> None:
    data = ipc.payload(1000)
    assert len(data) == 1000
    assert 0 not in data
    assert data[:255] == data[255:510]  # a period of 255: a shift by a byte would show
    assert ipc.payload(64) == data[:64]


def test_bad_cases_are_refused() -> None:
    with pytest.raises(ValueError, match="unknown IPC channel"):
        ipc.open_timer(case("telepathy", 64))
    with pytest.raises(ValueError, match="positive"):
        ipc.open_timer(case("memcpy", 0))


@pytest.mark.parametrize("size", [64, 16 << 20], ids=["64B", "16MiB"])
@pytest.mark.parametrize("combo", RUNNABLE_COMBOS)
def test_round_trips_echo_and_clean_up(
    combo: tuple[str, str | None], size: int, children: Children
) -> None:
    channel, method = combo
    loops = 20 if size < 1 << 20 else 1
    timer = ipc.open_timer(case(channel, size, method))
    try:
        assert (timer.pid is not None) == (method is not None)
        assert timer.roundtrip() == ipc.payload(size)
        seconds = timer.run(loops)
        assert isinstance(seconds, float)
        assert seconds > 0
    finally:
        timer.close()
    timer.close()  # idempotent
    assert children.left() == set()
    assert our_segments() == []


@pytest.mark.parametrize("combo", PROCESS_COMBOS, ids=combo_id)
def test_a_killed_peer_raises_instead_of_hanging(
    combo: tuple[str, str | None], children: Children
) -> None:
    channel, method = combo
    # 1 MiB: more than a pipe holds, so a writer with no reader would block for good.
    timer = ipc.open_timer(case(channel, 1 << 20, method))
    try:
        assert timer.pid is not None
        os.kill(timer.pid, signal.SIGKILL)
        with deadline(SOON_S), pytest.raises(RuntimeError, match=re.escape(channel)):
            timer.run(3)
    finally:
        with deadline(SOON_S):
            timer.close()
    assert children.left() == set()
    assert our_segments() == []


def test_a_wrong_echo_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(ipc.MemcpyTimer, "roundtrip", lambda self: b"\x00" * self.size)
    with pytest.raises(RuntimeError, match="echo differs"):
        ipc.open_timer(case("memcpy", 4096))


def test_the_in_place_reader_must_see_the_block(
    monkeypatch: pytest.MonkeyPatch, children: Children
) -> None:
    """Its answer is the sum of what it read in place: a peer that did not read is caught."""
    monkeypatch.setattr(ipc, "shm_reader", _silent_reader)
    with pytest.raises(RuntimeError, match="did not read the block in place"):
        ipc.open_timer(case("shared_memory_inplace", 3 * 4096 + 5, START_METHODS[0]))
    assert children.left() == set()
    assert our_segments() == []


def _silent_reader(conn: Any, name: str, size: int) -> None:
    """A peer that answers without reading the block."""
    try:
        while conn.recv_bytes() != b"s":
            conn.send_bytes(b"0")
    except EOFError:
        pass


def test_a_timer_works_as_a_context_manager(children: Children) -> None:
    with ipc.open_timer(case("mp.Pipe", 4096, START_METHODS[0])) as timer:
        assert timer.run(5) > 0
    assert timer.closed
    assert children.left() == set()


OTHER_PYTHONS = [
    pytest.param(FREE_THREADED, ("-X", "gil=0"), id="3.13t"),
    pytest.param(GIL_313, (), id="3.13"),
    *(pytest.param(path, (), id=series) for series, path in sorted(DEBIAN.items())),
]


@pytest.mark.parametrize(("python", "options"), OTHER_PYTHONS)
def test_every_channel_on_other_pythons(python: Path, options: tuple[str, ...]) -> None:
    """Every channel round-trips in the suite's venv of each other Python, the subinterpreter
    queue of 3.13's backport and of 3.14+'s concurrent.interpreters included: no channel
    unavailable, no DeprecationWarning about forking with threads alive, nothing left."""
    script = textwrap.dedent(
        """
        import multiprocessing, os, pathlib
        from bench.cases import Case
        from bench.families.ipc import channels
        from bench.families.ipc import measure as ipc
        from bench.models import unavailable_models

        def main():
            assert channels.unavailable_channels(unavailable_models()) == {}
            for channel in channels.CHANNELS:
                process = channels.needs_start_method(channel)
                methods = ("fork", "forkserver") if process else (None,)
                for method in methods:
                    case = Case(family="ipc", workload="roundtrip", size_label="4KiB",
                                size=4096, tasks=1, model=channel, workers=1,
                                start_method=method, measure="ipc")
                    with ipc.open_timer(case) as timer:
                        assert timer.run(3) > 0
            assert multiprocessing.active_children() == []
            shm = pathlib.Path("/dev/shm")
            assert not list(shm.glob(f"{ipc.SHM_PREFIX}{os.getpid()}_*"))
            print("ok")

        if __name__ == "__main__":
            main()
        """
    )
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    result = subprocess.run(
        [str(prepared(python)), *options, "-W", "error", "-c", script],
        capture_output=True,
        text=True,
        env=env,
        timeout=CHILD_RUN_S,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "ok"
