"""The in-app inbox: every notification addressed to a user is also kept as a message the
user reads in the companion, for the inbox's retention period.

It is not an operating-system notification, so it needs no push consent: a user without
any push subscription (Chrome in mainland China cannot reach Google's push service, iOS
delivers Web Push only to home-screen apps) still gets every message here. The user's
topic opt-outs apply (the audience is resolved without them, ``audience.page``). Read
state is the user's, not a device's: read on one phone is read on all of them, and every
open companion of the user hears of it at once on its event stream (``channel``).

Messages are kept while the expansion makes the delivery rows (``keeper``), in the same
transaction, and announced on the event bus after it commits.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import Connection, bindparam, delete, func, insert, select, update

from gateway.core.clock import Clock
from gateway.core.events import EventBus
from gateway.core.store import Store
from gateway.core.store.lists import among
from gateway.identity.tables import users
from gateway.push.inbox_tables import inbox_messages
from gateway.push.notifications import Notification

CHANNEL_PREFIX = "inbox:"
PAGE = 50  # messages per page of the list, and most resent on a stream's reconnect
MOST_MARKED = 200  # ids one "mark read" may name


def channel(user_id: str) -> str:
    """The event bus channel every open companion of *user_id* listens on."""
    return f"{CHANNEL_PREFIX}{user_id}"


@dataclass(frozen=True)
class Message:
    id: int
    notification_id: str
    topic: str | None
    title: str
    body: str
    url: str | None
    created_at: datetime
    read_at: datetime | None

    def shown(self) -> dict:
        """The message as the companion gets it (JSON-ready)."""
        return {"id": self.id, "notification_id": self.notification_id, "topic": self.topic,
                "title": self.title, "body": self.body, "url": self.url,
                "created_at": self.created_at.isoformat(),
                "read": self.read_at is not None}


def _message(row) -> Message:
    return Message(**{name: getattr(row, name) for name in Message.__dataclass_fields__})


def _columns():
    return [inbox_messages.c[name] for name in Message.__dataclass_fields__]


_UNREAD = (select(inbox_messages.c.user_id, func.count())
           .where(among(inbox_messages.c.user_id, "user_ids"), inbox_messages.c.read_at.is_(None))
           .group_by(inbox_messages.c.user_id))


def unread_counts(connection: Connection, user_ids: Iterable[str]) -> dict[str, int]:
    """Unread messages per user, for *user_ids* (a user without any is left out)."""
    user_ids = sorted(set(user_ids))
    found: dict[str, int] = {}
    for start in range(0, len(user_ids), 500):
        found.update(connection.execute(_UNREAD, {"user_ids": user_ids[start:start + 500]}).all())
    return found


Announce = Callable[[], None]


# The messages of one chunk differ only in their user: the database makes them from the
# users' ids with the rest bound once, rather than binding eight values for each row.
_KEEP = insert(inbox_messages).from_select(
    ["user_id", "notification_id", "topic", "title", "body", "url", "created_at"],
    select(users.c.id,
           *(bindparam(name, type_=inbox_messages.c[name].type) for name in
             ("notification_id", "topic", "title", "body", "url", "created_at")))
    .where(among(users.c.id, "user_ids")).order_by(users.c.id)
).returning(inbox_messages.c.user_id, inbox_messages.c.id)


def keep(connection: Connection, now: datetime, notification: Notification,
         user_ids: list[str]) -> list[tuple[str, dict]]:
    """Keep *notification* as a message for each of *user_ids* (the audience after their
    opt-outs); the events to announce once the transaction commits, as (channel, event)."""
    if not user_ids:
        return []
    now = now.astimezone(UTC)
    kept: dict[str, int] = {}
    for start in range(0, len(user_ids), 500):
        kept.update(connection.execute(_KEEP, dict(
            user_ids=user_ids[start:start + 500], notification_id=notification.id,
            topic=notification.topic, title=notification.title, body=notification.body,
            url=notification.url, created_at=now)).all())
    unread = unread_counts(connection, user_ids)
    # What every message says but its id, made once for the chunk.
    shown = Message(0, notification.id, notification.topic, notification.title,
                    notification.body, notification.url, now, None).shown()
    return [(channel(user_id), {"kind": "message", "message": {**shown, "id": message_id},
                                "unread": unread.get(user_id, 0)})
            for user_id, message_id in kept.items()]


def keeper(bus: EventBus) -> Callable[[Connection, datetime, Notification, list[str]], Announce]:
    """The expansion's hook (``expansion.expand``'s *on_recipients*): keeps the messages in
    the expansion's transaction and gives back what announces them on *bus* after it."""
    def on_recipients(connection: Connection, now: datetime, notification: Notification,
                      user_ids: list[str]) -> Announce:
        events = keep(connection, now, notification, user_ids)

        def announce() -> None:
            for name, event in events:
                bus.publish(name, event)
        return announce
    return on_recipients


class Inbox:
    """A user's inbox, bound to the store, the clock and the event bus."""

    def __init__(self, store: Store, clock: Clock, bus: EventBus) -> None:
        self.store, self.clock, self.bus = store, clock, bus

    def page(self, user_id: str, *, before: int | None = None, unread_only: bool = False,
             limit: int = PAGE) -> list[Message]:
        """The user's messages, newest first (older than message *before* when given)."""
        query = select(*_columns()).where(inbox_messages.c.user_id == user_id)
        if before is not None:
            query = query.where(inbox_messages.c.id < before)
        if unread_only:
            query = query.where(inbox_messages.c.read_at.is_(None))
        with self.store.read() as connection:
            return [_message(row) for row in connection.execute(
                query.order_by(inbox_messages.c.id.desc()).limit(limit))]

    def since(self, user_id: str, after: int, limit: int = PAGE) -> list[Message]:
        """The user's messages after message *after*, oldest first (at most *limit*, the
        newest ones): what an event stream resends when its companion reconnects."""
        with self.store.read() as connection:
            rows = connection.execute(
                select(*_columns()).where(inbox_messages.c.user_id == user_id,
                                          inbox_messages.c.id > after)
                .order_by(inbox_messages.c.id.desc()).limit(limit)).all()
        return [_message(row) for row in reversed(rows)]

    def newest_id(self, user_id: str) -> int:
        """The id of the user's newest message (0 when there is none)."""
        with self.store.read() as connection:
            return connection.execute(select(func.max(inbox_messages.c.id))
                                      .where(inbox_messages.c.user_id == user_id)).scalar() or 0

    def unread(self, user_id: str) -> int:
        """How many of the user's messages are unread."""
        with self.store.read() as connection:
            return unread_counts(connection, [user_id]).get(user_id, 0)

    def mark_read(self, user_id: str, ids: list[int]) -> int:
        """Mark the user's messages *ids* read (ids of others' messages, or of none, change
        nothing); tells the user's open companions. Returns the unread count."""
        return self._mark(user_id, inbox_messages.c.id.in_(sorted(set(ids))),
                          {"ids": sorted(set(ids))})

    def mark_all_read(self, user_id: str) -> int:
        """Mark every message of the user read; tells the user's open companions. Returns
        the unread count (0)."""
        return self._mark(user_id, None, {"all": True})

    def _mark(self, user_id: str, which, told: dict) -> int:
        condition = (inbox_messages.c.user_id == user_id) & inbox_messages.c.read_at.is_(None)
        if which is not None:
            condition = condition & which
        with self.store.write() as connection:
            changed = connection.execute(update(inbox_messages).where(condition)
                                         .values(read_at=self.clock.now())).rowcount
            unread = unread_counts(connection, [user_id]).get(user_id, 0)
        if changed:
            self.bus.publish(channel(user_id), {"kind": "read", **told, "unread": unread})
        return unread


def purge(connection: Connection, clock: Clock, cutoff: datetime, dry_run: bool) -> int:
    """Retention: remove messages kept since before *cutoff*, read or not."""
    old = inbox_messages.c.created_at < cutoff
    if dry_run:
        return connection.execute(select(func.count()).select_from(inbox_messages)
                                  .where(old)).scalar_one()
    return connection.execute(delete(inbox_messages).where(old)).rowcount
