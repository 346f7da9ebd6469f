"""What the admin console shows: each notification's progress (deliveries by state,
displays), the history, and deliveries over time by outcome."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import Connection, func, select

from gateway.push import stats
from gateway.push.notifications import Notification, from_row
from gateway.push.states import CLAIMABLE, STATES
from gateway.push.tables import deliveries, notifications


def progress(connection: Connection, ids: list[str]) -> dict[str, dict]:
    """Per notification id: {"states": {state: n}, "displayed": n, "total": n}."""
    found = {nid: {"states": dict.fromkeys(STATES, 0), "displayed": 0, "total": 0}
             for nid in ids}
    if not ids:
        return found
    rows = connection.execute(
        select(deliveries.c.notification_id, deliveries.c.state, func.count(),
               func.count(deliveries.c.displayed_at))
        .where(deliveries.c.notification_id.in_(ids))
        .group_by(deliveries.c.notification_id, deliveries.c.state))
    for notification_id, state, count, displayed in rows:
        entry = found[notification_id]
        entry["states"][state] = count
        entry["displayed"] += displayed
        entry["total"] += count
    return found


def done(notification: Notification, counts: dict) -> bool:
    """Whether every delivery reached a final state (and the expansion happened)."""
    pending = sum(counts["states"][s] for s in CLAIMABLE)
    return notification.expanded_at is not None and pending == 0


def recent(connection: Connection, *, limit: int = 50,
           before: datetime | None = None) -> list[Notification]:
    """The newest notifications, newest first (older than *before* when given)."""
    query = select(notifications)
    if before is not None:
        query = query.where(notifications.c.created_at < before)
    rows = connection.execute(query.order_by(notifications.c.created_at.desc(),
                                             notifications.c.id).limit(limit))
    return [from_row(row) for row in rows]


def by_device(connection: Connection, notification_id: str, limit: int = 500) -> list[dict]:
    """The deliveries of one notification, for the breakdown table."""
    rows = connection.execute(
        select(deliveries.c.id, deliveries.c.user_id, deliveries.c.device_id,
               deliveries.c.origin, deliveries.c.state, deliveries.c.attempts,
               deliveries.c.last_status, deliveries.c.reason, deliveries.c.updated_at,
               deliveries.c.delivered_at, deliveries.c.displayed_at)
        .where(deliveries.c.notification_id == notification_id)
        .order_by(deliveries.c.id).limit(limit))
    return [dict(row._mapping) for row in rows]


def over_time(connection: Connection, now: datetime, hours: int) -> tuple[list[dict], timedelta]:
    """Outcomes over the last *hours*, in about 60 steps; returns them and the step."""
    step = timedelta(minutes=max(1, hours * 60 // 60))
    return stats.series(connection, now - timedelta(hours=hours), now, step), step
