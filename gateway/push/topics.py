"""Topics: what a notification is about, with its default TTL and urgency. Every user
receives every topic until they opt out of it (per user, on any of their devices)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Connection, delete, insert, select, update

from gateway.core import audit
from gateway.core.clock import Clock
from gateway.core.errors import NotFound
from gateway.core.store import Store
from gateway.push.tables import topic_opt_outs, topics

URGENCIES = ("very-low", "low", "normal", "high")  # RFC 8030 section 5.3
MAX_TTL = 28 * 24 * 3600  # the longest push services keep a message (FCM: 4 weeks)


@dataclass(frozen=True)
class Topic:
    name: str
    title: str
    description: str
    ttl: int
    urgency: str
    created_at: datetime
    updated_at: datetime


def _topic(row) -> Topic:
    return Topic(row.name, row.title, row.description, row.ttl, row.urgency, row.created_at,
                 row.updated_at)


def get(connection: Connection, name: str) -> Topic:
    """The topic *name*. Raises ``NotFound``."""
    row = connection.execute(select(topics).where(topics.c.name == name)).first()
    if row is None:
        raise NotFound("There is no topic \"{name}\".", params={"name": name}, topic=name)
    return _topic(row)


def list_all(store: Store) -> list[Topic]:
    with store.read() as connection:
        return [_topic(row) for row in connection.execute(select(topics).order_by(topics.c.name))]


def save(store: Store, clock: Clock, *, name: str, title: str, description: str, ttl: int,
         urgency: str, actor: str | None) -> tuple[Topic, bool]:
    """Create or change the topic *name*; returns it and whether it is new. The web layer
    has checked the name pattern, the TTL range and the urgency."""
    now = clock.now()
    values = dict(title=title, description=description, ttl=ttl, urgency=urgency, updated_at=now)
    with store.write() as connection:
        changed = connection.execute(update(topics).where(topics.c.name == name)
                                     .values(**values)).rowcount
        if not changed:
            connection.execute(insert(topics).values(name=name, created_at=now, **values))
        audit.record(connection, clock, "push.topic-saved", actor=actor, subject=name,
                     details={"ttl": ttl, "urgency": urgency})
        return get(connection, name), not changed


def remove(store: Store, clock: Clock, name: str, *, actor: str | None) -> None:
    """Delete a topic and its opt-outs (sent notifications keep its name). Raises ``NotFound``."""
    with store.write() as connection:
        get(connection, name)
        connection.execute(delete(topic_opt_outs).where(topic_opt_outs.c.topic == name))
        connection.execute(delete(topics).where(topics.c.name == name))
        audit.record(connection, clock, "push.topic-deleted", actor=actor, subject=name)


def opted_out(connection: Connection, user_id: str) -> set[str]:
    """The topics *user_id* opted out of."""
    return set(connection.execute(select(topic_opt_outs.c.topic)
                                  .where(topic_opt_outs.c.user_id == user_id)).scalars())


def set_opt_out(store: Store, clock: Clock, *, user_id: str, topic: str, out: bool) -> None:
    """Opt the user out of *topic* (or back in). Raises ``NotFound`` for an unknown topic."""
    with store.write() as connection:
        get(connection, topic)
        connection.execute(delete(topic_opt_outs).where(topic_opt_outs.c.user_id == user_id,
                                                        topic_opt_outs.c.topic == topic))
        if out:
            connection.execute(insert(topic_opt_outs).values(user_id=user_id, topic=topic,
                                                             created_at=clock.now()))
        audit.record(connection, clock, "push.topic-opted-out" if out else "push.topic-opted-in",
                     actor=user_id, subject=topic)
