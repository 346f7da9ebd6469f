"""Parked event streams: one hub thread serves waiting browsers on their sockets, and they
see what a stream served by a thread of their own would show them. Real sockets and the
hub's real thread; every wait is a socket read or an event with a time limit."""

from __future__ import annotations

import queue
import socket
import threading

import pytest

from gateway.core.events import InProcessBus
from gateway.qrlogin import logins as qrlogin
from gateway.web import waiting
from gateway.web.parking import StreamHub
from tests.qrlogin_support import DESKTOP, Flow

FINAL = ("confirmed", "redeemed", "denied", "expired")
WAIT = 10  # seconds a read or wait may block at most


class WatchedBus(InProcessBus):
    """The flow's bus, telling when a stream stops listening."""

    def __init__(self) -> None:
        super().__init__()
        self.detached = threading.Event()

    def detach(self, channel, inbox) -> None:
        super().detach(channel, inbox)
        self.detached.set()


class Browser:
    """The far end of a parked connection: reads the chunked event stream."""

    def __init__(self, sock: socket.socket) -> None:
        sock.settimeout(WAIT)
        self.sock, self.buffer = sock, b""

    def chunk(self) -> bytes:
        """The data of the next HTTP/1.1 chunk (b"" for the closing chunk)."""
        while True:
            size, found, rest = self.buffer.partition(b"\r\n")
            if found and len(rest) >= int(size, 16) + 2:
                length = int(size, 16)
                self.buffer = rest[length + 2:]
                return rest[:length]
            data = self.sock.recv(65536)
            assert data, "the hub closed the connection early"
            self.buffer += data

    def closed(self) -> bool:
        return self.sock.recv(1) == b""


@pytest.fixture
def flow(app, actions, clock):
    return Flow(app.extensions["gateway"], actions, clock, bus=WatchedBus())


@pytest.fixture
def hub():
    hub = StreamHub()
    yield hub
    hub.close()


@pytest.fixture
def park(flow, hub):
    browsers = []

    def park(heartbeat: float = 5) -> Browser:
        stream = waiting.stream(
            flow.bus, qrlogin.channel(flow.id), flow.status,
            lambda: flow.browser.expire(flow.id), flow.clock,
            FINAL, heartbeat=heartbeat)
        # gateway/serving.py writes the first frames on the request's own thread.
        assert stream.start().startswith("retry: 1000\nevent: pending\n")
        server_end, browser_end = socket.socketpair()
        hub.park(server_end, stream, chunked=True)
        browsers.append(Browser(browser_end))
        return browsers[-1]

    yield park
    for browser in browsers:
        browser.sock.close()


def test_a_parked_stream_sends_each_change_and_ends_with_the_closing_chunk(flow, hub, park):
    browser = park()
    flow.scan()
    scanned = browser.chunk().decode()
    assert scanned.startswith("event: scanned\n") and '"number":' in scanned
    assert flow.token() not in scanned and flow.started.browser_secret not in scanned
    flow.confirm()
    assert browser.chunk().decode().startswith("event: confirmed\n")
    assert browser.chunk() == b""  # the answer's end
    assert browser.closed()
    assert flow.bus.subscribers(qrlogin.channel(flow.id)) == 0 and len(hub) == 0


def test_a_quiet_parked_stream_sends_heartbeats(park):
    browser = park(heartbeat=0.05)
    assert [browser.chunk(), browser.chunk()] == [b": heartbeat\n\n"] * 2


def test_a_browser_that_goes_away_stops_its_stream_listening(flow, hub, park):
    browser = park()
    browser.sock.close()
    assert flow.bus.detached.wait(WAIT)
    assert flow.bus.subscribers(qrlogin.channel(flow.id)) == 0


def test_a_parked_stream_expires_with_its_login(flow, clock, park):
    browser = park()
    clock.advance(120)
    # Any event makes the stream read its login again (the hub's own wait is in real time).
    flow.bus.publish(qrlogin.channel(flow.id), {"state": "pending"})
    assert browser.chunk().decode().startswith("event: expired\n")
    assert browser.chunk() == b""
    assert flow.status().state == "expired"


def test_each_parked_stream_hears_only_its_own_login(flow, hub, park):
    quiet = []
    for _ in range(20):
        other = flow.browser.start(DESKTOP)
        stream = waiting.stream(
            flow.bus, qrlogin.channel(other.login.id),
            lambda other=other: flow.browser.status(other.login.id, other.browser_secret),
            lambda: None, flow.clock, FINAL)
        stream.start()
        server_end, browser_end = socket.socketpair()
        hub.park(server_end, stream, chunked=True)
        quiet.append(browser_end)
    browser = park()
    flow.scan()
    assert browser.chunk().startswith(b"event: scanned\n")
    assert len(hub) == 21
    for sock in quiet:
        sock.setblocking(False)
        with pytest.raises(BlockingIOError):  # nothing was written to the others
            sock.recv(1)
        sock.close()


class Counter:
    """A parked stream that writes each event it is given, and only heartbeats besides (a
    minute apart: an event left waiting for the heartbeat is a lost wake-up)."""

    def __init__(self) -> None:
        self._events: queue.SimpleQueue[int] = queue.SimpleQueue()
        self.wake = self.offload = None
        self.done = False

    def put(self, event: int) -> None:
        self._events.put(event)
        if self.wake is not None:
            self.wake()

    def take(self) -> list[int] | None:
        taken = []
        while not self._events.empty():
            taken.append(self._events.get())
        return taken or None

    def seconds_to_wait(self) -> float:
        return 60.0

    def step(self, events: list[int] | None) -> str:
        return "".join(f"data: {n}\n\n" for n in events) if events else ": heartbeat\n\n"

    def close(self) -> None:
        pass


def test_every_wake_up_reaches_the_hub_while_many_threads_publish(hub):
    streams, browsers = [], []
    for _ in range(40):
        server_end, browser_end = socket.socketpair()
        streams.append(Counter())
        hub.park(server_end, streams[-1], chunked=True)
        browsers.append(Browser(browser_end))
    rounds = 2000

    def publish(offset: int) -> None:
        for n in range(rounds):
            for stream in streams[offset::4]:
                stream.put(n)

    publishers = [threading.Thread(target=publish, args=(i,)) for i in range(4)]
    for publisher in publishers:
        publisher.start()
    for publisher in publishers:
        publisher.join(WAIT)
    for browser in browsers:  # every event arrives without waiting for a heartbeat
        seen = ""
        while f"data: {rounds - 1}\n" not in seen:
            seen += browser.chunk().decode()
        assert ": heartbeat" not in seen
        browser.sock.close()
