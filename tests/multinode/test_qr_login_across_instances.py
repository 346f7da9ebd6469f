"""Scan to log in across two gateway instances: the desktop browser waits on one, the phone
acts on the other, and the events travel through Redis. Also: the state cache of the
instance the browser polls never hides a move made on the other one."""

from __future__ import annotations

import inspect
import queue
import threading
import time

import jwt
import pytest

from gateway.qrlogin.state_cache import StateCache
from tests.multinode_support import browser, needs_cluster
from tests.qr_client import (
    PASSWORD,
    WAIT,
    EventStream,
    proof,
    publish_first_policy,
    sign_in_phone,
    start_login,
    status,
)

pytestmark = [pytest.mark.multinode, needs_cluster]


@pytest.fixture(scope="module")
def alice(running):
    svc = running.svc
    publish_first_policy(svc.store, svc.clock)
    return svc.identity.accounts.create_user(username="alice", password=PASSWORD)


def test_desktop_waiting_on_a_sees_the_phone_confirm_on_b_and_redeems_on_a(
        running, alice, record_property):
    a, b = running.a.url, running.b.url
    desktop, phone = browser(), browser()
    key = sign_in_phone(phone, b, "alice")
    login = start_login(desktop, a)
    stream = EventStream(desktop, f"{a}{login['wait']['events']}")
    try:
        assert stream.next()[0] == "pending"
        assert status(desktop, a, login["id"])["state"] == "pending"  # now in A's cache

        token = login["qr"].rsplit("/", 1)[1]
        scanned = phone.post(f"{b}/api/v1/qr-logins/scan", json={"token": token}, timeout=WAIT)
        assert scanned.status_code == 200, scanned.text
        name, data, _ = stream.next()
        assert name == "scanned" and data["number"] in scanned.json()["choices"]
        # The event reached A through Redis, and A's cache tap dropped the stale entry
        # before the stream saw it: the status read on A says so at once.
        assert status(desktop, a, login["id"])["state"] == "scanned"

        sent = time.perf_counter()
        confirmed = phone.post(f"{b}/api/v1/qr-logins/{login['id']}/confirm", timeout=WAIT,
                               json={"number": data["number"],
                                     "proof": proof(key, login["id"], data["number"])})
        returned = time.perf_counter()
        assert confirmed.status_code == 200, confirmed.text
        name, _, seen = stream.next()
        assert name == "confirmed"
        assert stream.next()[0] == "closed"  # a final state ends the stream
    finally:
        stream.close()
    latency_ms = max(0.0, seen - returned) * 1000
    record_property("confirm_on_b_to_event_on_a_ms", round(latency_ms, 1))
    print(f"\nconfirm on B -> event on A: {latency_ms:.1f} ms after B answered, "
          f"{(seen - sent) * 1000:.1f} ms after the phone sent it")
    assert seen - sent < 2.0  # an event, not the 15 s heartbeat's re-read

    redeemed = desktop.post(f"{a}/api/v1/qr-logins/{login['id']}/redeem", timeout=WAIT,
                            headers={"X-CSRF-Token": login["csrf_token"]})
    assert redeemed.status_code == 200, redeemed.text
    assertion = redeemed.json()["assertion"]
    # B publishes the same keys (one keys folder), so the BI server may ask either one.
    jwks = jwt.PyJWKSet.from_dict(phone.get(f"{b}/.well-known/jwks.json", timeout=WAIT).json())
    kid = jwt.get_unverified_header(assertion)["kid"]
    claims = jwt.decode(assertion, jwks[kid].key, algorithms=["ES256"], audience="bi-server",
                        issuer=running.cluster.env["GATEWAY_PUBLIC_URL"])
    assert claims["sub"] == alice.id and claims["amr"] == ["qr"]
    # The browser session made on A is good on B: sessions live in the shared store.
    session = desktop.get(f"{b}/api/v1/web/session", timeout=WAIT)
    assert session.status_code == 200, session.text
    assert session.json()["user"]["username"] == "alice"


def test_a_long_poll_on_b_answers_when_the_phone_denies_on_a(running, alice):
    a, b = running.a.url, running.b.url
    desktop, phone = browser(), browser()
    sign_in_phone(phone, a, "alice")
    login = start_login(desktop, b)
    token = login["qr"].rsplit("/", 1)[1]
    assert phone.post(f"{a}/api/v1/qr-logins/scan", json={"token": token},
                      timeout=WAIT).status_code == 200
    assert status(desktop, b, login["id"])["state"] == "scanned"

    answer: queue.Queue = queue.Queue()
    poll = threading.Thread(target=lambda: answer.put(desktop.get(
        f"{b}{login['wait']['poll']}", params={"known": "scanned", "seconds": 20},
        timeout=30)), daemon=True)
    poll.start()
    time.sleep(0.3)  # let the poll reach B and wait there (had it not, it answers at once)
    denied = phone.post(f"{a}/api/v1/qr-logins/{login['id']}/deny", json={}, timeout=WAIT)
    assert denied.status_code == 200, denied.text
    started = time.perf_counter()
    response = answer.get(timeout=WAIT)
    assert response.status_code == 200, response.text
    assert response.json()["state"] == "denied"
    assert time.perf_counter() - started < 2.0  # woken by the event, not the poll's end


def test_a_status_read_on_a_never_lags_a_scan_on_b_by_more_than_the_cache_ttl(running, alice):
    ttl = inspect.signature(StateCache).parameters["ttl"].default.total_seconds()
    a, b = running.a.url, running.b.url
    desktop, phone = browser(), browser()
    sign_in_phone(phone, b, "alice")
    login = start_login(desktop, a)
    assert status(desktop, a, login["id"])["state"] == "pending"  # cached on A
    token = login["qr"].rsplit("/", 1)[1]
    assert phone.post(f"{b}/api/v1/qr-logins/scan", json={"token": token},
                      timeout=WAIT).status_code == 200
    answered = time.perf_counter()
    while (state := status(desktop, a, login["id"])["state"]) == "pending":
        assert time.perf_counter() - answered < ttl + 0.5, "A's cache hid B's move"
    assert state == "scanned"


def test_two_hundred_browsers_wait_on_one_instance_and_the_last_still_hears_its_phone(
        running, alice):
    # More browsers than the run command has threads (64): waiting ones hold none, and the
    # one that came last is served like the first.
    a, b = running.a.url, running.b.url
    phone = browser()
    sign_in_phone(phone, b, "alice")
    streams, logins = [], []
    try:
        for _ in range(200):
            desktop = browser()
            logins.append(start_login(desktop, a))
            streams.append(EventStream(desktop, f"{a}{logins[-1]['wait']['events']}"))
        assert [stream.next()[0] for stream in streams] == ["pending"] * 200

        token = logins[-1]["qr"].rsplit("/", 1)[1]
        sent = time.perf_counter()
        scanned = phone.post(f"{b}/api/v1/qr-logins/scan", json={"token": token}, timeout=WAIT)
        assert scanned.status_code == 200, scanned.text
        name, _, seen = streams[-1].next()
        assert name == "scanned" and seen - sent < 2.0
        assert browser().get(f"{a}/healthz", timeout=WAIT).status_code == 200
    finally:
        for stream in streams:
            stream.close()
