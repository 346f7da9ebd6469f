"""Expanding a notification into its outbox: one delivery row per subscribed device of
every user in the audience. The audience is taken in user id order, CHUNK users per
transaction that also moves the notification's cursor, so a crash loses nothing (the next
worker resumes at the cursor), the first requests leave while the rest is still being
expanded, and no single transaction holds the store for a whole large audience.

Consent is checked here (a device without current push consent gets a ``suppressed``
row and no request) and again just before each send (``outbox.claim``). Quiet hours
hold non-urgent deliveries until they end.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from datetime import datetime

from sqlalchemy import Connection, bindparam, false, insert, literal, select, update

from gateway.core.clock import Clock
from gateway.core.store import Store
from gateway.core.store.lists import among
from gateway.identity.tables import devices
from gateway.push import audience, preferences, stats
from gateway.push.consent_check import ConsentMemo, granted_devices
from gateway.push.notifications import Notification, get
from gateway.push.states import DeliveryState
from gateway.push.tables import deliveries, notifications, subscriptions

CHUNK = 1000

# on_recipients(connection, now, notification, user_ids) -> announce: told of each chunk's
# users (after their opt-outs) in the chunk's transaction (the in-app inbox keeps its
# messages there); *announce* is called once that transaction has committed.
RecipientsHook = Callable[[Connection, datetime, Notification, list[str]], Callable[[], None]]


def due(store: Store, clock: Clock, limit: int = 20) -> list[str]:
    """Ids of notifications whose send time has come and that are not expanded yet."""
    with store.read() as connection:
        return list(connection.execute(
            select(notifications.c.id)
            .where(notifications.c.expanded_at.is_(None), notifications.c.send_at <= clock.now())
            .order_by(notifications.c.send_at).limit(limit)).scalars())


def next_send_at(connection: Connection) -> datetime | None:
    """When the next scheduled notification falls due."""
    return connection.execute(select(notifications.c.send_at)
                              .where(notifications.c.expanded_at.is_(None))
                              .order_by(notifications.c.send_at).limit(1)).scalar()


_SUBSCRIBED = (select(subscriptions.c.id, subscriptions.c.user_id, subscriptions.c.device_id,
                      subscriptions.c.origin)
               .join(devices, devices.c.id == subscriptions.c.device_id)
               .where(among(subscriptions.c.user_id, "user_ids"), devices.c.revoked_at.is_(None)))


def _subscribed(connection: Connection, user_ids: list[str]) -> list:
    found = []
    for start in range(0, len(user_ids), 500):
        found += connection.execute(_SUBSCRIBED, {"user_ids": user_ids[start:start + 500]}).all()
    return found


def expand(store: Store, clock: Clock, notification_id: str, memo: ConsentMemo | None = None,
           chunk: int = CHUNK, on_recipients: RecipientsHook | None = None) -> int | None:
    """Make the delivery rows of the next *chunk* users of one notification's audience;
    how many rows, or None when it is fully expanded (or another worker took this chunk
    first). The notification counts as expanded once a chunk comes back short.
    *on_recipients* hears of the chunk's users (see ``RecipientsHook``)."""
    now = clock.now()
    with store.write() as connection:
        notification = get(connection, notification_id)
        if notification.expanded_at is not None:
            return None
        user_ids, last, opted_out = audience.page(
            connection, notification.audience, notification.topic,
            after=notification.expanded_cursor, limit=chunk)
        done = last is None or len(user_ids) + opted_out < chunk
        skipped = dict(notification.skipped or {"opted_out": 0})
        skipped["opted_out"] += opted_out
        rows = _rows(connection, clock, notification, user_ids, now, memo)
        cursor = notifications.c.expanded_cursor
        # Single winner: of two workers on the same chunk, one moves the cursor first.
        claimed = connection.execute(
            update(notifications)
            .where(notifications.c.id == notification_id, notifications.c.expanded_at.is_(None),
                   cursor.is_(None) if notification.expanded_cursor is None
                   else cursor == notification.expanded_cursor)
            .values(expanded_cursor=last or notification.expanded_cursor,
                    expanded_at=now if done else None, skipped=skipped,
                    recipients=(notification.recipients or 0) + len(rows))).rowcount
        if not claimed:
            return None
        announce = (on_recipients(connection, now, notification, user_ids)
                    if on_recipients is not None else None)
        _insert(connection, notification, rows, now)
        # Final at once, so counted now; the others are counted when they settle.
        settled = (DeliveryState.SUPPRESSED, DeliveryState.EXPIRED)
        stats.count(connection, now, Counter((row["origin"], row["state"]) for row in rows
                                             if row["state"] in settled))
    if announce is not None:
        announce()
    return len(rows)


_COLUMNS = ("notification_id", "subscription_id", "user_id", "device_id", "origin", "state",
            "attempts", "next_attempt_at", "expires_at", "trimmed", "reason", "updated_at")
# Built once: the rows of a chunk alike but for their subscription (most of them) are
# made by the database from the subscriptions, with the values they share bound once,
# instead of binding a dozen values for each row.
_FROM_SUBSCRIPTIONS = insert(deliveries).from_select(_COLUMNS, select(
    bindparam("notification_id", type_=deliveries.c.notification_id.type),
    subscriptions.c.id, subscriptions.c.user_id, subscriptions.c.device_id,
    subscriptions.c.origin, bindparam("state", type_=deliveries.c.state.type),
    literal(0), bindparam("at", type_=deliveries.c.next_attempt_at.type),
    bindparam("expires_at", type_=deliveries.c.expires_at.type), false(),
    bindparam("reason", type_=deliveries.c.reason.type),
    bindparam("now", type_=deliveries.c.updated_at.type),
).where(among(subscriptions.c.id, "ids")))


def _insert(connection: Connection, notification: Notification, rows: list[dict],
            now: datetime) -> None:
    """Insert the delivery *rows* of one chunk: one statement per (state, reason, time)."""
    groups: dict[tuple, list[str]] = {}
    for row in rows:
        groups.setdefault((row["state"], row["reason"], row["next_attempt_at"]),
                          []).append(row["subscription_id"])
    for (state, reason, at), ids in groups.items():
        for start in range(0, len(ids), 500):
            connection.execute(_FROM_SUBSCRIPTIONS, dict(
                notification_id=notification.id, state=state, at=at,
                expires_at=notification.expires_at, reason=reason, now=now,
                ids=ids[start:start + 500]))


def _rows(connection: Connection, clock: Clock, notification: Notification,
          user_ids: list[str], now: datetime, memo: ConsentMemo | None) -> list[dict]:
    subscribed = _subscribed(connection, user_ids)
    pairs = [(s.user_id, s.device_id) for s in subscribed]
    granted = (memo.granted(connection, clock, pairs) if memo is not None
               else granted_devices(connection, clock, pairs))
    quiet = {}
    if notification.urgency != "high":
        quiet = preferences.of_users(connection, sorted({s.user_id for s in subscribed}))
    rows = []
    for sub in subscribed:
        state, reason, at = DeliveryState.QUEUED, None, max(notification.send_at, now)
        if (sub.user_id, sub.device_id) not in granted:
            state, reason = DeliveryState.SUPPRESSED, "no push consent"
        elif sub.user_id in quiet and (until := quiet[sub.user_id].until(at)) is not None:
            at = until
            if at >= notification.expires_at:
                state, reason = DeliveryState.EXPIRED, "quiet hours last past the TTL"
        rows.append(dict(
            notification_id=notification.id, subscription_id=sub.id, user_id=sub.user_id,
            device_id=sub.device_id, origin=sub.origin, state=state, attempts=0,
            next_attempt_at=at, expires_at=notification.expires_at, trimmed=False,
            reason=reason, updated_at=now))
    return rows
