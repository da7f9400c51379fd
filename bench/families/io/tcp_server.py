"""The suite's own TCP server for the I/O benchmarks, on loopback only.

Protocol, one request per connection: the client sends ``"<service_ms> <nbytes>\\n"``;
the server waits ``service_ms`` milliseconds (the service latency), sends
``nbytes`` bytes and closes. It is asyncio-based so that it is never the
bottleneck, and it runs in its own process so that it shares no GIL with the
benchmark. Run it alone with::

    python -m bench.families.io.tcp_server [--port 0]

It prints ``READY <host> <port>`` once it listens, and stops on SIGTERM, SIGINT
or when its standard input closes (so it dies with the runner that started it).
"""

from __future__ import annotations

import asyncio
import sys

from bench.workloads import serving
from bench.workloads.serving import until_stopped

HOST = "127.0.0.1"
MAX_RESPONSE = 64 * 1024 * 1024


async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    try:
        line = await reader.readline()
        service_ms, nbytes = (int(x) for x in line.split())
        if not (0 <= service_ms <= 60_000 and 0 <= nbytes <= MAX_RESPONSE):
            return  # out of range: drop it like any other bad request
        await asyncio.sleep(service_ms / 1000)
        writer.write(bytes(nbytes))
        await writer.drain()
    except (ValueError, ConnectionError):
        pass  # a malformed request or a client that left: drop the connection
    finally:
        writer.close()


async def serve(port: int) -> None:
    server = await asyncio.start_server(handle, HOST, port, backlog=1024)
    bound = server.sockets[0].getsockname()[1]
    print(f"READY {HOST} {bound}", flush=True)
    async with server:
        await until_stopped()


def main(argv: list[str] | None = None) -> int:
    return serving.main(serve, (__doc__ or "").splitlines()[0], argv)


if __name__ == "__main__":
    sys.exit(main())
