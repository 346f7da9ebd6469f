"""The run command's gunicorn worker (gateway/serving.py) on the embedded default, SQLite
and no Redis: a browser waiting on its QR login holds no server thread, so a gateway with
two threads keeps forty browsers waiting, answers everyone else, and each waiting browser
still hears its phone. Nor does a client that sends nothing or half a request: with two
threads, hundreds of them leave /healthz and a QR login as fast as ever, a head still
incomplete after the header timeout is closed, and past the bound on connections held a
new one is refused at once (503) instead of waiting. Streams have bounds (per login, and
in all no more than the worker parks), so no number of them takes the server down."""

from __future__ import annotations

import socket
import time
from urllib.parse import urlsplit

import pytest
import requests

from gateway import create_app
from gateway.core.settings import Settings
from tests import slow_clients
from tests.cluster import Cluster
from tests.qr_client import (
    PASSWORD,
    WAIT,
    EventStream,
    complete_login,
    proof,
    publish_first_policy,
    sign_in_phone,
    start_login,
)

WAITING = 40
THREADS = 2
IDLE, SLOWLORIS, SLOW_SECOND = 200, 90, 10  # clients holding connections, each kind
HEALTH_CHECKS = 20
FAST_MS = 1000.0  # loose on a shared machine: without the fix /healthz never answers
STRICT_BOUND = 20  # connections held by the strict instance
STRICT_TIMEOUT = 1.0  # its header timeout, seconds


@pytest.fixture(scope="module")
def cluster(tmp_path_factory):
    folder = tmp_path_factory.mktemp("serving")
    # Every browser here comes from 127.0.0.1: the streams per address are raised past the
    # bound in all, which the worker lowers to its parked streams (THREADS + 100).
    cluster = Cluster(folder, f"sqlite:///{folder / 'gateway.sqlite3'}", "",
                      GATEWAY_RATE_LIMITS_ENABLED="false", GATEWAY_STREAMS_PER_ADDRESS="1000")
    app = None
    try:
        cluster.init()
        app = create_app(Settings.from_environ(cluster.env))
        svc = app.extensions["gateway"]
        svc.identity.accounts.create_user(username="alice", password=PASSWORD)
        publish_first_policy(svc.store, svc.clock)
        yield cluster
    finally:
        cluster.close()
        if app is not None:
            app.extensions["gateway"].store.dispose()


@pytest.fixture(scope="module")
def gateway(cluster):
    instance = cluster.gateway("gateway", port=cluster.public_port, threads=THREADS)
    cluster.ready(instance)
    return instance.url


@pytest.fixture(scope="module")
def guarded(cluster):
    """An instance as the run command starts it (push worker inside), with two threads
    and room for the slow clients; their heads would time out only after the test."""
    cluster.env.update(GATEWAY_HEADER_TIMEOUT_SECONDS="60", GATEWAY_PUSH_WORKER="embedded")
    try:
        instance = cluster.gateway("guarded", threads=THREADS,
                                   connections=IDLE + SLOWLORIS + SLOW_SECOND + 100)
    finally:
        cluster.env.update(GATEWAY_PUSH_WORKER="external")
        del cluster.env["GATEWAY_HEADER_TIMEOUT_SECONDS"]
    cluster.ready(instance)
    return instance.url


@pytest.fixture(scope="module")
def strict(cluster):
    """An instance holding few connections, with a short header timeout."""
    cluster.env["GATEWAY_HEADER_TIMEOUT_SECONDS"] = str(STRICT_TIMEOUT)
    try:
        instance = cluster.gateway("strict", threads=THREADS, connections=STRICT_BOUND)
    finally:
        del cluster.env["GATEWAY_HEADER_TIMEOUT_SECONDS"]
    cluster.ready(instance)
    return instance.url


def _address(url: str) -> tuple[str, int]:
    parts = urlsplit(url)
    return parts.hostname, parts.port


def test_browsers_waiting_hold_no_thread_and_each_hears_its_phone(gateway):
    phone = requests.Session()
    key = sign_in_phone(phone, gateway, "alice")
    streams, logins = [], []
    try:
        for _ in range(WAITING):  # twenty times the threads
            desktop = requests.Session()
            logins.append(start_login(desktop, gateway))
            streams.append(EventStream(desktop, f"{gateway}{logins[-1]['wait']['events']}"))
        assert [stream.next()[0] for stream in streams] == ["pending"] * WAITING
        assert requests.get(f"{gateway}/healthz", timeout=WAIT).status_code == 200

        for index in (0, WAITING - 1):  # the first to wait and the last
            login, stream = logins[index], streams[index]
            token = login["qr"].rsplit("/", 1)[1]
            scanned = phone.post(f"{gateway}/api/v1/qr-logins/scan", json={"token": token},
                                 timeout=WAIT)
            assert scanned.status_code == 200, scanned.text
            name, data, _ = stream.next()
            assert name == "scanned"
            sent = time.perf_counter()
            confirmed = phone.post(
                f"{gateway}/api/v1/qr-logins/{login['id']}/confirm", timeout=WAIT,
                json={"number": data["number"],
                      "proof": proof(key, login["id"], data["number"])})
            assert confirmed.status_code == 200, confirmed.text
            name, _, seen = stream.next()
            assert name == "confirmed" and seen - sent < 2.0
            assert stream.next()[0] == "closed"  # the answer ended cleanly
        # The others still wait, untouched.
        assert all(stream.events.empty() for stream in streams[1:-1])
    finally:
        for stream in streams:
            stream.close()


def test_silent_and_slow_clients_hold_no_thread(guarded):
    address = _address(guarded)
    held = []
    try:
        held += slow_clients.idle(address, IDLE)
        held += slow_clients.slowloris(address, SLOWLORIS)
        held += slow_clients.slow_second_request(address, SLOW_SECOND)
        # A hundred and fifty times the threads, and every one of them still open.
        answers = [slow_clients.timed_get(address, "/healthz", timeout=5)
                   for _ in range(HEALTH_CHECKS)]
        assert [status for status, _ in answers] == [200] * HEALTH_CHECKS
        assert max(ms for _, ms in answers) < FAST_MS, answers
        complete_login(guarded, "alice")
    finally:
        slow_clients.close_all(held)


def _closed_by_server(sock: socket.socket, deadline: float) -> bool:
    sock.settimeout(max(0.01, deadline - time.monotonic()))
    try:
        return sock.recv(1) == b""
    except TimeoutError:
        return False
    except ConnectionResetError:
        return True


def test_past_the_bound_a_new_connection_is_refused_at_once(strict):
    address = _address(strict)
    held = []
    try:
        held += slow_clients.idle(address, STRICT_BOUND - 4)
        # The listen queue is first come, first served: these are held before the next.
        held += slow_clients.slowloris(address, 4)
        status, ms = slow_clients.timed_get(address, "/healthz", timeout=5)
        assert status == 503 and ms < FAST_MS, (status, ms)
    finally:
        slow_clients.close_all(held)


def _served_again(address, seconds: float = 10) -> bool:
    """Whether /healthz answers 200 within *seconds*: connections a test closed on its side
    leave the server's count once it notices."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if slow_clients.timed_get(address, "/healthz", timeout=5)[0] == 200:
            return True
    return False


def test_a_head_still_incomplete_after_the_header_timeout_is_closed(strict):
    address = _address(strict)
    assert _served_again(address)
    held = []
    try:
        held += slow_clients.idle(address, 5)
        held += slow_clients.slowloris(address, 5)
        opened = time.monotonic()
        # The poller looks once a second; the rest is room for a busy machine. Without a
        # header timeout, gunicorn closes a silent one after 10 s, a slow one never.
        deadline = opened + STRICT_TIMEOUT + 5
        assert all(_closed_by_server(sock, deadline) for sock in held)
        # The connections are free again for everyone else.
        assert slow_clients.timed_get(address, "/healthz", timeout=5)[0] == 200
    finally:
        slow_clients.close_all(held)


def test_a_refused_body_closes_the_connection_and_says_so(gateway):
    """A 413 leaves the body unread; the connection cannot carry another request, and the
    answer says so instead of announcing keep-alive."""
    with socket.create_connection(_address(gateway), timeout=WAIT) as sock:
        sock.sendall(b"POST /api/v1/qr-logins HTTP/1.1\r\nHost: x\r\n"
                     b"Content-Type: application/json\r\nContent-Length: 2000000\r\n\r\n")
        status, headers, body = slow_clients.read_answer(sock)
        assert status == 413 and headers["content-type"] == "application/problem+json"
        assert headers["connection"] == "close"
        assert _closed_by_server(sock, time.monotonic() + 3)


def test_a_head_too_large_is_refused_without_a_thread(strict):
    assert _served_again(_address(strict))
    with socket.create_connection(_address(strict), timeout=WAIT) as sock:
        sock.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\n" + b"X-Big: " + b"a" * 40_000)
        status, headers, body = slow_clients.read_answer(sock)
        assert status == 431 and headers["content-type"] == "application/problem+json"
        assert b"headers-too-large" in body and headers["connection"] == "close"


def test_pipelined_and_kept_alive_requests_are_all_answered(gateway):
    """Heads read ahead with an earlier request, or arriving in pieces on a kept-alive
    connection, reach the app whole."""
    with socket.create_connection(_address(gateway), timeout=WAIT) as sock:
        sock.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n" * 2 + b"GET /healthz HT")
        assert slow_clients.read_answer(sock)[0] == 200
        assert slow_clients.read_answer(sock)[0] == 200
        sock.sendall(b"TP/1.1\r\nHost: x\r\n")
        sock.sendall(b"\r\n")
        assert slow_clients.read_answer(sock)[0] == 200


def test_a_parked_stream_says_its_connection_closes_after_it(gateway):
    """The hub closes the connection after the closing chunk; an answer announcing
    keep-alive would send the client's next request on that connection into a reset."""
    desktop = requests.Session()
    url = f"{gateway}{start_login(desktop, gateway)['wait']['events']}"
    answer = desktop.get(url, timeout=(5, 30), stream=True)
    try:
        assert answer.status_code == 200
        assert answer.headers["Connection"].lower() == "close"
    finally:
        answer.close()


def refused(response, status: int, slug: str) -> None:
    assert response.status_code == status, response.text
    assert response.headers["Content-Type"] == "application/problem+json"
    assert response.json()["type"].endswith(slug)
    assert int(response.headers["Retry-After"]) > 0


def healthy(gateway) -> list[int]:
    return [requests.get(f"{gateway}/healthz", timeout=WAIT).status_code for _ in range(10)]


def test_one_login_gets_a_handful_of_streams_and_the_server_stays_responsive(gateway):
    desktop = requests.Session()
    url = f"{gateway}{start_login(desktop, gateway)['wait']['events']}"
    streams = [EventStream(desktop, url) for _ in range(4)]
    try:
        assert [stream.next()[0] for stream in streams] == ["pending"] * 4
        for _ in range(200):  # the finding: thousands of streams on one anonymous login
            refused(desktop.get(url, timeout=WAIT), 429, "too-many-streams")
        assert healthy(gateway) == [200] * 10
        start_login(requests.Session(), gateway)  # new logins still start
    finally:
        for stream in streams:
            stream.close()


def test_past_the_bound_in_all_streams_are_refused_and_the_server_stays_responsive(gateway):
    held, answer = [], None
    try:
        for _ in range(THREADS + 150):  # more than the worker parks (THREADS + 100)
            desktop = requests.Session()
            url = f"{gateway}{start_login(desktop, gateway)['wait']['events']}"
            answer = desktop.get(url, timeout=(5, 30), stream=True)
            if answer.status_code != 200:
                break
            held.append(answer)  # a browser that keeps its stream open
        refused(answer, 503, "streams-full")
        assert len(held) <= THREADS + 100
        assert healthy(gateway) == [200] * 10
        assert all(b"event: pending" in next(answer.iter_content(None)) for answer in held)
    finally:
        for answer in held:  # (reading the first frames closed most of them already)
            sock = getattr(getattr(answer.raw, "_connection", None), "sock", None)
            if sock is not None:
                sock.shutdown(socket.SHUT_RDWR)  # as a browser closing its tab
            answer.close()
