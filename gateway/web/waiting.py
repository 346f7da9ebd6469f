"""Waiting for a QR flow to move: Server-Sent Events, with a long poll as the fallback.

Both subscribe to the flow's channel on the event bus *before* reading its state, so no
move can slip between the read and the wait, and both re-read the state after every
wake-up: an event is only a hint to look again. Only state fields travel (the status's
``event()``), never a token. A stream sends a heartbeat comment while nothing happens,
and ends once the flow reaches a final state or runs out of time.

Each stream holds a slot of the process's ``StreamQuota`` (``gateway/web/stream_quota.py``,
taken by ``gateway.web.streams.claim`` before it is made) and gives it back as it ends:
at its final state, when the browser goes (``close`` once started, by the WSGI server or
the hub), or, for a stream never started, when it is collected.

Under the run command a waiting browser's stream holds no server thread: the request's
thread writes its first frames and parks it (``gateway/serving.py``, ``parking.py``).
Served by any other WSGI server, the stream is an iterator that waits on the thread that
consumes it. A long poll always waits on its thread (for 25 s at the most).
"""

from __future__ import annotations

import json
import queue
import weakref
from collections.abc import Callable
from typing import Protocol

from flask import Response, request

from gateway.core.clock import Clock
from gateway.core.events import EventBus
from gateway.web.stream_quota import Slot

HEARTBEAT_SECONDS = 15.0
RETRY_MS = 1000  # how soon EventSource reconnects after a dropped connection
MAX_POLL_SECONDS = 25
STREAM_KEY = "gateway.event_stream"  # the environ key sse_response leaves its stream under


class Waitable(Protocol):
    state: str

    @property
    def expires_at(self): ...

    def event(self) -> dict: ...


def _frame(status: Waitable) -> str:
    return f"event: {status.state}\ndata: {json.dumps(status.event(), separators=(',', ':'))}\n\n"


class EventStream:
    """The SSE frames of one flow: its state now, then each change, heartbeats between,
    until a state in *final* (a flow past its time is expired: *expire* records that).

    It is an iterator that waits on the calling thread, as any WSGI server consumes it.
    Under the run command's gunicorn worker (``gateway/serving.py``) it is driven step by
    step instead (``start``, then ``step`` when woken or ``seconds_to_wait`` pass), so
    a waiting browser holds no thread.
    """

    def __init__(self, bus: EventBus, channel: str, read: Callable[[], Waitable],
                 expire: Callable[[], object], clock: Clock, final: tuple[str, ...],
                 heartbeat: float = HEARTBEAT_SECONDS, slot: Slot | None = None) -> None:
        self._bus, self._channel, self._read, self._expire = bus, channel, read, expire
        self._clock, self._final, self._heartbeat = clock, final, heartbeat
        self._events: queue.SimpleQueue[dict] = queue.SimpleQueue()
        self.wake: Callable[[], None] | None = None  # told of each event, when driven
        # Where the write that records an expiry runs: here, or elsewhere when driven.
        self.offload: Callable[[Callable[[], object]], object] | None = None
        self.done = False
        self._status: Waitable | None = None
        self._last: dict | None = None
        self._attached = False
        # The slot goes back at the end (close), or when the stream is collected: a stream
        # a server let go of without starting it is never closed after its start.
        self._release = weakref.finalize(self, slot.release) if slot is not None else None

    def put(self, event: dict) -> None:
        """Take an event from the bus (a hint to read the state again)."""
        self._events.put(event)
        if self.wake is not None:
            self.wake()

    def start(self) -> str:
        """Subscribe, then read: the first frames (the state now)."""
        self._bus.attach(self._channel, self)
        self._attached = True
        self._status = self._read()
        self._last = self._status.event()
        self._check_done()
        return f"retry: {RETRY_MS}\n" + _frame(self._status)

    def seconds_to_wait(self) -> float:
        """How long to wait for an event before ``step(None)``: until the next heartbeat
        or the flow's expiry (a flow found past it is expired now)."""
        remaining = (self._status.expires_at - self._clock.now()).total_seconds()
        if remaining <= 0:
            self._record_expiry()
        return min(self._heartbeat, max(remaining, 0))

    def take(self) -> dict | None:
        """The events that came since the last step, as one hint (None: none came)."""
        hint = None
        while True:
            try:
                hint = self._events.get_nowait()
            except queue.Empty:
                return hint

    def step(self, hint: dict | None) -> str:
        """Read the state again after an event (*hint*) or a wait that ran out (None):
        its frame if it changed, a heartbeat comment after a quiet wait, else nothing."""
        self._status = self._read()
        event = self._status.event()
        if event != self._last:
            self._last = event
            frames = _frame(self._status)
        else:
            frames = ": heartbeat\n\n" if hint is None else ""
        self._check_done()
        return frames

    def close(self) -> None:
        """Stop listening (the browser went, or the stream ended) and give the stream's
        slot back. Before ``start`` it does neither: the run command's worker lets go of
        the response iterator, then starts and parks the stream itself."""
        if self._attached:
            self._attached = False
            self._bus.detach(self._channel, self)
        if self._status is not None and self._release is not None:
            self._release()

    def _check_done(self) -> None:
        if self._status.state in self._final and not self.done:
            self.done = True
            self.close()
            if self._status.state == "expired":
                self._record_expiry()  # and tell the other waiters, if nobody did yet

    def _record_expiry(self) -> None:
        if self.offload is None:
            self._expire()
        else:
            self.offload(self._expire)

    def __iter__(self) -> EventStream:
        return self

    def __next__(self) -> str:
        if self._status is None:
            return self.start()
        while not self.done:
            try:
                hint = self._events.get(timeout=self.seconds_to_wait())
            except queue.Empty:
                hint = None
            frames = self.step(hint)
            if frames:
                return frames
        raise StopIteration


def stream(bus: EventBus, channel: str, read: Callable[[], Waitable],
           expire: Callable[[], object], clock: Clock, final: tuple[str, ...],
           heartbeat: float = HEARTBEAT_SECONDS, slot: Slot | None = None) -> EventStream:
    """The event stream of one flow (see ``EventStream``), holding *slot* until it ends."""
    return EventStream(bus, channel, read, expire, clock, final, heartbeat, slot)


def sse_response(frames: EventStream) -> Response:
    """A streaming ``text/event-stream`` answer that no proxy buffers or caches. The
    stream is also left in the WSGI environ for a server that drives it itself."""
    request.environ[STREAM_KEY] = frames
    response = Response(frames, mimetype="text/event-stream")
    response.headers["Cache-Control"] = "no-store"
    response.headers["X-Accel-Buffering"] = "no"
    return response


def long_poll(bus: EventBus, channel: str, read: Callable[[], Waitable], clock: Clock,
              known: str | None, seconds: float, final: tuple[str, ...]) -> Waitable:
    """The flow's status once it differs from *known*, is final, or *seconds* pass (a
    flow past its time reads as expired, which is final)."""
    with bus.subscribe(channel) as inbox:
        status = read()
        budget = min(float(seconds), MAX_POLL_SECONDS)
        while known is not None and status.state == known and status.state not in final:
            remaining = min(budget, (status.expires_at - clock.now()).total_seconds())
            if remaining <= 0:
                break
            if inbox.get(timeout=remaining) is None:
                budget -= remaining
            status = read()
        return status
