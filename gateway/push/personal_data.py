"""Push's part of the personal-data map: subscriptions (the endpoint names the phone's push
service), deliveries, quiet hours and opt-outs, notifications (their audience may name
people), and who changed the push settings or resolved an alert. ``gateway.build`` adds
these holdings to the map; nothing here registers itself."""

from __future__ import annotations

from urllib.parse import urlsplit

from sqlalchemy import Connection, select, update

from gateway.core.clock import Clock
from gateway.core.languages import N_
from gateway.core.personal_data import Category, Holding, json_rows
from gateway.identity.tables import devices, users
from gateway.push import reactions
from gateway.push.allowlist import service_of
from gateway.push.tables import (
    alerts,
    config,
    deliveries,
    notifications,
    quiet_hours,
    subscriptions,
    topic_opt_outs,
)

PUSH_DELIVERIES = Category("push_deliveries", "retain_push_delivery_days",
                           reactions.purge_deliveries,
                           N_("Sent notifications and their per-device delivery rows"))


def export(connection: Connection, user_id: str) -> dict:
    """The user's push data: subscriptions (with the endpoint, which names the push
    service), opt-outs, quiet hours, deliveries, notifications they sent, and the push
    settings they changed or alerts they resolved as an admin."""
    def rows(query):
        return json_rows(connection.execute(query))
    mine = select(devices.c.id).where(devices.c.user_id == user_id).scalar_subquery()
    return {
        "subscriptions": with_service(rows(select(
            subscriptions.c.id, subscriptions.c.device_id, subscriptions.c.endpoint,
            subscriptions.c.origin, subscriptions.c.family_id, subscriptions.c.vapid_kid,
            subscriptions.c.created_at, subscriptions.c.updated_at,
            subscriptions.c.last_delivered_at)
            .where((subscriptions.c.user_id == user_id) | subscriptions.c.device_id.in_(mine)))),
        "topic_opt_outs": rows(select(topic_opt_outs.c.topic, topic_opt_outs.c.created_at)
                               .where(topic_opt_outs.c.user_id == user_id)),
        "quiet_hours": rows(select(quiet_hours.c.starts, quiet_hours.c.ends,
                                   quiet_hours.c.timezone, quiet_hours.c.updated_at)
                            .where(quiet_hours.c.user_id == user_id)),
        "deliveries": rows(select(deliveries, notifications.c.title)
            .join(notifications, notifications.c.id == deliveries.c.notification_id)
            .where((deliveries.c.user_id == user_id) | deliveries.c.device_id.in_(mine))
            .order_by(deliveries.c.id)),
        "sent": rows(select(
            notifications.c.id, notifications.c.sender_kind, notifications.c.audience,
            notifications.c.topic, notifications.c.title, notifications.c.created_at,
            notifications.c.recipients)
            .where(notifications.c.sender_id == user_id).order_by(notifications.c.created_at)),
        "settings_changed": rows(select(config.c.name, config.c.updated_at)
                                 .where(config.c.updated_by == user_id)),
        "alerts_resolved": rows(select(alerts.c.id, alerts.c.kind, alerts.c.resolved_at)
                                .where(alerts.c.resolved_by == user_id)),
    }


def with_service(found: list[dict]) -> list[dict]:
    """Each subscription with who runs its push service, which every notification to it
    passes through (it leaves this server, often the country)."""
    return [{**row, "push_service": service_of(urlsplit(row["origin"]).hostname or "")}
            for row in found]


def scrub_audiences(connection: Connection, clock: Clock, user_id: str) -> dict[str, int]:
    """Account deletion: the user's name leaves every notification's audience, and a
    finished expansion forgets that it stopped at the user's id; otherwise the history
    would tie the user's random id back to their name."""
    username = connection.execute(select(users.c.username).where(users.c.id == user_id)).scalar()
    scrubbed = 0
    for row in connection.execute(select(notifications.c.id, notifications.c.audience)).all():
        names = list((row.audience or {}).get("users") or ())
        if username in names:
            audience = {**row.audience, "users": [n for n in names if n != username]}
            connection.execute(update(notifications).where(notifications.c.id == row.id)
                               .values(audience=audience))
            scrubbed += 1
    cursors = connection.execute(update(notifications).where(
        notifications.c.expanded_cursor == user_id, notifications.c.expanded_at.is_not(None))
        .values(expanded_cursor=None)).rowcount
    return {"audiences_scrubbed": scrubbed, "cursors_cleared": cursors}


NOTIFICATIONS = Holding(
    notifications, "push", users=("sender_id",), personal=("audience", "expanded_cursor"),
    kept="GATEWAY_RETAIN_PUSH_DELIVERY_DAYS; the sender's random id until then",
    section="push", erasure="keep", eraser=scrub_audiences, retention=(PUSH_DELIVERIES,))

HOLDINGS = (
    Holding(deliveries, "push", users=("user_id",), devices=("device_id",),
            personal=("origin",), kept="GATEWAY_RETAIN_PUSH_DELIVERY_DAYS",
            section="push", exporter=export, retention=(PUSH_DELIVERIES,)),
    Holding(subscriptions, "push", users=("user_id",), devices=("device_id",),
            personal=("endpoint", "origin"), secret=("endpoint_hash", "p256dh", "auth"),
            kept="while push consent is granted on the device", section="push"),
    NOTIFICATIONS,
    Holding(quiet_hours, "push", users=("user_id",), kept="for the account's life",
            section="push"),
    Holding(topic_opt_outs, "push", users=("user_id",), kept="for the account's life",
            section="push"),
    Holding(config, "administration", users=("updated_by",),
            kept="while the setting stands; who changed it until deletion",
            section="push", erasure="anonymise"),
    Holding(alerts, "administration", users=("resolved_by",),
            kept="while the alert is kept; who resolved it until deletion",
            section="push", erasure="anonymise"),
)
