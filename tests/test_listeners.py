"""Nothing the suite starts listens beyond loopback.

The Dask cluster of processes once listened on every interface (the scheduler on
``0.0.0.0:8787``, each worker on a port of its own: their dashboards, which answer
``/sitemap.json`` with logs and call stacks), although started with ``--host 127.0.0.1``.
Here every executor of every model, every start method, and both servers are opened,
and every socket that any process of this test's tree listens on must be on loopback.
"""

from __future__ import annotations

import asyncio
import ipaddress
import multiprocessing
import socket
from collections.abc import Iterator

import psutil
import pytest

from bench.models import MODELS, open_executor, unavailable_models
from bench.services import tcp_server

Listener = tuple[int, str, str, int]  # pid, process name, address, port


def listeners() -> set[Listener]:
    """Every TCP or UDP socket bound for listening by this process or its descendants."""
    me = psutil.Process()
    found = set()
    for proc in [me, *me.children(recursive=True)]:
        try:
            name, connections = proc.name(), proc.net_connections(kind="inet")
        except psutil.Error:  # ended between the listing and the question
            continue
        for conn in connections:
            # TCP listens; an unconnected UDP socket receives from anyone: both count.
            receiving = conn.type == socket.SOCK_DGRAM and conn.laddr and not conn.raddr
            if conn.status == psutil.CONN_LISTEN or receiving:
                found.add((proc.pid, name, conn.laddr.ip, conn.laddr.port))
    return found


def on_loopback(address: str) -> bool:
    ip = ipaddress.ip_address(address.split("%", maxsplit=1)[0])
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    return ip.is_loopback


def beyond_loopback(before: set[Listener]) -> list[Listener]:
    return sorted(entry for entry in listeners() - before if not on_loopback(entry[2]))


def model_cases() -> Iterator[tuple[str, str | None]]:
    available = multiprocessing.get_all_start_methods()
    for name, spec in MODELS.items():
        methods = [m for m in spec.start_methods if m in available] or [None]
        for method in methods if spec.uses_processes else [None]:
            yield name, method


@pytest.mark.parametrize(("model", "method"), list(model_cases()))
def test_no_executor_listens_beyond_loopback(model: str, method: str | None) -> None:
    if reason := unavailable_models().get(model):
        pytest.skip(f"{model}: {reason}")
    spec = MODELS[model]
    before = listeners()
    executor = open_executor(model, 2, method)
    try:
        task, args = (asyncio.sleep, [(0,), (0,)]) if spec.is_async else (abs, [(-1,), (-2,)])
        executor.run(task, args)  # the workers are up and have worked
        assert beyond_loopback(before) == []
        if spec.isolation.value == "remote":  # a cluster: it does listen, on loopback
            assert listeners() - before
    finally:
        executor.close()


def test_the_tcp_server_listens_on_loopback_only() -> None:
    before = listeners()
    with tcp_server() as address:
        assert listeners() - before, address
        assert beyond_loopback(before) == []


def test_the_http_server_listens_on_loopback_only() -> None:
    pytest.importorskip("aiohttp")
    from bench.families.http.measure import http_server

    before = listeners()
    with http_server() as (address, _pid):
        assert listeners() - before, address
        assert beyond_loopback(before) == []


def test_the_probe_sees_a_listener_on_every_interface() -> None:
    """The check itself: a socket bound to all interfaces is caught, one on loopback not."""
    before = listeners()
    with socket.socket() as everywhere, socket.socket() as local:
        everywhere.bind(("0.0.0.0", 0))  # what the check must catch
        everywhere.listen()
        local.bind(("127.0.0.1", 0))
        local.listen()
        caught = beyond_loopback(before)
        port = everywhere.getsockname()[1]
    assert [entry[2:] for entry in caught] == [("0.0.0.0", port)]
