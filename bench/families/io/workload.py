"""I/O-bound work: a sleep, a TCP request over loopback, a file written and read back.

Each task has a blocking version (for threads and processes) and, where Python
has a native non-blocking one, a coroutine version for asyncio. File I/O has no
native asyncio form, so it has no coroutine version (see the matrix's exclusions).
"""

from __future__ import annotations

import asyncio
import os
import socket
import time

#: The loopback address of the suite's TCP server, "host:port"; the runner sets it.
TCP_ADDRESS_ENV = "BENCH_TCP_ADDR"
#: The folder for file tasks; the runner sets it to a temporary folder it removes.
FILE_DIR_ENV = "BENCH_TMPDIR"
#: Bytes asked of the server per request.
TCP_RESPONSE_BYTES = 1024


def sleep_ms(ms: int, index: int = 0) -> int:
    """Block for ``ms`` milliseconds: pure waiting, the GIL released throughout."""
    del index
    time.sleep(ms / 1000)
    return ms


async def sleep_ms_async(ms: int, index: int = 0) -> int:
    del index
    await asyncio.sleep(ms / 1000)
    return ms


def tcp_address() -> tuple[str, int]:
    value = os.environ.get(TCP_ADDRESS_ENV)
    if not value:
        raise RuntimeError(
            f"{TCP_ADDRESS_ENV} is not set: the tcp workload needs the suite's server "
            "(python -m bench.families.io.tcp_server), which `python -m bench run` starts"
        )
    host, _, port = value.rpartition(":")
    return host, int(port)


def request_line(service_ms: int) -> bytes:
    return f"{service_ms} {TCP_RESPONSE_BYTES}\n".encode()


def tcp_request(service_ms: int, index: int = 0) -> int:
    """One request to the local server, which waits ``service_ms`` ms before it answers.

    Opens a connection, sends one line, reads the whole answer, closes: the number
    of bytes received is the checkable result.
    """
    del index
    with socket.create_connection(tcp_address(), timeout=30) as sock:
        sock.sendall(request_line(service_ms))
        received = 0
        while chunk := sock.recv(65536):
            received += len(chunk)
    return received


async def tcp_request_async(service_ms: int, index: int = 0) -> int:
    del index
    host, port = tcp_address()
    reader, writer = await asyncio.open_connection(host, port)
    try:
        writer.write(request_line(service_ms))
        await writer.drain()
        received = len(await reader.read())
    finally:
        writer.close()
        await writer.wait_closed()
    return received


def file_roundtrip(kib: int, index: int = 0) -> int:
    """Write ``kib`` KiB to a new file, fsync it, read it back, delete it.

    The fsync makes it real I/O rather than a copy into the page cache.
    """
    folder = os.environ.get(FILE_DIR_ENV) or os.environ.get("TMPDIR") or "/tmp"
    path = os.path.join(folder, f"task-{os.getpid()}-{index}-{time.perf_counter_ns()}.bin")
    data = bytes(kib * 1024)
    try:
        with open(path, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        with open(path, "rb") as f:
            return len(f.read())
    finally:
        os.unlink(path)
