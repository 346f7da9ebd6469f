"""The run command's gunicorn worker (gateway/serving.py) on the embedded default, SQLite
and no Redis: a browser waiting on its QR login holds no server thread, so a gateway with
two threads keeps forty browsers waiting, answers everyone else, and each waiting browser
still hears its phone. Streams have bounds (per login, and in all no more than the worker
parks), so no number of them takes the server down."""

from __future__ import annotations

import socket
import time

import pytest
import requests

from gateway import accounts, create_app
from gateway.settings import Settings
from tests.cluster import Cluster
from tests.qr_client import PASSWORD, WAIT, EventStream, proof, sign_in_phone, start_login

WAITING = 40
THREADS = 2


@pytest.fixture(scope="module")
def gateway(tmp_path_factory):
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
        accounts.create_user(svc.store, svc.clock, svc.passwords, username="alice",
                             password=PASSWORD)
        instance = cluster.gateway("gateway", port=cluster.public_port, threads=THREADS)
        cluster.ready(instance)
        yield instance.url
    finally:
        cluster.close()
        if app is not None:
            app.extensions["gateway"].store.dispose()


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
