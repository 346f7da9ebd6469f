"""Alerts for the admin: push services refusing our requests (our fault: VAPID key,
subject or payload), an unusual share of 404/410 answers (pruning paused), or an endpoint
that resolves to a private address. One open alert per kind and origin, counted up."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Connection, insert, select, update

from gateway.core import audit
from gateway.core.clock import Clock
from gateway.core.errors import NotFound
from gateway.core.store import Store
from gateway.push.tables import alerts, origins

log = logging.getLogger("gateway.push")
KINDS = ("our-fault", "mass-prune", "unsafe-endpoint", "no-subject")


@dataclass(frozen=True)
class Alert:
    id: int
    kind: str
    origin: str
    detail: str
    count: int
    first_at: datetime
    last_at: datetime
    resolved_at: datetime | None


def _alert(row) -> Alert:
    return Alert(row.id, row.kind, row.origin, row.detail, row.count, row.first_at, row.last_at,
                 row.resolved_at)


def raise_alert(connection: Connection, clock: Clock, kind: str, origin: str, detail: str,
                count: int = 1) -> None:
    """Open an alert, or count *count* more on the open one of the same kind and origin."""
    now = clock.now()
    bumped = connection.execute(
        update(alerts)
        .where(alerts.c.kind == kind, alerts.c.origin == origin, alerts.c.resolved_at.is_(None))
        .values(count=alerts.c.count + count, last_at=now, detail=detail)).rowcount
    if not bumped:
        connection.execute(insert(alerts).values(kind=kind, origin=origin, detail=detail,
                                                 count=count, first_at=now, last_at=now))
        log.warning("push alert %s for %s: %s", kind, origin, detail)


def open_alerts(connection: Connection) -> list[Alert]:
    rows = connection.execute(select(alerts).where(alerts.c.resolved_at.is_(None))
                              .order_by(alerts.c.last_at.desc()))
    return [_alert(row) for row in rows]


def resolve(store: Store, clock: Clock, alert_id: int, *, actor: str | None) -> Alert:
    """Close an alert; closing a mass-prune alert lets its origin prune again at once.
    Raises ``NotFound``."""
    with store.write() as connection:
        row = connection.execute(select(alerts).where(alerts.c.id == alert_id)).first()
        if row is None:
            raise NotFound("There is no such alert.")
        if row.resolved_at is None:
            connection.execute(update(alerts).where(alerts.c.id == alert_id)
                               .values(resolved_at=clock.now(), resolved_by=actor))
            if row.kind == "mass-prune":
                connection.execute(update(origins).where(origins.c.origin == row.origin)
                                   .values(prune_paused_until=None))
            audit.record(connection, clock, "push.alert-resolved", actor=actor,
                         subject=str(alert_id), details={"kind": row.kind, "origin": row.origin})
        return _alert(connection.execute(select(alerts).where(alerts.c.id == alert_id)).one())
