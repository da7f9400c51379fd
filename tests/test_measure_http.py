"""HTTP at scale: the aiohttp server, the client libraries, percentiles, failures by kind,
and nothing left behind (bench.families.http.server, http_clients, bench.families.http.measure)."""

from __future__ import annotations

import contextlib
import errno
import json
import os
import random
import resource
import socket
import subprocess
import sys
import threading
import time
import urllib.request
from collections.abc import Iterator

import numpy as np
import pandas as pd
import psutil
import pytest
from helpers_waiting import CHILD_RUN_S, SOON_S, reaped, wait_until

from bench.cases import Case
from bench.families.catalogue import FAMILIES, MEASURES, PROFILES
from bench.families.http import clients as http_clients
from bench.families.http import measure as http
from bench.families.http.claims import achieved_in_flight, asyncio_scales_connections
from bench.families.http.clients import CLIENTS, ERROR_KINDS, RUNNERS, error_kind, percentile
from bench.families.http.figures import http_groups, make_http
from bench.families.http.tables import in_flight_table
from bench.report.claims import DOES_NOT_HOLD, HOLDS, INCONCLUSIVE, NO_DATA
from bench.report.tables import NO_DATA as NO_DATA_TABLE

KIB = 1 << 10


@pytest.fixture(scope="module")
def server() -> Iterator[tuple[str, int]]:
    with http.http_server() as found:
        yield found


def get(url: str) -> tuple[int, bytes, float]:
    start = time.perf_counter()
    try:
        with urllib.request.urlopen(url, timeout=SOON_S) as response:
            return response.status, response.read(), time.perf_counter() - start
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read(), time.perf_counter() - start


# --- the server ----------------------------------------------------------------------------


@pytest.mark.parametrize(("service_ms", "nbytes"), [(100, KIB), (10, 100 * KIB), (0, 0)])
def test_the_server_answers_after_its_latency_with_its_payload(
    server: tuple[str, int], service_ms: int, nbytes: int
) -> None:
    status, body, seconds = get(http_clients.url_for(server[0], service_ms, nbytes))
    assert status == 200
    assert body == b"x" * nbytes
    assert seconds >= service_ms / 1000  # a lower bound: never a timing asserted from above


def test_the_server_refuses_what_is_out_of_range(server: tuple[str, int]) -> None:
    status, _, _ = get(f"http://{server[0]}/?ms=-1&bytes=10")
    assert status == 400
    status, _, _ = get(f"http://{server[0]}/?ms=0&bytes={(16 << 20) + 1}")
    assert status == 400


def test_the_server_is_gone_when_its_context_ends() -> None:
    with http.http_server() as (address, pid):
        assert get(http_clients.url_for(address, 0, 1))[0] == 200
    with pytest.raises(ProcessLookupError):
        os.kill(pid, 0)
    host, port = address.rsplit(":", 1)
    with pytest.raises(OSError), socket.create_connection((host, int(port)), timeout=2):
        pass


def test_the_server_stops_when_the_case_that_started_it_is_killed() -> None:
    """A case killed outright (SIGKILL: no finally runs) closes the server's standard
    input, and the server stops on its own (the runner also kills the case's group)."""
    code = (
        "import time; from bench.families.http import measure as http\n"
        "with http.http_server() as (address, pid):\n"
        "    print(pid, flush=True); time.sleep(120)\n"
    )
    case = subprocess.Popen(
        [sys.executable, "-c", code], stdout=subprocess.PIPE, text=True,
        env=http.child_environment(), start_new_session=True,
    )  # fmt: skip

    def server_ended() -> bool:
        """Gone, or a zombie its new parent has yet to reap (it was never ours to reap)."""
        try:
            return psutil.Process(server_pid).status() == psutil.STATUS_ZOMBIE
        except psutil.NoSuchProcess:
            return True

    with reaped(case):
        assert case.stdout is not None
        server_pid = int(case.stdout.readline())
        case.kill()
        case.wait()
        try:
            wait_until(server_ended, "the server to stop once the case that started it died")
        finally:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(case.pid, 9)


# --- the clients ---------------------------------------------------------------------------


@pytest.mark.parametrize("client", list(CLIENTS))
def test_each_client_gets_every_body_right(server: tuple[str, int], client: str) -> None:
    url = http_clients.url_for(server[0], 5, 2 * KIB)
    batch = RUNNERS[client](url, 12, 4, 2 * KIB, 10.0, 30.0)
    assert not batch.errors
    assert len(batch.latencies) == 12
    assert all(latency >= 0.005 for latency in batch.latencies)


@pytest.mark.parametrize("client", ["requests_threads", "aiohttp"])
def test_a_body_of_the_wrong_length_is_a_bad_response(server: tuple[str, int], client: str) -> None:
    url = http_clients.url_for(server[0], 0, KIB)
    batch = RUNNERS[client](url, 5, 2, KIB + 1, 10.0, 30.0)
    assert batch.errors == {"bad_response": 5}
    assert not batch.latencies


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])  # nothing listens once it is closed


@pytest.mark.parametrize("client", list(CLIENTS))
def test_a_refused_connection_is_counted_not_raised(client: str) -> None:
    url = http_clients.url_for(f"127.0.0.1:{closed_port()}", 0, KIB)
    batch = RUNNERS[client](url, 6, 3, KIB, 5.0, 30.0)
    assert batch.errors == {"connection_refused": 6}


def test_requests_past_the_deadline_are_counted_as_such(server: tuple[str, int]) -> None:
    url = http_clients.url_for(server[0], 3000, 1)
    for client in ("requests_threads", "aiohttp"):
        batch = RUNNERS[client](url, 4, 2, 1, 10.0, 0.2)
        assert batch.errors == {"deadline": 4}, client


def test_an_emfile_is_recorded_in_a_child_with_few_files(server: tuple[str, int]) -> None:
    """A client child whose open-file limit is 40 sends 200 requests, 200 in flight: the
    sockets past the limit fail with EMFILE, and the batch says so instead of crashing."""

    def few_files() -> None:
        resource.setrlimit(resource.RLIMIT_NOFILE, (40, 40))

    url = http_clients.url_for(server[0], 200, 16)
    for client in ("requests_threads", "aiohttp"):
        proc = subprocess.run(
            [sys.executable, "-m", "bench.families.http.clients", "--client", client,
             "--url", url, "--requests", "200", "--concurrency", "200", "--bytes", "16",
             "--deadline", f"{SOON_S:g}"],
            capture_output=True, text=True, timeout=CHILD_RUN_S, preexec_fn=few_files,
            env=http.child_environment(), check=False,
        )  # fmt: skip
        assert proc.returncode == 0, proc.stderr[-2000:]
        result = json.loads(proc.stdout.strip().splitlines()[-1])
        assert result["errors"].get("emfile", 0) > 0, (client, result["errors"])
        assert len(result["latencies"]) + sum(result["errors"].values()) == 200


@pytest.mark.parametrize(
    ("exc", "kind"),
    [
        (OSError(errno.EMFILE, "Too many open files"), "emfile"),
        (ConnectionRefusedError(errno.ECONNREFUSED, "Connection refused"), "connection_refused"),
        (TimeoutError("timed out"), "timeout"),
        (ValueError("something else"), "other"),
    ],
)
def test_error_kinds_are_found_inside_the_exceptions_that_wrap_them(
    exc: BaseException, kind: str
) -> None:
    assert error_kind(exc) == kind
    wrapper = RuntimeError("a library's own error")
    wrapper.__cause__ = exc
    assert error_kind(wrapper) == kind
    assert error_kind(RuntimeError("outer", RuntimeError("inner", exc))) == kind


def test_requests_wraps_its_errors_and_they_are_still_found() -> None:
    import requests

    url = http_clients.url_for(f"127.0.0.1:{closed_port()}", 0, 1)
    with pytest.raises(requests.ConnectionError) as caught:
        requests.get(url, timeout=SOON_S)
    assert error_kind(caught.value) == "connection_refused"


# --- percentiles ---------------------------------------------------------------------------


def test_percentiles_of_known_data() -> None:
    assert percentile([1.0, 2.0, 3.0, 4.0], 50) == 2.5
    assert percentile([5.0], 99) == 5.0
    assert percentile([float(v) for v in range(1, 101)], 99) == pytest.approx(99.01)
    assert percentile([3.0, 1.0, 2.0], 0) == 1.0
    assert percentile([3.0, 1.0, 2.0], 100) == 3.0
    with pytest.raises(ValueError):
        percentile([], 50)
    with pytest.raises(ValueError):
        percentile([1.0], 101)


def test_percentiles_agree_with_numpy_on_synthetic_latencies() -> None:
    rng = random.Random(14)
    for n in (2, 7, 100, 4096):
        values = [rng.lognormvariate(-4, 1) for _ in range(n)]
        for q in (50, 90, 99, 99.9):
            assert percentile(values, q) == pytest.approx(float(np.percentile(values, q)))


# --- the measure ---------------------------------------------------------------------------


def http_case(client: str, workers: int = 16, service_ms: int = 10) -> Case:
    return Case("http", "http", f"{service_ms}ms", service_ms, workers, client, workers,
                measure="http", payload=KIB)  # fmt: skip


def test_the_measure_records_every_metric_and_leaves_nothing(children) -> None:
    threads_before = threading.active_count()
    results = {m.metric: m for m in http.measure(http_case("requests_processes", 8), repeat=2)}
    assert threading.active_count() == threads_before
    assert not children.left()
    expected = {"requests_per_second", "batch_seconds", "requests_succeeded",
                "p50_latency_seconds", "p99_latency_seconds", "peak_rss_bytes", "errors",
                "client_cpu_seconds", "open_files_limit", "mean_in_flight", "peak_in_flight",
                *(f"errors_{kind}" for kind in ERROR_KINDS)}  # fmt: skip
    assert expected <= set(results)
    assert all(len(m.values) == 2 for k, m in results.items() if k != "open_files_limit")
    assert results["requests_succeeded"].values == [http.requests_for(8)] * 2
    assert results["errors"].values == [0, 0]
    assert results["peak_rss_bytes"].fits_pyperf
    p50, p99 = results["p50_latency_seconds"].values, results["p99_latency_seconds"].values
    assert all(0.01 <= a <= b for a, b in zip(p50, p99, strict=True))
    assert results["open_files_limit"].values[0] >= 64
    # the requests really in flight: on average at most the most at once, which the
    # configured concurrency bounds (two processes, each with its share: 4 + 4)
    for mean, peak in zip(
        results["mean_in_flight"].values, results["peak_in_flight"].values, strict=True
    ):
        assert 0 < mean <= peak <= 8
    assert results["requests_per_second"].params["concurrency"] == 8


@pytest.mark.skipif(sys.version_info < (3, 13), reason="no audit event for a thread start")
def test_threads_created_are_counted_where_the_interpreter_says_so() -> None:
    results = {m.metric: m for m in http.measure(http_case("httpx_threads", 8))}
    assert results["threads_created"].values[0] >= 1


def test_the_measure_raises_the_open_file_limit_to_the_hard_limit() -> None:
    code = (
        "import resource; from bench.families.http import measure as http; "
        "print(http.raise_open_files_limit(), resource.getrlimit(resource.RLIMIT_NOFILE)[0])"
    )

    def low_soft_limit() -> None:
        hard = resource.getrlimit(resource.RLIMIT_NOFILE)[1]
        resource.setrlimit(resource.RLIMIT_NOFILE, (64, hard))

    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True,
        preexec_fn=low_soft_limit, env=http.child_environment(),
    ).stdout.split()  # fmt: skip
    hard = resource.getrlimit(resource.RLIMIT_NOFILE)[1]
    wanted = http.NOFILE_WANTED if hard == resource.RLIM_INFINITY else hard
    assert int(out[0]) == int(out[1]) == wanted


def test_requests_per_batch_are_a_few_waves_never_fewer_than_in_flight() -> None:
    for workers in (1, 16, 64, 256, 1024, 4096, 10_000):
        n = http.requests_for(workers)
        assert n >= workers
        assert n >= http.MIN_REQUESTS
    assert http.requests_for(4096) == 4096


def test_an_unknown_client_is_refused() -> None:
    with pytest.raises(ValueError, match="unknown client"):
        http.measure(http_case("curl"))


def test_a_missing_library_is_an_outcome_not_a_crash(monkeypatch: pytest.MonkeyPatch) -> None:
    real = http.importlib.util.find_spec
    monkeypatch.setattr(
        http.importlib.util, "find_spec", lambda name: None if name == "httpx" else real(name)
    )
    (only,) = http.measure(http_case("httpx_async"))
    assert only.metric == "unavailable"
    assert only.unit == "text"
    assert "httpx" in only.values[0]


# --- the matrix ----------------------------------------------------------------------------


def standard_cases() -> list[Case]:
    return [c for c in PROFILES["standard"].cases() if c.measure == "http"]


def test_the_http_families_and_profiles() -> None:
    assert "http" in MEASURES
    family = FAMILIES["http_1KiB"]
    assert set(family.models) == set(CLIENTS)
    smoke = [c for c in PROFILES["smoke"].cases() if c.measure == "http"]
    assert {(c.model, c.workers, c.size_label, c.payload) for c in smoke} == {
        ("requests_threads", 16, "10ms", KIB),
        ("aiohttp", 16, "10ms", KIB),
    }
    quick = [c for c in PROFILES["quick"].cases() if c.measure == "http"]
    assert {c.workers for c in quick} == {16, 64, 256}
    # quick: one threaded and one asyncio client (standard has every main client)
    assert {c.model for c in quick} == {"requests_threads", "aiohttp"}
    assert {c.model for c in standard_cases()} >= set(http_clients.MAIN_CLIENTS)
    assert {(c.size_label, c.payload) for c in quick} == {("10ms", KIB)}
    standard = [c for c in PROFILES["standard"].cases() if c.measure == "http"]
    assert max(c.workers for c in standard) == 4096
    assert {c.payload for c in standard} == {KIB, 100 * KIB}
    assert all(c.start_method is None for c in standard)


# --- the claim and the figure --------------------------------------------------------------


def http_frame(
    rss: dict[str, list[float]],
    *,
    workers: int = 4096,
    failed: dict[str, int] | None = None,
    in_flight: dict[str, float] | None = None,
) -> pd.DataFrame:
    """Tidy rows of the HTTP measure: per client, one peak RSS per round, no failures
    unless ``failed`` says (per round), 100 requests per round, and ``in_flight[client]``
    requests really in flight (measured; 70 % of ``workers`` by default)."""
    rows = []
    for client, values in rss.items():
        kept = (in_flight or {}).get(client, 0.7 * workers)
        for round_no, value in enumerate(values, 1):
            bad = (failed or {}).get(client, 0)
            for metric, v in (("peak_rss_bytes", value), ("errors", bad),
                              ("requests_succeeded", 100 - bad),
                              ("requests_per_second", 1000.0),
                              ("p50_latency_seconds", 0.01),
                              ("p99_latency_seconds", 0.05),
                              ("mean_in_flight", kept)):  # fmt: skip
                rows.append({
                    "machine": "m", "interpreter": "cpython-3.13", "run_id": "r1",
                    "round": round_no, "measure": "http", "family": "http",
                    "group": "http:http[10ms] payload=1KiB", "model": client,
                    "workers": workers, "metric": metric, "value": float(v),
                })  # fmt: skip
    return pd.DataFrame(rows)


MIB = float(1 << 20)


def test_the_claim_holds_when_asyncio_uses_clearly_less_memory() -> None:
    frame = http_frame({
        "requests_threads": [300 * MIB, 310 * MIB, 305 * MIB],
        "aiohttp": [100 * MIB, 101 * MIB, 99 * MIB],
        "httpx_async": [120 * MIB, 118 * MIB, 121 * MIB],
    })  # fmt: skip
    verdict = asyncio_scales_connections(frame)
    assert verdict.verdict == HOLDS, verdict.evidence
    assert verdict.figures["clients"]["aiohttp"]["workers"] == 4096


def test_the_claim_fails_when_asyncio_drops_requests_or_uses_more() -> None:
    more = http_frame({"requests_threads": [60 * MIB, 61 * MIB, 62 * MIB],
                       "aiohttp": [100 * MIB, 101 * MIB, 99 * MIB]})  # fmt: skip
    assert asyncio_scales_connections(more).verdict == DOES_NOT_HOLD
    dropped = http_frame(
        {"requests_threads": [300 * MIB] * 3, "aiohttp": [100 * MIB, 101 * MIB, 99 * MIB]},
        failed={"aiohttp": 20},
    )
    verdict = asyncio_scales_connections(dropped)
    assert verdict.verdict == DOES_NOT_HOLD
    assert "failed" in verdict.evidence


def test_the_claim_is_inconclusive_between_thresholds_and_has_no_data_below_thousands() -> None:
    close = http_frame({"requests_threads": [110 * MIB, 111 * MIB, 112 * MIB],
                        "aiohttp": [100 * MIB, 100.5 * MIB, 101 * MIB]})  # fmt: skip
    assert asyncio_scales_connections(close).verdict == INCONCLUSIVE
    low = http_frame({"requests_threads": [300 * MIB] * 2, "aiohttp": [100 * MIB] * 2},
                     workers=256)  # fmt: skip
    verdict = asyncio_scales_connections(low)
    assert verdict.verdict == NO_DATA
    assert "256" in verdict.evidence
    assert asyncio_scales_connections(http_frame({})).verdict == NO_DATA


def test_clients_are_compared_at_equal_requests_really_in_flight() -> None:
    """Issue 23: at a setting of 4,096 the threaded client (156 threads) kept about 43
    requests in flight (1,125 req/s x p50 38.5 ms) and aiohttp about 2,800, so its
    smaller RSS (46 MiB against 94 MiB) was no evidence against asyncio. At equal
    requests in flight (aiohttp at a setting of 64 kept 52) the threads take more."""
    threads = {4096: (46 * MIB, 1125.0, 0.0385), 64: (32 * MIB, 970.0, 0.0172)}
    aiohttp = {4096: (94 * MIB, 3360.0, 0.834), 64: (36.5 * MIB, 2677.0, 0.0196)}
    rows = []
    for client, settings in (("requests_threads", threads), ("aiohttp", aiohttp)):
        for workers, (rss, rate, p50) in settings.items():
            part = http_frame({client: [rss * f for f in (1.0, 1.01, 0.99)]}, workers=workers)
            part = part[part["metric"] != "mean_in_flight"]  # recorded before it was measured
            part.loc[part["metric"] == "requests_per_second", "value"] = rate
            part.loc[part["metric"] == "p50_latency_seconds", "value"] = p50
            rows.append(part)
    verdict = asyncio_scales_connections(pd.concat(rows, ignore_index=True))
    assert verdict.verdict == HOLDS, verdict.evidence  # the old rule said "does not hold"
    aio = verdict.figures["clients"]["aiohttp"]
    assert (aio["threads_workers"], aio["async_workers"]) == (4096, 64)
    assert aio["threads_in_flight"] == pytest.approx(1125 * 0.0385)
    assert aio["value"] == pytest.approx(46 / 36.5, rel=0.02)
    assert "requests + threads kept at most 43 in flight (4,096 configured)" in verdict.evidence
    assert "the threads never kept 1,024 in flight" in verdict.evidence
    assert "throughput x median latency" in verdict.evidence


def test_what_a_client_kept_in_flight_is_measured_where_recorded() -> None:
    frame = http_frame(
        {"requests_threads": [300 * MIB] * 3, "aiohttp": [100 * MIB] * 3},
        in_flight={"requests_threads": 1500.0, "aiohttp": 3000.0},
    )
    achieved = achieved_in_flight(frame)
    assert set(achieved["how"]) == {"measured"}  # not Little's law: 1000 req/s x 10 ms
    assert set(achieved["value"]) == {1500.0, 3000.0}
    short = http_frame(
        {"requests_threads": [300 * MIB] * 3, "aiohttp": [100 * MIB] * 3},
        in_flight={"aiohttp": 600.0},
    )
    verdict = asyncio_scales_connections(short)
    assert verdict.verdict == INCONCLUSIVE
    assert "aiohttp (asyncio) never had 1,024 requests in flight" in verdict.evidence


def test_the_table_puts_requests_really_in_flight_beside_the_setting() -> None:
    frame = http_frame(
        {"requests_threads": [300 * MIB, 310 * MIB], "aiohttp": [100 * MIB] * 2},
        in_flight={"requests_threads": 43.0, "aiohttp": 2800.0},
    )
    text = in_flight_table(frame)
    threads = next(line for line in text.splitlines() if "requests + threads" in line)
    assert "| 4,096 | 43 | 2 | measured |" in threads
    assert "2,800" in next(line for line in text.splitlines() if "aiohttp" in line)
    assert in_flight_table(frame.iloc[0:0]) == NO_DATA_TABLE


def test_the_figure_draws_a_panel_per_metric_and_says_the_memory() -> None:
    frame = http_frame({"requests_threads": [300 * MIB, 310 * MIB], "aiohttp": [100 * MIB] * 2})
    frame = pd.concat([frame, http_frame({"requests_threads": [30 * MIB] * 2,
                                          "aiohttp": [40 * MIB] * 2}, workers=16)])  # fmt: skip
    (group,) = http_groups(frame)
    made = make_http(frame, group)
    assert made is not None
    fig, alt = made
    assert len(fig.axes) == 3
    assert "4,096 configured in flight" in alt
    assert "aiohttp (asyncio) 100 MiB" in alt
    assert make_http(frame.iloc[0:0], group) is None
