"""The suite's HTTP server for the HTTP-at-scale measure: aiohttp's web server, loopback only.

``GET /?ms=<service ms>&bytes=<n>`` waits ``ms`` milliseconds (the service latency)
and answers ``n`` bytes of ``b"x"``. The latency and payload travel in the request, so
one server serves every case. It runs in a process of its own, started and stopped by
the measure (``bench.families.http.measure``), so that the client and the server share no GIL
and the server's CPU time can be read apart. Run it alone with::

    python -m bench.families.http.server [--port 0]

It prints ``READY <host> <port>`` once it listens, and stops on SIGTERM, SIGINT or
when its standard input closes (so it dies with the case that started it).
"""

from __future__ import annotations

import asyncio
import socket
import sys
from typing import TYPE_CHECKING

from bench.workloads import serving
from bench.workloads.serving import until_stopped

if TYPE_CHECKING:
    from aiohttp import web

HOST = "127.0.0.1"
MAX_SERVICE_MS = 60_000
MAX_RESPONSE = 16 << 20
#: Pending connections the kernel queues: past the highest concurrency measured (4,096),
#: so that a refused connection means the client, not a short backlog, ran out.
BACKLOG = 8192


def parse_request(query: dict[str, str]) -> tuple[int, int]:
    """``{"ms": "10", "bytes": "1024"}`` -> ``(10, 1024)``; ValueError when out of range."""
    service_ms, nbytes = int(query.get("ms", "0")), int(query.get("bytes", "0"))
    if not (0 <= service_ms <= MAX_SERVICE_MS and 0 <= nbytes <= MAX_RESPONSE):
        raise ValueError(f"out of range: ms={service_ms}, bytes={nbytes}")
    return service_ms, nbytes


def make_app() -> web.Application:
    from aiohttp import web

    bodies: dict[int, bytes] = {}  # one body per size, built once: the server does no work

    async def answer(request: web.Request) -> web.Response:
        try:
            service_ms, nbytes = parse_request(dict(request.query))
        except ValueError as exc:
            return web.Response(status=400, text=str(exc))
        await asyncio.sleep(service_ms / 1000)
        body = bodies.get(nbytes)
        if body is None:
            body = bodies[nbytes] = b"x" * nbytes
        return web.Response(body=body, content_type="application/octet-stream")

    app = web.Application()
    app.router.add_get("/", answer)
    return app


async def serve(port: int) -> None:
    from aiohttp import web

    runner = web.AppRunner(make_app(), access_log=None, handle_signals=False)
    await runner.setup()
    # A socket of our own: its bound port is ours to read, and the backlog ours to set.
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((HOST, port))
    sock.listen(BACKLOG)
    site = web.SockSite(runner, sock, backlog=BACKLOG)
    await site.start()
    bound = sock.getsockname()[1]
    print(f"READY {HOST} {bound}", flush=True)
    try:
        await until_stopped()
    finally:
        await runner.cleanup()


def main(argv: list[str] | None = None) -> int:
    return serving.main(serve, (__doc__ or "").splitlines()[0], argv)


if __name__ == "__main__":
    sys.exit(main())
