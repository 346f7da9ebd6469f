"""Waiting for a QR flow to move: Server-Sent Events, with a long poll as the fallback.

Both subscribe to the flow's channel on the event bus *before* reading its state, so no
move can slip between the read and the wait, and both re-read the state after every
wake-up: an event is only a hint to look again. Only state fields travel (the status's
``event()``), never a token. A stream sends a heartbeat comment while nothing happens,
and ends once the flow reaches a final state or runs out of time.

Each waiting browser holds one server thread (gunicorn's gthread worker), which is why
the run command gives the one process many threads.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from typing import Protocol

from flask import Response

from gateway.clock import Clock
from gateway.events import EventBus

HEARTBEAT_SECONDS = 15.0
RETRY_MS = 1000  # how soon EventSource reconnects after a dropped connection
MAX_POLL_SECONDS = 25


class Waitable(Protocol):
    state: str

    @property
    def expires_at(self): ...

    def event(self) -> dict: ...


def _frame(status: Waitable) -> str:
    return f"event: {status.state}\ndata: {json.dumps(status.event(), separators=(',', ':'))}\n\n"


def stream(bus: EventBus, channel: str, read: Callable[[], Waitable],
           expire: Callable[[], object], clock: Clock, final: tuple[str, ...],
           heartbeat: float = HEARTBEAT_SECONDS) -> Iterator[str]:
    """The SSE frames of one flow: its state now, then each change, heartbeats between,
    until a state in *final* (a flow past its time is expired: *expire* records that)."""
    with bus.subscribe(channel) as inbox:
        status = read()
        yield f"retry: {RETRY_MS}\n" + _frame(status)
        last = status.event()
        while status.state not in final:
            remaining = (status.expires_at - clock.now()).total_seconds()
            if remaining <= 0:
                expire()
            hint = inbox.get(timeout=min(heartbeat, max(remaining, 0)))
            status = read()
            if status.event() != last:
                last = status.event()
                yield _frame(status)
            elif hint is None:
                yield ": heartbeat\n\n"
        if status.state == "expired":
            expire()  # persist it and tell the other waiters, if nobody did yet


def sse_response(frames: Iterator[str]) -> Response:
    """A streaming ``text/event-stream`` answer that no proxy buffers or caches."""
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
