"""The user's rights: export all my data as one document, and delete my account.

Both follow the personal-data map the composition root assembles (``gateway.build``):
the export has a section per holding of the map (and two views of the activity), the
deletion applies each holding's erasure in the map's order, so a new table cannot hold
personal data that the export forgets or the deletion leaves behind (a test checks every
table).

What must stay as evidence (consent events, the operation log) refers to the account only
by its random id, which nothing links to a person once the account row is gone.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlalchemy import insert, select

from gateway.core import audit
from gateway.core.clock import Clock
from gateway.core.errors import NotFound
from gateway.core.personal_data import Eraser, Exporter
from gateway.core.store import Store
from gateway.identity import accounts
from gateway.identity.tables import users
from gateway.privacy.tables import deleted_accounts

__all__ = ["Eraser", "Exporter", "account_exists", "delete_account", "export"]


def export(store: Store, clock: Clock, user_id: str,
           sections: Mapping[str, Exporter]) -> dict[str, Any]:
    """Everything the gateway holds about the user, as one JSON-ready document with one
    entry per section of *sections*.

    Raises ``NotFound`` for an unknown (or deleted) account.
    """
    with store.read() as connection:
        if connection.execute(select(users.c.id).where(users.c.id == user_id)).first() is None:
            raise NotFound("There is no such account.")
        document = {"generated_at": clock.now().isoformat(), "user_id": user_id}
        for section, exporter in sorted(sections.items()):
            document[section] = exporter(connection, user_id)
    return document


def delete_account(store: Store, clock: Clock, user_id: str,
                   erasures: Mapping[str, Eraser]) -> dict[str, int]:
    """Delete the account and the personal data hanging off it: each of *erasures* in
    its order (the map's: the account's own row last); idempotent.

    Returns per part how many rows were removed or anonymised (``{"account": 0}`` when
    the account was already gone).
    """
    now = clock.now()
    report: dict[str, int] = {}
    with store.write() as connection:
        exists = connection.execute(select(users.c.id).where(users.c.id == user_id)).first()
        if exists is None:
            return {"account": 0}
        for part, eraser in erasures.items():
            report.update({f"{part}.{k}": v for k, v in eraser(connection, clock, user_id).items()})
        connection.execute(insert(deleted_accounts).values(user_id=user_id, deleted_at=now))
        report["account"] = 1
        audit.record(connection, clock, "account.deleted", subject=user_id,
                     details={"parts": sorted(report)})
    return report


def account_exists(store: Store, user_id: str) -> bool:
    """Whether *user_id* names an account that exists."""
    try:
        accounts.get_user(store, user_id)
    except NotFound:
        return False
    return True
