"""The user's rights: export all my data as one document, and delete my account.

``EXPORTS`` are the sections kept here; the composition root adds the other domains'
sections and deletion parts (``gateway.build.reactions``), so a new domain cannot hold
personal data that the export forgets or the deletion leaves behind (a test checks every
table).

Deletion removes the account row, and with it (by foreign keys) devices, tokens,
sessions, group memberships and locations. What must stay as evidence (consent events,
the operation log) refers to the account only by its random id, which nothing links to
a person once the account row is gone.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, delete, insert, select, update

from gateway import consent
from gateway.core import audit
from gateway.core.audit_tables import operations
from gateway.core.clock import Clock
from gateway.core.errors import NotFound
from gateway.core.store import Store
from gateway.identity import accounts
from gateway.identity.tables import devices, token_families, users, web_sessions
from gateway.privacy import partners
from gateway.privacy.tables import deleted_accounts, device_locations

Exporter = Callable[[Connection, str], Any]
Eraser = Callable[[Connection, Clock, str], dict[str, int]]

# exporter(connection, user_id) -> the data of one section of the user's export.
# eraser(connection, clock, user_id) -> counts of what it removed or anonymised, run when
# the account is deleted, before the account row goes.

def _rows(connection: Connection, query) -> list[dict]:
    return [
        {k: (v.isoformat() if isinstance(v, datetime) else v) for k, v in row._mapping.items()}
        for row in connection.execute(query)
    ]


def _account(connection: Connection, user_id: str) -> dict:
    account = _rows(connection, select(
        users.c.id, users.c.username, users.c.display_name, users.c.email, users.c.phone,
        users.c.role, users.c.created_at).where(users.c.id == user_id))[0]
    account["groups"] = list(accounts.get_groups(connection, user_id))
    return account


def _devices(connection: Connection, user_id: str) -> list[dict]:
    return _rows(connection, select(
        devices.c.id, devices.c.app_device_id, devices.c.model, devices.c.os,
        devices.c.os_version, devices.c.app_version, devices.c.created_at,
        devices.c.last_seen_at, devices.c.last_ip, devices.c.revoked_at,
    ).where(devices.c.user_id == user_id).order_by(devices.c.created_at))


def _locations(connection: Connection, user_id: str) -> list[dict]:
    return _rows(connection, select(device_locations).where(device_locations.c.user_id == user_id)
                 .order_by(device_locations.c.reported_at))


def _consents(connection: Connection, user_id: str) -> list[dict]:
    return [
        {name: (value.isoformat() if isinstance(value, datetime) else value)
         for name, value in vars(event).items() if name not in ("prev_hash", "hash")}
        for event in consent.history(connection, user_id=user_id)
    ]


SIGN_INS = ("device.signed-in", "browser.signed-in", "qrlogin.redeemed", "enrollment.approved",
            "enrollment.claimed")


def _operations(connection: Connection, user_id: str, actions: tuple[str, ...] = ()) -> list[dict]:
    query = select(operations.c.at, operations.c.action, operations.c.subject,
                   operations.c.device_id, operations.c.details, operations.c.ip)
    query = query.where(operations.c.actor == user_id)
    if actions:
        query = query.where(operations.c.action.in_(actions))
    return _rows(connection, query.order_by(operations.c.seq))


def _sign_ins(connection: Connection, user_id: str) -> list[dict]:
    return _operations(connection, user_id, SIGN_INS)


def _previews(connection: Connection, user_id: str) -> list[dict]:
    return _operations(connection, user_id, ("preview.opened",))


def _disclosures(connection: Connection, user_id: str) -> list[dict]:
    return [{"partner": d.partner, "fields": list(d.fields), "reason": d.reason,
             "sent_at": d.sent_at.isoformat(), "outcome": d.outcome}
            for d in partners.disclosures_of(connection, user_id)]


EXPORTS: Mapping[str, Exporter] = {
    "account": _account,
    "disclosures": _disclosures,
    "devices": _devices,
    "locations": _locations,
    "consents": _consents,
    "activity": _operations,
    "sign_ins": _sign_ins,
    "previews": _previews,
}


def export(store: Store, clock: Clock, user_id: str,
           sections: Mapping[str, Exporter]) -> dict[str, Any]:
    """Everything the gateway holds about the user, as one JSON-ready document with one
    entry per section of *sections*.

    Raises ``NotFound`` for an unknown (or deleted) account.
    """
    with store.read() as connection:
        if connection.execute(select(users.c.id).where(users.c.id == user_id)).first() is None:
            raise NotFound("no such account")
        document = {"generated_at": clock.now().isoformat(), "user_id": user_id}
        for section, exporter in sorted(sections.items()):
            document[section] = exporter(connection, user_id)
    return document


def delete_account(store: Store, clock: Clock, user_id: str,
                   erasures: Mapping[str, Eraser]) -> dict[str, int]:
    """Delete the account and the personal data hanging off it (each of *erasures* first,
    then what this domain keeps); idempotent.

    Returns per part how many rows were removed or anonymised (all zero when the account
    was already gone).
    """
    now = clock.now()
    report: dict[str, int] = {}
    with store.write() as connection:
        exists = connection.execute(select(users.c.id).where(users.c.id == user_id)).first()
        if exists is None:
            return {"account": 0}
        for part, eraser in sorted(erasures.items()):
            report.update({f"{part}.{k}": v for k, v in eraser(connection, clock, user_id).items()})
        device_ids = select(devices.c.id).where(devices.c.user_id == user_id)
        report["tokens.revoked"] = connection.execute(
            update(token_families).where(token_families.c.device_id.in_(device_ids),
                                         token_families.c.revoked_at.is_(None))
            .values(revoked_at=now, revoked_reason="account-deleted")).rowcount
        report["sessions.removed"] = connection.execute(
            delete(web_sessions).where(web_sessions.c.user_id == user_id)).rowcount
        report["locations.removed"] = connection.execute(
            delete(device_locations).where(device_locations.c.user_id == user_id)).rowcount
        report["devices.removed"] = connection.execute(
            delete(devices).where(devices.c.user_id == user_id)).rowcount
        connection.execute(delete(users).where(users.c.id == user_id))
        connection.execute(insert(deleted_accounts).values(user_id=user_id, deleted_at=now))
        report["account"] = 1
        audit.record(connection, clock, "account.deleted", subject=user_id,
                     details={"parts": sorted(report)})
    return report


def account_exists(store: Store, user_id: str) -> bool:
    try:
        accounts.get_user(store, user_id)
    except NotFound:
        return False
    return True
