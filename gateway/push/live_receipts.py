"""Which devices the companion's live event stream reached: a delivery row per device and
message, channel ``live``, written in batches.

An open companion gets a new inbox message on its event stream at once; the stream tells
``LiveReceipts`` and goes on. Writing one row per device as it happens would be thousands
of tiny transactions for a message to everyone, so rows gather here and one transaction
writes them all (``flush``) once the burst is over (no receipt for *delay* seconds, or
LONGEST_WAIT at most), on a timer thread of its own: a fan-out's receipts go in one
transaction that does not compete with the fan-out's own writes or delay its frames. A
device reached twice (a reconnect resends what it may have missed) keeps its first row.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import Counter

from sqlalchemy import insert, select

from gateway.core.clock import Clock
from gateway.core.store import Store
from gateway.identity.tables import devices
from gateway.push import stats
from gateway.push.states import DeliveryState
from gateway.push.tables import deliveries, notifications

log = logging.getLogger("gateway.push")
LONGEST_WAIT = 10.0  # seconds a receipt waits at most while a burst goes on
CHANNEL = "live"
ORIGIN = "live"  # what the statistics count it under, beside the push services' origins


class LiveReceipts:
    """Receipts of the live stream, gathered until the next ``flush``."""

    def __init__(self, store: Store, clock: Clock, delay: float | None = 1.0) -> None:
        self.store, self.clock = store, clock
        self.delay = delay  # seconds without a receipt before a flush; None: only by hand
        self._lock = threading.Lock()
        self._pending: set[tuple[str, str, str]] = set()
        self._first = self._last = 0.0  # time.monotonic() of the burst's first, last receipt

    def add(self, notification_id: str, user_id: str, device_id: str) -> None:
        """Note that the live stream carried *notification_id* to *device_id*; the first
        receipt since the last flush schedules the next one (``_when_quiet``)."""
        with self._lock:
            first = not self._pending
            self._pending.add((notification_id, user_id, device_id))
            self._last = time.monotonic()
            if first:
                self._first = self._last
        if first and self.delay is not None:
            self._later(self.delay)

    def _later(self, seconds: float) -> None:
        timer = threading.Timer(seconds, self._when_quiet)
        timer.daemon = True
        timer.start()

    def _when_quiet(self) -> None:
        now = time.monotonic()
        with self._lock:
            quiet_for, waited = now - self._last, now - self._first
        if quiet_for < self.delay and waited < LONGEST_WAIT:
            self._later(self.delay - quiet_for)  # the burst goes on: wait for its end
            return
        try:
            self.flush()
        except Exception:  # a store away: these receipts are lost, never the messages
            log.exception("recording live deliveries failed")

    def flush(self) -> int:
        """Write the receipts gathered so far in one transaction; how many rows it made.
        Receipts of a notification or device gone meanwhile are dropped."""
        with self._lock:
            taken, self._pending = self._pending, set()
        if not taken:
            return 0
        now = self.clock.now()
        ids = sorted({n for n, _, _ in taken})
        device_ids = sorted({d for _, _, d in taken})
        with self.store.write() as connection:
            known = set(connection.execute(select(notifications.c.id)
                                           .where(notifications.c.id.in_(ids))).scalars())
            alive = set(connection.execute(select(devices.c.id)
                                           .where(devices.c.id.in_(device_ids))).scalars())
            seen = {tuple(row) for row in connection.execute(
                select(deliveries.c.notification_id, deliveries.c.device_id)
                .where(deliveries.c.channel == CHANNEL, deliveries.c.notification_id.in_(ids),
                       deliveries.c.device_id.in_(device_ids)))}
            rows = [dict(notification_id=n, subscription_id=None, user_id=u, device_id=d,
                         origin=ORIGIN, state=DeliveryState.DELIVERED, attempts=1,
                         next_attempt_at=now, expires_at=now, trimmed=False, reason=None,
                         updated_at=now, delivered_at=now, channel=CHANNEL)
                    for n, u, d in sorted(taken)
                    if n in known and d in alive and (n, d) not in seen]
            if rows:
                connection.execute(insert(deliveries), rows)
                stats.count(connection, now,
                            Counter({(ORIGIN, DeliveryState.DELIVERED.value): len(rows)}))
        return len(rows)
