"""Waiting on a QR login: the event stream's heartbeats, its end, and its subscription."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from gateway.qrlogin import logins as qrlogin
from gateway.qrlogin.tables import qr_logins
from gateway.web import waiting
from tests.qrlogin_support import Flow

FINAL = ("confirmed", "redeemed", "denied", "expired")


@pytest.fixture
def flow(app, actions, clock):
    return Flow(app.extensions["gateway"], actions, clock)


def frames(flow, heartbeat=0.01):
    return waiting.stream(
        flow.bus, qrlogin.channel(flow.id), flow.status,
        lambda: flow.browser.expire(flow.id), flow.clock, FINAL,
        heartbeat=heartbeat)


def test_a_quiet_stream_sends_heartbeat_comments(flow):
    stream = frames(flow)
    assert next(stream).startswith("retry: 1000\nevent: pending\n")
    assert next(stream) == ": heartbeat\n\n"
    assert next(stream) == ": heartbeat\n\n"
    stream.close()


def test_the_stream_ends_when_the_login_expires_and_records_it(flow, clock):
    stream = frames(flow)
    next(stream)
    clock.advance(120)
    assert next(stream).startswith("event: expired\n")
    assert list(stream) == []
    with flow.store.read() as connection:
        assert connection.execute(select(qr_logins.c.state)).scalar() == "expired"


def test_each_change_is_sent_once_with_state_fields_only(flow):
    stream = frames(flow, heartbeat=5)
    next(stream)
    flow.scan()
    scanned = next(stream)
    assert scanned.startswith("event: scanned\n") and '"number":' in scanned
    assert flow.token() not in scanned and flow.started.browser_secret not in scanned
    flow.confirm()
    assert next(stream).startswith("event: confirmed\n")
    assert list(stream) == []


def test_a_closed_stream_stops_listening(flow):
    stream = frames(flow)
    next(stream)
    assert flow.bus.subscribers(qrlogin.channel(flow.id)) == 1
    stream.close()
    assert flow.bus.subscribers(qrlogin.channel(flow.id)) == 0


def test_a_long_poll_gives_up_after_its_time_and_returns_the_same_state(flow):
    status = waiting.long_poll(flow.bus, qrlogin.channel(flow.id), flow.status, flow.clock,
                               "pending", 0.05, FINAL)
    assert status.state == "pending"
