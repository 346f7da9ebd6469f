"""What push does when something changes elsewhere: withdrawing or refusing push consent,
revoking the device or signing it out removes its subscription and settles what is still
queued for it, in the same transaction. And push's part of the retention purge (its
holdings of personal data are in ``personal_data``). The composition root (``gateway.build``) wires
each of them; nothing here registers itself."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Connection, delete, func, select

from gateway.core.clock import Clock
from gateway.push import outbox, subscriptions
from gateway.push.states import CLAIMABLE, DeliveryState
from gateway.push.tables import deliveries, notifications


def on_push_withdrawn(connection: Connection, clock: Clock, user_id: str, device_id: str) -> None:
    """Push consent withdrawn or refused: no subscription, nothing more sent."""
    subscriptions.remove(connection, device_id=device_id)
    outbox.cancel_pending(connection, clock, device_id=device_id,
                          state=DeliveryState.SUPPRESSED, reason="push consent withdrawn")


def on_device_revoked(connection: Connection, clock: Clock, user_id: str, device_id: str) -> None:
    subscriptions.remove(connection, device_id=device_id)
    outbox.cancel_pending(connection, clock, device_id=device_id,
                          state=DeliveryState.PRUNED, reason="the device was revoked")


def on_signed_out(connection: Connection, clock: Clock, family_id: str) -> None:
    for device_id in subscriptions.devices_of_family(connection, family_id):
        subscriptions.remove(connection, device_id=device_id)
        outbox.cancel_pending(connection, clock, device_id=device_id,
                              state=DeliveryState.PRUNED, reason="the device signed out")


def purge_deliveries(connection: Connection, clock: Clock, cutoff: datetime,
                     dry_run: bool) -> int:
    """Remove notifications (and their delivery rows) older than *cutoff* that are done."""
    busy = select(deliveries.c.notification_id).where(deliveries.c.state.in_(CLAIMABLE))
    condition = (notifications.c.created_at < cutoff) & notifications.c.expanded_at.is_not(None) \
        & notifications.c.id.not_in(busy)
    ids = select(notifications.c.id).where(condition)
    count = connection.execute(select(func.count()).select_from(deliveries)
                               .where(deliveries.c.notification_id.in_(ids))).scalar_one()
    if not dry_run:
        doomed = list(connection.execute(ids).scalars())
        for start in range(0, len(doomed), 500):
            chunk = doomed[start:start + 500]
            connection.execute(delete(deliveries).where(deliveries.c.notification_id.in_(chunk)))
            connection.execute(delete(notifications).where(notifications.c.id.in_(chunk)))
    return count
