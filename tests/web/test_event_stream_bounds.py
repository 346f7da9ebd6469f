"""Event streams have bounds: per QR login (or offer side), per client address as seen
through the trusted proxies, and per process. Past one, the stream is refused with a
problem answer and Retry-After (the page then waits with the long poll); a stream that
ends gives its place back."""

from __future__ import annotations

import pytest

from gateway import create_app
from gateway.web.streams import quota
from tests.problems import assert_problem
from tests.qrlogin_support import start

ENROLLMENTS = "/api/v1/enrollments"


@pytest.fixture
def bounded(settings, clock):
    """An app with small bounds: 2 streams a login, 3 an address, 4 in all."""
    made = []

    def bounded(**changes):
        app = create_app(settings.replace(**{"streams_per_flow": 2, "streams_per_address": 3,
                                             "streams_total": 4, **changes}), clock=clock)
        app.config["TESTING"] = True
        made.append(app)
        return app

    yield bounded
    for app in made:
        app.extensions["gateway"].store.dispose()


def browser(app, address="198.51.100.7", **headers):
    client = app.test_client()
    client.environ_base.update(REMOTE_ADDR=address)
    for name, value in headers.items():
        client.environ_base[f"HTTP_{name.upper()}"] = value
    return client


def open_stream(client, url):
    """A stream as a server serves it: answered 200 and its first frames written."""
    response = client.get(url, buffered=False)
    assert response.status_code == 200, response.get_json()
    assert next(iter(response.response)).decode().startswith("retry: 1000\nevent: ")
    return response


def refused(response, status, slug):
    body = assert_problem(response, status, slug)
    assert int(response.headers["Retry-After"]) > 0
    return body


def test_one_login_gets_a_handful_of_streams_and_then_429(bounded):
    app = bounded()
    desktop = browser(app)
    events = start(desktop)["wait"]["events"]
    streams = [open_stream(desktop, events) for _ in range(2)]
    body = refused(desktop.get(events, buffered=False), 429, "too-many-streams")
    assert body["scope"] == "flow"
    streams[0].close()  # the browser closes one: its place is free again
    streams.append(open_stream(desktop, events))
    refused(desktop.get(events, buffered=False), 429, "too-many-streams")
    assert len(quota(app)) == 2


def test_the_server_answers_other_requests_while_a_login_is_at_its_bound(bounded):
    app = bounded()
    desktop = browser(app)
    started = start(desktop)
    held = [open_stream(desktop, started["wait"]["events"]) for _ in range(2)]
    for _ in range(5):
        refused(desktop.get(started["wait"]["events"]), 429, "too-many-streams")
    assert app.test_client().get("/healthz").status_code == 200
    assert desktop.get(f"{started['wait']['poll']}?known=scanned").get_json()["state"] == \
        "pending"  # the long poll the page falls back to still answers
    assert start(browser(app, "198.51.100.99"))["state"] == "pending"
    assert len(held) == 2


def test_one_address_gets_its_bound_of_streams_across_logins(bounded):
    app = bounded()
    opened = []
    for _ in range(3):
        desktop = browser(app)
        opened.append(open_stream(desktop, start(desktop)["wait"]["events"]))
    desktop = browser(app)
    events = start(desktop)["wait"]["events"]
    assert refused(desktop.get(events), 429, "too-many-streams")["scope"] == "address"
    elsewhere = browser(app, "198.51.100.8")
    open_stream(elsewhere, start(elsewhere)["wait"]["events"])  # another address may
    opened[0].close()
    open_stream(desktop, events)


def test_the_address_is_the_one_seen_through_the_trusted_proxies(bounded):
    app = bounded(trusted_proxies=1)
    # Every request comes from the proxy's address; the proxy names each browser's.
    for number in range(3):
        desktop = browser(app, "10.0.0.1", x_forwarded_for="203.0.113.5")
        open_stream(desktop, start(desktop)["wait"]["events"])
    desktop = browser(app, "10.0.0.1", x_forwarded_for="203.0.113.5")
    refused(desktop.get(start(desktop)["wait"]["events"]), 429, "too-many-streams")
    other = browser(app, "10.0.0.1", x_forwarded_for="203.0.113.6")
    open_stream(other, start(other)["wait"]["events"])  # another browser behind the proxy
    assert quota(app).open_for(address="203.0.113.5") == 3


def test_a_raised_address_bound_is_honoured(bounded):
    app = bounded(streams_per_address=5, streams_total=10)
    for _ in range(5):
        desktop = browser(app)
        open_stream(desktop, start(desktop)["wait"]["events"])
    desktop = browser(app)
    refused(desktop.get(start(desktop)["wait"]["events"]), 429, "too-many-streams")


def test_past_the_total_the_gateway_answers_503(bounded):
    app = bounded()
    held = []
    for number in range(4):
        desktop = browser(app, f"198.51.100.{number + 1}")
        held.append(open_stream(desktop, start(desktop)["wait"]["events"]))
    desktop = browser(app, "198.51.100.50")
    events = start(desktop)["wait"]["events"]
    refused(desktop.get(events), 503, "streams-full")
    held.pop().close()
    open_stream(desktop, events)


def test_a_stream_that_ends_gives_its_place_back(bounded, clock):
    app = bounded(streams_per_flow=1)
    desktop = browser(app)
    events = start(desktop)["wait"]["events"]
    stream = open_stream(desktop, events)
    refused(desktop.get(events), 429, "too-many-streams")
    clock.advance(121)
    assert b"event: expired" in b"".join(stream.response)  # it ends at the login's expiry
    assert len(quota(app)) == 0
    assert b"event: expired" in desktop.get(events).data


def test_the_refusal_comes_after_the_caller_is_checked(bounded):
    app = bounded(streams_per_flow=1)
    desktop = browser(app)
    events = start(desktop)["wait"]["events"]
    open_stream(desktop, events)
    assert browser(app).get(events).status_code == 401  # no cookie: not this login's browser


def test_the_offer_streams_of_both_sides_are_bounded(bounded):
    from cryptography.hazmat.primitives.asymmetric import ec

    from tests.support import Actions, device_description

    app = bounded(streams_per_flow=1)
    desktop = browser(app)
    signed_in = Actions(app, desktop)
    signed_in.create_user("alice")
    signed_in.publish_policy()
    offered = desktop.post(ENROLLMENTS, headers=signed_in.web_sign_in(), json={}).get_json()
    open_stream(desktop, offered["wait"]["events"])
    refused(desktop.get(offered["wait"]["events"]), 429, "too-many-streams")

    phone = browser(app, "198.51.100.20")
    camera = next(p for p in phone.get("/api/v1/purposes").get_json()["purposes"]
                  if p["name"] == "camera")
    claimed = phone.post(f"{ENROLLMENTS}/claim", json={
        "token": offered["qr"].rsplit("/", 1)[1], "via": "app_camera",
        "device": device_description("phone-new-1", ec.generate_private_key(ec.SECP256R1())),
        "consents": [{"purpose": "camera", "decision": "granted",
                      "policy_version": camera["notice"]["policy_version"],
                      "notice_hash": camera["notice"]["hash"]}]}).get_json()
    open_stream(phone, claimed["wait"]["events"])  # the phone's side is a flow of its own
    refused(phone.get(claimed["wait"]["events"]), 429, "too-many-streams")
    assert len(quota(app)) == 2


def test_the_total_is_lowered_to_what_the_server_holds(bounded):
    from gateway.web.streams import fit_to_server

    parking = bounded(streams_total=1500)
    assert fit_to_server(parking, parks=True, connections=102, threads=2) == 102
    threaded = bounded(streams_total=1500)  # each stream holds a thread: half of them
    assert fit_to_server(threaded, parks=False, connections=2000, threads=64) == 32
    small = bounded(streams_total=10)  # a bound set lower stays
    assert fit_to_server(small, parks=True, connections=2000, threads=64) == 10
    one = bounded(streams_total=10)
    assert fit_to_server(one, parks=False, connections=2000, threads=1) == 1
    desktop = browser(threaded)
    for number in range(32):
        other = browser(threaded, f"198.51.100.{number + 1}")
        open_stream(other, start(other)["wait"]["events"])
    refused(desktop.get(start(desktop)["wait"]["events"]), 503, "streams-full")
