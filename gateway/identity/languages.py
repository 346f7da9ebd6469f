"""The language a user chose with the pages' switch: kept on the account (for what the
gateway sends them, such as push announcements, and for their next sign-in elsewhere) and
on the phone that chose it."""

from __future__ import annotations

from sqlalchemy import Connection, select, update

from gateway.core.store import Store
from gateway.identity.tables import devices, users


def choose(store: Store, user_id: str, language: str, device_id: str | None = None) -> None:
    """Save *language* as the choice of the account *user_id* and, when given, of its
    device *device_id*."""
    with store.write() as conn:
        conn.execute(update(users).where(users.c.id == user_id).values(language=language))
        if device_id:
            conn.execute(update(devices).where(devices.c.id == device_id,
                                               devices.c.user_id == user_id)
                         .values(language=language))


def chosen(conn: Connection, user_id: str) -> str | None:
    """The language the account *user_id* chose, or None if it never chose one."""
    return conn.execute(select(users.c.language).where(users.c.id == user_id)).scalar()
