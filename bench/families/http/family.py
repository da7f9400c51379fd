"""HTTP at scale: a client library (``clients.py``) sends requests to an aiohttp server in
its own process; workers = requests in flight, size = the server's service latency,
payload = the bytes of each answer."""

from __future__ import annotations

from bench.cases import Family, Pick, Size, binary_size_name
from bench.families.http.clients import CLIENT, CLIENTS, MAIN_CLIENTS
from bench.workloads.catalog import Workload

ORDER = 120

WORKLOADS = (
    # A batch of HTTP requests from one client library to the suite's aiohttp server.
    Workload("http", None, "ms service latency", measure="http", requires=("aiohttp",),
             extra="io"),
)  # fmt: skip

HTTP_1KIB, HTTP_100KIB = (
    Family(f"http_{binary_size_name(payload)}", "http", "http",
           (Size("10ms", 10, 0), Size("100ms", 100, 0)), tuple(CLIENTS),
           (16, 64, 256, 1024, 4096), measure="http", payload=payload, kind=CLIENT)
    for payload in (1 << 10, 100 << 10)
)  # fmt: skip
FAMILIES = (HTTP_1KIB, HTTP_100KIB)

PICKS = {
    "smoke": (
        Pick("http_1KiB", sizes=("10ms",), models=("requests_threads", "aiohttp"), workers=(16,)),
    ),
    "quick": (
        # A threaded and an asyncio client, few and many in flight (thousands: standard).
        Pick("http_1KiB", sizes=("10ms",), workers=(16, 64, 256),
             models=("requests_threads", "aiohttp")),
    ),
    "standard": (
        # The main clients up to 256 in flight; past that (the claim's thousands) the
        # threaded requests client and aiohttp only: httpx's async pool takes its whole
        # deadline there, and the full profile has every cell. 100 KiB answers and the
        # process client at 256.
        Pick("http_1KiB", sizes=("10ms",), workers=(16, 64, 256),
             models=tuple(c for c in MAIN_CLIENTS if c != "httpx_async")),
        Pick("http_1KiB", sizes=("10ms",), models=("httpx_async",), workers=(16, 64)),
        Pick("http_1KiB", sizes=("10ms",), models=("requests_threads", "aiohttp"),
             workers=(1024, 4096)),
        Pick("http_1KiB", sizes=("10ms",), models=("requests_processes",), workers=(256,)),
        Pick("http_100KiB", sizes=("10ms",), models=("requests_threads", "aiohttp"),
             workers=(256,)),
    ),
}  # fmt: skip
