"""Every workload gives its known result at a small size; the faults fail as promised."""

from __future__ import annotations

import asyncio
import hashlib
import inspect
import os
import re
import socket
import subprocess
import sys
import zlib
from pathlib import Path

import pytest
from helpers_waiting import CHILD_RUN_S, SOON_S

from bench.families import catalogue
from bench.families.article import workload as article
from bench.families.cpu import workload as cpu
from bench.families.io import workload as io
from bench.interpreters import case_environment
from bench.workloads import catalog, faults, probe


def run_python(*args: str, timeout: float = CHILD_RUN_S) -> subprocess.CompletedProcess[str]:
    """Run the project's interpreter with the suite's source on PYTHONPATH."""
    return subprocess.run(
        [sys.executable, *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
        env=case_environment({}),
    )


# --- CPU -----------------------------------------------------------------------------


@pytest.mark.parametrize(("limit", "expected"), [(3000, 430), (100, 25), (2, 0), (0, 0)])
def test_count_primes(limit: int, expected: int) -> None:
    assert cpu.count_primes(limit) == expected


def test_count_primes_ignores_the_index() -> None:
    assert cpu.count_primes(100, 7) == cpu.count_primes(100, 0)


def test_pattern_buffer_is_one_mib_per_unit_and_fixed() -> None:
    buf = cpu.pattern_buffer(1)
    assert len(buf) == 1024 * 1024
    assert cpu.pattern_buffer(1) is buf  # cached, not rebuilt per task
    cpu.pattern_buffer.cache_clear()
    assert cpu.pattern_buffer(1) == buf  # and the same bytes when rebuilt


def test_sha256_digest() -> None:
    expected = hashlib.sha256(cpu.pattern_buffer(1)).hexdigest()
    assert cpu.sha256_digest(1) == expected
    assert cpu.sha256_digest(1, 3) == expected


def test_zlib_compressed_size() -> None:
    buf = cpu.pattern_buffer(1)
    size = cpu.zlib_compressed_size(1)
    assert size > 0
    assert size == len(zlib.compress(buf, 6))
    assert zlib.decompress(zlib.compress(buf, 6)) == buf


# --- I/O -----------------------------------------------------------------------------


def test_sleep_ms_returns_its_ms() -> None:
    assert io.sleep_ms(1) == 1
    assert io.sleep_ms(0, 5) == 0


def test_sleep_ms_async_returns_its_ms() -> None:
    assert asyncio.run(io.sleep_ms_async(1)) == 1


def test_tcp_request(tcp_server: str) -> None:
    host, _, port = tcp_server.rpartition(":")
    assert io.tcp_address() == (host, int(port))
    assert io.tcp_request(0) == io.TCP_RESPONSE_BYTES
    assert io.tcp_request(1, 4) == io.TCP_RESPONSE_BYTES


def test_tcp_request_async(tcp_server: str) -> None:
    del tcp_server
    assert asyncio.run(io.tcp_request_async(1)) == io.TCP_RESPONSE_BYTES


def test_tcp_request_async_many_at_once(tcp_server: str) -> None:
    del tcp_server

    async def many() -> list[int]:
        return list(await asyncio.gather(*(io.tcp_request_async(1, i) for i in range(16))))

    assert asyncio.run(many()) == [io.TCP_RESPONSE_BYTES] * 16


def test_tcp_request_without_server_address_says_what_to_set(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv(io.TCP_ADDRESS_ENV, raising=False)
    with pytest.raises(RuntimeError, match=io.TCP_ADDRESS_ENV):
        io.tcp_request(0)
    assert io.TCP_ADDRESS_ENV == "BENCH_TCP_ADDR"


def raw_exchange(address: str, payload: bytes) -> bytes:
    """Send ``payload`` on a fresh connection; return everything the server sends back."""
    host, _, port = address.rpartition(":")
    with socket.create_connection((host, int(port)), timeout=SOON_S) as sock:
        if payload:
            sock.sendall(payload)
        sock.shutdown(socket.SHUT_WR)
        received = b""
        while chunk := sock.recv(65536):
            received += chunk
    return received


@pytest.mark.parametrize(
    "garbage",
    [
        b"hello\n",
        b"1 2 3\n",
        b"-1 10\n",
        b"0 999999999999\n",
        b"\xff\xfe\n",
        b"",
        b"x" * 70_000,  # longer than the stream reader's line limit
    ],
    ids=["words", "three-fields", "negative", "too-big", "not-utf8", "empty", "huge-line"],
)
def test_tcp_server_drops_malformed_requests_and_goes_on(tcp_server: str, garbage: bytes) -> None:
    try:
        answer = raw_exchange(tcp_server, garbage)
    except ConnectionResetError:
        answer = b""  # the server may close before reading all of a long request
    assert answer == b""
    assert io.tcp_request(0) == io.TCP_RESPONSE_BYTES


def test_file_roundtrip_leaves_nothing_behind(file_dir: Path) -> None:
    assert io.file_roundtrip(4) == 4096
    assert io.file_roundtrip(0, 1) == 0
    assert list(file_dir.iterdir()) == []


def test_file_roundtrip_removes_its_file_when_it_fails(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(io.FILE_DIR_ENV, str(tmp_path / "missing"))
    with pytest.raises(FileNotFoundError):
        io.file_roundtrip(1)


# --- The article's example --------------------------------------------------------------


def test_article_module_starts_and_joins_every_worker() -> None:
    out = run_python("-m", "bench.families.article.workload")
    assert out.returncode == 0, out.stderr
    head, sep, rest = out.stdout.partition("multiprocessing:\n")
    assert sep
    assert head == ""
    processes, sep, threads = rest.partition("threading:\n")
    assert sep
    # Count greetings rather than compare lines: workers print concurrently, and with
    # PYTHONUNBUFFERED a greeting and its newline can reach the pipe as two writes.
    expected = sorted(f"Worker {i}" for i in range(article.WORKERS))
    assert sorted(re.findall(r"Worker \d+", processes)) == expected
    assert sorted(re.findall(r"Worker \d+", threads)) == expected


def test_article_quiet_worker_returns_the_greeting() -> None:
    assert article.quiet_worker(0, 3) == "Worker 3"
    assert article.greeting(0) == "Worker 0"


def test_article_run_threads_prints_one_greeting_per_worker(
    capsys: pytest.CaptureFixture[str],
) -> None:
    article.run_threads(3)
    out = capsys.readouterr().out
    assert sorted(re.findall(r"Worker \d+", out)) == ["Worker 0", "Worker 1", "Worker 2"]
    assert out.count("\n") == 3


# --- Probes ----------------------------------------------------------------------------


def test_noop_returns_the_index() -> None:
    assert probe.noop(0, 7) == 7


def test_worker_facts_describe_this_process() -> None:
    facts = probe.worker_facts(0)
    assert facts["pid"] == os.getpid()
    assert isinstance(facts["gil_enabled"], bool)
    cpus = facts["cpu_affinity"]
    assert isinstance(cpus, list)
    assert cpus
    assert cpus == sorted(cpus)


# --- Faults ----------------------------------------------------------------------------


def test_raise_error_raises_deliberate_error() -> None:
    with pytest.raises(faults.DeliberateError, match="task 4 raised on purpose"):
        faults.raise_error(0, 4)
    assert issubclass(faults.DeliberateError, RuntimeError)


@pytest.mark.parametrize(("size", "code"), [(7, 7), (0, 3)])
def test_exit_hard_ends_the_process_with_its_code(size: int, code: int) -> None:
    out = run_python(
        "-c", f"from bench.workloads.faults import exit_hard; exit_hard({size}); print('alive')"
    )
    assert out.returncode == code
    assert "alive" not in out.stdout


# --- The catalogue ---------------------------------------------------------------------


@pytest.mark.parametrize("name", sorted(catalogue.WORKLOADS))
def test_catalog_entry_resolves(name: str) -> None:
    workload = catalogue.WORKLOADS[name]
    assert workload.name == name
    if workload.func is None:  # run by a measurement module instead
        assert workload.measure != "batch"
        return
    func = catalog.resolve(workload.func)
    assert callable(func)
    assert not inspect.iscoroutinefunction(func)
    if workload.async_func is not None:
        assert inspect.iscoroutinefunction(catalog.resolve(workload.async_func))


def test_catalog_has_async_versions_for_sleep_and_tcp_only() -> None:
    with_async = {name for name, w in catalogue.WORKLOADS.items() if w.async_func}
    assert with_async == {"sleep", "tcp"}


def test_resolve_unknown_function_fails() -> None:
    with pytest.raises(AttributeError):
        catalog.resolve("bench.families.cpu.workload:no_such_function")
    with pytest.raises(ModuleNotFoundError):
        catalog.resolve("bench.workloads.no_such_module:f")
