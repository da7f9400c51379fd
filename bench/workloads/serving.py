"""What the suite's servers (TCP, HTTP) share: they run until told to stop.

A server process stops on SIGTERM, SIGINT or when its standard input closes, so that
it dies with the runner or the case that started it, even one killed outright.
"""

from __future__ import annotations

import argparse
import asyncio
import signal
import sys
import threading
from collections.abc import Callable, Coroutine
from typing import Any


async def until_stopped() -> None:
    """Wait, in the server's event loop, for SIGTERM, SIGINT or the end of stdin."""
    loop = asyncio.get_running_loop()
    stop: asyncio.Future[None] = loop.create_future()

    def finish() -> None:
        if not stop.done():
            stop.set_result(None)

    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, finish)

    def watch_stdin() -> None:
        sys.stdin.read()  # returns when the starter is gone
        loop.call_soon_threadsafe(finish)

    threading.Thread(target=watch_stdin, daemon=True).start()
    await stop


def main(
    serve: Callable[[int], Coroutine[Any, Any, None]], description: str, argv: list[str] | None
) -> int:
    """A server's command line: ``--port`` (0 picks a free one), then ``serve`` until stopped."""
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--port", type=int, default=0, help="0 picks a free port")
    args = parser.parse_args(argv)
    asyncio.run(serve(args.port))
    return 0
