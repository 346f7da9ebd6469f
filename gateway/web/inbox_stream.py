"""The companion's event stream: new inbox messages and read-state changes of its user,
live while the app is open.

It rides the same machinery as the QR flows' streams (``gateway.web.waiting``): under the
run command it is parked on the hub (``parking.py``), holding no thread, and it takes a
slot of the stream quota. It differs in one way: an inbox event carries what it says (a
message is never changed once kept, and the unread count comes with it), so a stream
writes the event as it is, without reading the store again, and a message to 10,000 open
companions costs no 10,000 reads. What a companion may have missed while it was away is
read once, when it reconnects: the messages after its ``Last-Event-ID``.

Events can be lost when the bus is cut off from Redis for a while (an ``ended`` among
them); the bus then says so (``resync``) and the stream ends, asking its companion to come
back after a pause of its own (``retry``, spread over half a minute so that 10,000 do not
return at once): the reconnect checks the device's token again and resends what was missed.

Each message it writes is noted in ``LiveReceipts`` (the device was reached live), which
writes them in batches on a thread of its own.
"""

from __future__ import annotations

import json
import queue
import random
import time
import weakref
from collections.abc import Callable
from datetime import timedelta

from gateway.core.events import EventBus
from gateway.push.inbox import Inbox, Message, channel
from gateway.push.live_receipts import LiveReceipts
from gateway.push.stream_ends import ended_channel
from gateway.web.stream_quota import Slot
from gateway.web.waiting import HEARTBEAT_SECONDS, RETRY_MS

LIFETIME = timedelta(minutes=10)  # then the companion reconnects (its token checked again)
RESYNC_SPREAD_MS = 30_000  # after lost events, companions come back within this


def _frame(kind: str, data: dict, event_id: int | None = None) -> str:
    head = f"id: {event_id}\n" if event_id is not None else ""
    return f"{head}event: {kind}\ndata: {json.dumps(data, separators=(',', ':'))}\n\n"


class InboxStream:
    """The frames of one companion's stream, driven like ``waiting.EventStream`` (``start``,
    then ``step`` when woken or ``seconds_to_wait`` pass) or iterated on a thread."""

    def __init__(self, bus: EventBus, inbox: Inbox, receipts: LiveReceipts, *, user_id: str,
                 device_id: str, last_event_id: int | None, slot: Slot | None = None,
                 heartbeat: float = HEARTBEAT_SECONDS, lifetime: timedelta = LIFETIME,
                 timer: Callable[[], float] = time.monotonic) -> None:
        self._bus, self._inbox, self._receipts = bus, inbox, receipts
        self.user_id, self.device_id = user_id, device_id
        self._last_id = last_event_id
        self._channel = channel(user_id)
        self._heartbeat, self._timer = heartbeat, timer
        self._ends = timer() + lifetime.total_seconds()
        self._events: queue.SimpleQueue[dict] = queue.SimpleQueue()
        self.wake: Callable[[], None] | None = None
        self.offload: Callable[[Callable[[], object]], object] | None = None
        self.done = False
        self._started = False
        self._attached = False
        self._release = weakref.finalize(self, slot.release) if slot is not None else None

    def put(self, event: dict) -> None:
        """Take an event from the bus (called on the publisher's thread)."""
        self._events.put(event)
        if self.wake is not None:
            self.wake()

    def start(self) -> str:
        """Subscribe, then read what the companion missed (the messages after its
        Last-Event-ID; none on a first connection) and the unread count."""
        self._bus.attach(self._channel, self)
        self._bus.attach(ended_channel(self.device_id), self)
        self._attached = self._started = True
        frames = f"retry: {RETRY_MS}\n"
        if self._last_id is None:
            self._last_id = self._inbox.newest_id(self.user_id)
            frames += f"id: {self._last_id}\n"
        else:
            frames += "".join(self._message(m.shown()) for m in
                              self._inbox.since(self.user_id, self._last_id))
        return frames + _frame("unread", {"unread": self._inbox.unread(self.user_id)})

    def seconds_to_wait(self) -> float:
        """Until the next heartbeat, or the end of the stream's life."""
        return max(min(self._heartbeat, self._ends - self._timer()), 0.0)

    def take(self) -> list[dict] | None:
        """Every event that came since the last step (None: none came)."""
        taken = []
        while True:
            try:
                taken.append(self._events.get_nowait())
            except queue.Empty:
                return taken or None

    def step(self, events: list[dict] | None) -> str:
        """The frames of *events*; a heartbeat comment after a quiet wait; at the end of
        the stream's life, or once its device is revoked or signed out, nothing more."""
        if events is None and self._timer() >= self._ends:
            self.done = True
            self.close()
            return ""
        if events is None:
            return ": heartbeat\n\n"
        kinds = {event.get("kind") for event in events}
        if kinds & {"ended", "resync"}:
            self.done = True
            self.close()
            # Revoked or signed out: nothing more reaches it. Events lost: the companion
            # comes back after a pause of its own and reads what it missed.
            return "" if "ended" in kinds else \
                f"retry: {random.randint(RETRY_MS, RESYNC_SPREAD_MS)}\n\n"
        frames = ""
        for event in events:
            if event.get("kind") == "message":
                frames += self._message(event["message"], event.get("unread"))
            elif event.get("kind") == "read":
                frames += _frame("read", {k: v for k, v in event.items() if k != "kind"})
        return frames

    def _message(self, message: dict, unread: int | None = None) -> str:
        if message["id"] <= (self._last_id or 0):
            return ""  # sent already (an event that raced the reconnect's read)
        self._last_id = message["id"]
        self._receipts.add(message["notification_id"], self.user_id, self.device_id)
        data = {"message": message} if unread is None else {"message": message, "unread": unread}
        return _frame("message", data, message["id"])

    def close(self) -> None:
        """Stop listening and give the stream's slot back (once started)."""
        if self._attached:
            self._attached = False
            self._bus.detach(self._channel, self)
            self._bus.detach(ended_channel(self.device_id), self)
        if self._started and self._release is not None:
            self._release()

    def __iter__(self) -> InboxStream:
        return self

    def __next__(self) -> str:
        if not self._started:
            return self.start()
        while not self.done:
            try:
                events = [self._events.get(timeout=self.seconds_to_wait())]
            except queue.Empty:
                events = None
            if events is not None:
                events += self.take() or []
            frames = self.step(events)
            if frames:
                return frames
        raise StopIteration


__all__ = ["InboxStream", "Message"]
