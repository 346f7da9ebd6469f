"""A small cache of QR flows' current states, so a browser polling its flow costs no store
read.

A flow only ever moves forward (pending, then scanned, then a final state), and every move
is published on the event bus. The cache listens there (``EventBus.tap``): a move drops
the flow's entry and remembers how far the flow got, so a read that raced the move (it
saw the old state in the store) cannot put the old state back. Entries also go stale
after ``ttl`` on the injected clock, which bounds how long a move the bus did not bring
stays unseen: ``ONE_PROCESS`` when every move is made in this process (the in-process
bus of the embedded default: an entry then lasts as long as a waiting browser polls, so
a status read costs no store read however many logins wait), ``SHARED`` when other
instances' moves come through Redis, where one may be lost on the way.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from datetime import datetime, timedelta
from typing import Any

from gateway.core.clock import Clock

ONE_PROCESS = timedelta(minutes=5)  # longer than a login lives (two minutes)
SHARED = timedelta(seconds=1)

RANKS = {"pending": 0, "offered": 0, "scanned": 1, "claimed": 1, "confirmed": 2,
         "approved": 3, "redeemed": 3, "denied": 3, "expired": 3}


class StateCache:
    """Snapshots of flows by id; safe to use from many threads."""

    def __init__(self, clock: Clock, ttl: timedelta = SHARED,
                 size: int = 10_000) -> None:
        self._clock = clock
        self._ttl = ttl
        self._size = size
        self._lock = threading.Lock()
        # id -> (snapshot or None, the furthest state seen moving, when it was read)
        self._entries: OrderedDict[str, tuple[Any, int, datetime | None]] = OrderedDict()

    def get(self, key: str) -> Any | None:
        """The snapshot of *key*, if one was read less than ``ttl`` ago and nothing moved."""
        entry = self._entries.get(key)
        if entry is None or entry[0] is None or self._clock.now() - entry[2] >= self._ttl:
            return None
        return entry[0]

    def put(self, key: str, snapshot: Any, state: str) -> None:
        """Keep *snapshot* (of a flow in *state*) unless the flow has moved past it."""
        with self._lock:
            floor = self._entries.get(key, (None, 0, None))[1]
            if RANKS.get(state, 0) >= floor:
                self._entries[key] = (snapshot, floor, self._clock.now())
                self._entries.move_to_end(key)
                while len(self._entries) > self._size:
                    self._entries.popitem(last=False)

    def moved(self, key: str, state: str) -> None:
        """Drop *key*'s snapshot: the flow moved to *state*."""
        with self._lock:
            floor = self._entries.get(key, (None, 0, None))[1]
            self._entries[key] = (None, max(floor, RANKS.get(state, 0)), None)
            self._entries.move_to_end(key)
            while len(self._entries) > self._size:
                self._entries.popitem(last=False)

    def listener(self, prefix: str):
        """A bus tap that drops the entry of every flow an event on ``<prefix><id>`` names."""
        def on_event(channel: str, event: dict) -> None:
            self.moved(channel[len(prefix):], str(event.get("state", "")))
        return on_event
