"""What push does when something changes elsewhere: withdrawing or refusing push consent,
revoking the device or signing it out removes its subscription and settles what is still
queued for it, in the same transaction. And push's part of the retention purge, the
user's export and an account's deletion. The composition root (``gateway.build``) wires
each of them; nothing here registers itself."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Connection, delete, func, select

from gateway.core.clock import Clock
from gateway.push import outbox, subscriptions
from gateway.push.states import CLAIMABLE, DeliveryState
from gateway.push.tables import deliveries, notifications, quiet_hours, topic_opt_outs
from gateway.push.tables import subscriptions as subscriptions_table


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


def export(connection: Connection, user_id: str) -> dict:
    """The user's push data: subscriptions (origin only), opt-outs, quiet hours, deliveries."""
    def rows(query):
        return [{k: (v.isoformat() if isinstance(v, datetime) else v)
                 for k, v in row._mapping.items()} for row in connection.execute(query)]
    return {
        "subscriptions": rows(select(
            subscriptions_table.c.device_id, subscriptions_table.c.origin,
            subscriptions_table.c.created_at, subscriptions_table.c.last_delivered_at)
            .where(subscriptions_table.c.user_id == user_id)),
        "topic_opt_outs": rows(select(topic_opt_outs.c.topic, topic_opt_outs.c.created_at)
                               .where(topic_opt_outs.c.user_id == user_id)),
        "quiet_hours": rows(select(quiet_hours.c.starts, quiet_hours.c.ends,
                                   quiet_hours.c.timezone)
                            .where(quiet_hours.c.user_id == user_id)),
        "deliveries": rows(select(
            deliveries.c.notification_id, notifications.c.title, deliveries.c.device_id,
            deliveries.c.state, deliveries.c.updated_at, deliveries.c.displayed_at)
            .join(notifications, notifications.c.id == deliveries.c.notification_id)
            .where(deliveries.c.user_id == user_id).order_by(deliveries.c.id)),
    }


def erase(connection: Connection, clock: Clock, user_id: str) -> dict[str, int]:
    """Account deletion: the user's push rows go (the rest would go by foreign key)."""
    return {
        "deliveries": connection.execute(delete(deliveries)
                                         .where(deliveries.c.user_id == user_id)).rowcount,
        "subscriptions": connection.execute(delete(subscriptions_table).where(
            subscriptions_table.c.user_id == user_id)).rowcount,
    }
