"""The sections of the user's export that need shaping beyond a table's rows: the
account with its groups, consent decisions, the activity in the operation log, partner
disclosures; and two views of the activity (sign-ins, previews opened)."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime

from sqlalchemy import Connection, or_, select

from gateway import consent
from gateway.core.audit_tables import operations
from gateway.core.personal_data import Exporter, json_rows
from gateway.identity import accounts
from gateway.identity.tables import devices, users
from gateway.privacy import partners

SIGN_INS = ("device.signed-in", "browser.signed-in", "qrlogin.redeemed", "enrollment.approved",
            "enrollment.claimed")


def account(connection: Connection, user_id: str) -> dict:
    """The account row (no password hash) with the groups it is in."""
    found = json_rows(connection.execute(select(
        users.c.id, users.c.username, users.c.display_name, users.c.email, users.c.phone,
        users.c.role, users.c.must_change_password, users.c.created_at, users.c.disabled_at,
    ).where(users.c.id == user_id)))[0]
    found["groups"] = list(accounts.get_groups(connection, user_id))
    return found


def consents(connection: Connection, user_id: str) -> list[dict]:
    """Every consent decision about the user (the web layer adds each one's receipt)."""
    return [
        {name: (value.isoformat() if isinstance(value, datetime) else value)
         for name, value in vars(event).items() if name not in ("prev_hash", "hash")}
        for event in consent.history(connection, user_id=user_id)
    ]


def activity(connection: Connection, user_id: str, actions: tuple[str, ...] = ()) -> list[dict]:
    """The operation log's entries done by the user or one of their devices."""
    mine = select(devices.c.id).where(devices.c.user_id == user_id).scalar_subquery()
    query = select(operations.c.seq, operations.c.at, operations.c.actor, operations.c.action,
                   operations.c.subject, operations.c.device_id, operations.c.details,
                   operations.c.ip)
    query = query.where(or_(operations.c.actor == user_id, operations.c.device_id.in_(mine)))
    if actions:
        query = query.where(operations.c.action.in_(actions))
    return json_rows(connection.execute(query.order_by(operations.c.seq)))


def disclosures(connection: Connection, user_id: str) -> list[dict]:
    """What was sent about the user to which partner, when and why."""
    return [{"partner": d.partner, "fields": list(d.fields), "reason": d.reason,
             "sent_at": d.sent_at.isoformat(), "outcome": d.outcome,
             "status_code": d.status_code}
            for d in partners.disclosures_of(connection, user_id)]


def _sign_ins(connection: Connection, user_id: str) -> list[dict]:
    return activity(connection, user_id, SIGN_INS)


def _previews(connection: Connection, user_id: str) -> list[dict]:
    return activity(connection, user_id, ("preview.opened",))


# Views of the activity section, for reading: they hold nothing the map does not export.
VIEWS: Mapping[str, Exporter] = {"sign_ins": _sign_ins, "previews": _previews}
