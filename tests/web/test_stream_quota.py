"""Bounds on open event streams: per flow, per client address, in all; and a stream gives
its slot back however it ends (its final state, expiry, the browser going, parked or not,
never started)."""

from __future__ import annotations

import gc
import socket
import threading

import pytest

from gateway.qrlogin import logins as qrlogin
from gateway.web import waiting
from gateway.web.parking import StreamHub
from gateway.web.stream_quota import RETRY_AFTER_SECONDS, StreamQuota, StreamsFull, TooManyStreams
from tests.qrlogin_support import Flow

FINAL = ("confirmed", "redeemed", "denied", "expired")
FLOW = "/api/v1/qr-logins/abc/events"
WAIT = 10  # seconds a wait may block at most


def test_the_flow_past_its_bound_is_refused_with_429_and_retry_after():
    quota = StreamQuota(per_flow=2, per_address=10, total=10)
    quota.acquire(FLOW, "198.51.100.7")
    quota.acquire(FLOW, "198.51.100.8")
    with pytest.raises(TooManyStreams) as refused:
        quota.acquire(FLOW, "198.51.100.9")
    assert refused.value.status == 429 and refused.value.retry_after == RETRY_AFTER_SECONDS
    assert refused.value.extensions == {"scope": "flow"}
    assert quota.acquire("/other/events", "198.51.100.9").held  # another flow may


def test_the_address_past_its_bound_is_refused_with_429():
    quota = StreamQuota(per_flow=5, per_address=2, total=10)
    quota.acquire("/a/events", "198.51.100.7")
    quota.acquire("/b/events", "198.51.100.7")
    with pytest.raises(TooManyStreams) as refused:
        quota.acquire("/c/events", "198.51.100.7")
    assert refused.value.extensions == {"scope": "address"}
    quota.acquire("/c/events", "198.51.100.8")  # another address may
    assert quota.open_for(address="198.51.100.7") == 2


def test_addresses_of_one_ipv6_host_count_together():
    quota = StreamQuota(per_flow=5, per_address=2, total=10)
    quota.acquire("/a/events", "2001:db8:1:2::1")
    quota.acquire("/b/events", "2001:db8:1:2:ffff::9")
    with pytest.raises(TooManyStreams):
        quota.acquire("/c/events", "2001:db8:1:2::abcd")
    quota.acquire("/c/events", "2001:db8:1:3::1")  # the next /64 is another host


def test_the_gateway_past_its_total_is_refused_with_503():
    quota = StreamQuota(per_flow=5, per_address=5, total=2)
    quota.acquire("/a/events", "198.51.100.1")
    quota.acquire("/b/events", "198.51.100.2")
    with pytest.raises(StreamsFull) as refused:
        quota.acquire("/c/events", "198.51.100.3")
    assert refused.value.status == 503 and refused.value.retry_after == RETRY_AFTER_SECONDS


def test_a_released_slot_frees_its_place_once_only():
    quota = StreamQuota(per_flow=1, per_address=1, total=1)
    slot = quota.acquire(FLOW, "198.51.100.7")
    slot.release()
    slot.release()  # a second release must not free a place some other stream holds
    again = quota.acquire(FLOW, "198.51.100.7")
    assert len(quota) == 1 and again.held and not slot.held
    with pytest.raises(StreamsFull):
        quota.acquire(FLOW, "198.51.100.7")
    again.release()
    assert len(quota) == 0 and quota.open_for(flow=FLOW) == 0


# -- every way a stream ends gives its slot back ----------------------------------------------

@pytest.fixture
def flow(app, actions, clock):
    return Flow(app.extensions["gateway"], actions, clock)


class WatchedQuota(StreamQuota):
    """A quota that tells when a slot comes back (the hub gives it back on its thread)."""

    def __init__(self) -> None:
        super().__init__(per_flow=4, per_address=4, total=4)
        self.released = threading.Event()

    def _release(self, slot) -> None:
        super()._release(slot)
        self.released.set()


@pytest.fixture
def quota():
    return WatchedQuota()


@pytest.fixture
def open_stream(flow, quota):
    def open_stream(heartbeat: float = 5.0) -> waiting.EventStream:
        return waiting.stream(
            flow.bus, qrlogin.channel(flow.id), flow.status,
            lambda: flow.browser.expire(flow.id), flow.clock,
            FINAL, heartbeat=heartbeat, slot=quota.acquire(FLOW, "198.51.100.7"))
    return open_stream


def test_a_stream_that_reaches_its_final_state_gives_its_slot_back(flow, quota, open_stream):
    stream = open_stream()
    next(stream)
    assert len(quota) == 1
    flow.scan()
    flow.confirm()
    assert [frame.split("\n")[0] for frame in stream] == ["event: confirmed"]
    assert len(quota) == 0


def test_a_stream_that_expires_gives_its_slot_back(quota, clock, open_stream):
    stream = open_stream()
    next(stream)
    clock.advance(120)
    assert next(stream).startswith("event: expired\n")
    assert len(quota) == 0


def test_a_stream_the_browser_leaves_gives_its_slot_back(quota, open_stream):
    stream = open_stream()
    next(stream)
    stream.close()  # what a WSGI server does when the browser has gone
    assert len(quota) == 0


def test_a_stream_never_started_gives_its_slot_back_when_collected(quota, open_stream):
    stream = open_stream()
    stream.close()  # a HEAD request, or a server that let go before the first frame
    del stream
    gc.collect()
    assert len(quota) == 0


def test_a_parked_stream_keeps_its_slot_until_its_browser_goes(quota, open_stream):
    hub = StreamHub()
    try:
        stream = open_stream()
        stream.close()  # gateway/serving.py lets go of the response iterator first...
        stream.start()  # ...then writes the first frames and parks the stream
        server_end, browser_end = socket.socketpair()
        hub.park(server_end, stream, chunked=True)
        del stream
        assert len(quota) == 1 and not quota.released.is_set()
        browser_end.close()  # the browser goes: the hub notices and drops the stream
        assert quota.released.wait(WAIT)
        assert len(quota) == 0
    finally:
        hub.close()


def test_a_hub_that_closes_gives_the_slots_of_its_streams_back(quota, open_stream):
    hub = StreamHub()
    browsers = []
    for _ in range(3):
        stream = open_stream()
        stream.start()
        server_end, browser_end = socket.socketpair()
        browsers.append(browser_end)
        hub.park(server_end, stream, chunked=True)
    del stream
    assert len(quota) == 3
    hub.close()  # the worker goes: its browsers reconnect elsewhere
    assert len(quota) == 0
    for browser in browsers:
        browser.close()
