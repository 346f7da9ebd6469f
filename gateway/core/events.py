"""Events: tell whoever is waiting on a channel that something changed.

A browser waiting on a QR login (by Server-Sent Events or a long poll) subscribes to the
login's channel; the call that moves the login publishes the new state there. Events are
hints, never the truth: a waiter re-reads the store when an event arrives or its wait
times out, so a lost event only costs latency, never a wrong answer.

``InProcessBus`` serves one process (the embedded default: gunicorn with one process and
many threads). Several gateway processes share ``RedisBus`` (``gateway/core/redis_events.py``,
Redis pub/sub behind the same methods), chosen when ``GATEWAY_REDIS_URL`` is set.
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any, Protocol

Event = dict[str, Any]
# Told to every subscriber when events may have been lost (the bus was cut off from its
# peers): a waiter re-reads what it shows, as after any event.
RESYNC: Event = {"kind": "resync"}


class Subscription(Protocol):
    def get(self, timeout: float) -> Event | None:
        """The next event, or None when *timeout* seconds pass without one."""


class EventBus(Protocol):
    def publish(self, channel: str, event: Event) -> None:
        """Hand *event* to every current subscriber of *channel* (none: it is dropped)."""

    def subscribe(self, channel: str) -> Any:
        """A context manager giving a ``Subscription`` to *channel* until it closes."""

    def tap(self, prefix: str, listener: Callable[[str, Event], None]) -> None:
        """Call *listener(channel, event)* for every event on a channel starting with
        *prefix*, before the subscribers get it (caches use this to drop stale entries)."""

    def attach(self, channel: str, inbox: Inbox) -> None:
        """Hand every event on *channel* to ``inbox.put`` until ``detach``."""

    def detach(self, channel: str, inbox: Inbox) -> None:
        """Stop handing events to *inbox* (nothing happens if it was not attached)."""


class Inbox(Protocol):
    def put(self, event: Event) -> None:
        """Take one event; called on the publisher's thread, so it must not block."""


class _Queue:
    """One subscriber's inbox."""

    def __init__(self) -> None:
        self._queue: queue.SimpleQueue[Event] = queue.SimpleQueue()

    def put(self, event: Event) -> None:
        self._queue.put(event)

    def get(self, timeout: float) -> Event | None:
        try:
            return self._queue.get(timeout=max(timeout, 0))
        except queue.Empty:
            return None


class InProcessBus:
    """Channels held in this process's memory; safe to use from many threads."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._channels: dict[str, set[Inbox]] = {}
        self._taps: list[tuple[str, Callable[[str, Event], None]]] = []

    def publish(self, channel: str, event: Event) -> None:
        for prefix, listener in self._taps:
            if channel.startswith(prefix):
                listener(channel, event)
        with self._lock:
            inboxes = tuple(self._channels.get(channel, ()))
        for inbox in inboxes:
            inbox.put(event)

    @contextmanager
    def subscribe(self, channel: str) -> Iterator[_Queue]:
        inbox = _Queue()
        self.attach(channel, inbox)
        try:
            yield inbox
        finally:
            self.detach(channel, inbox)

    def attach(self, channel: str, inbox: Inbox) -> None:
        with self._lock:
            self._channels.setdefault(channel, set()).add(inbox)

    def detach(self, channel: str, inbox: Inbox) -> None:
        with self._lock:
            inboxes = self._channels.get(channel)
            if inboxes is not None:
                inboxes.discard(inbox)
                if not inboxes:
                    # Drop empty channels so finished logins leave nothing behind.
                    del self._channels[channel]

    def tap(self, prefix: str, listener: Callable[[str, Event], None]) -> None:
        self._taps.append((prefix, listener))

    def broadcast(self, event: Event) -> None:
        """Hand *event* to every subscriber of every channel, once each."""
        with self._lock:
            inboxes = {inbox for members in self._channels.values() for inbox in members}
        for inbox in inboxes:
            inbox.put(event)

    def subscribers(self, channel: str) -> int:
        """How many are waiting on *channel* (for tests and metrics)."""
        with self._lock:
            return len(self._channels.get(channel, ()))
