"""Integration keys (agreement 1.7): server-to-server access only with a named, scoped,
revocable key. The key is shown once at creation; only its hash is stored.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import insert, select, update

from gateway.core import audit
from gateway.core.clock import Clock
from gateway.core.errors import Conflict, Forbidden, InvalidRequest, NotFound, TokenInvalid
from gateway.core.languages import N_
from gateway.core.store import Store
from gateway.core.tokens import digest, new_id, new_token
from gateway.identity.integration_tables import integration_keys

# Each scope with what it allows (fixed English, translated where shown).
SCOPES = {
    "reports:write": N_("register and update reports and their previews"),
    "push:send": N_("send push notifications"),
    "partners:share": N_("hand a user's data to a partner system (only with their consent)"),
}
PREFIX = "gwk_"


@dataclass(frozen=True)
class Integration:
    id: str
    name: str
    scopes: tuple[str, ...]
    created_at: datetime
    last_used_at: datetime | None
    revoked_at: datetime | None


def _integration(row) -> Integration:
    return Integration(row.id, row.name, tuple(row.scopes), row.created_at, row.last_used_at,
                       row.revoked_at)


def authenticate(store: Store, clock: Clock, key: str, scope: str) -> Integration:
    """The integration holding *key*, if it is live and has *scope*.

    Raises ``TokenInvalid`` for an unknown or revoked key and ``Forbidden`` for a key
    without the scope.
    """
    if not key.startswith(PREFIX):
        raise TokenInvalid("This is not an integration key. Send a key that starts with gwk_.")
    with store.read() as connection:
        row = connection.execute(select(integration_keys)
                                 .where(integration_keys.c.key_hash == digest(key))).first()
    if row is None or row.revoked_at is not None:
        raise TokenInvalid("This integration key is unknown or was revoked. Ask an administrator "
                           "for a new one.")
    if scope not in row.scopes:
        raise Forbidden("This integration key may not do this: it lacks the scope \"{scope}\".",
                        params={"scope": scope})
    with store.write() as connection:
        connection.execute(update(integration_keys).where(integration_keys.c.id == row.id)
                           .values(last_used_at=clock.now()))
    return _integration(row)


@dataclass(frozen=True)
class Integrations:
    """Integration keys, bound to the store and the clock: made, listed and revoked by an admin."""

    store: Store
    clock: Clock

    def create(self, *, name: str, scopes: list[str],
               created_by: str | None) -> tuple[Integration, str]:
        """A new key for the system *name*; returns it with the key, shown only now.

        Raises ``InvalidRequest`` for an unknown scope and ``Conflict`` for a taken name.
        """
        unknown = sorted(set(scopes) - SCOPES.keys())
        if unknown or not scopes:
            raise InvalidRequest("Choose scopes among "
                                 "{scopes}.", params={"scopes": ", ".join(SCOPES)},
                                 field="scopes")
        key = PREFIX + new_token()
        with self.store.write() as connection:
            if connection.execute(select(integration_keys.c.id)
                                  .where(integration_keys.c.name == name)).first():
                raise Conflict("An integration called \"{name}\" exists already. Choose another "
                               "name.",
                               params={"name": name})
            integration_id = new_id()
            connection.execute(insert(integration_keys).values(
                id=integration_id, name=name, key_hash=digest(key), scopes=sorted(set(scopes)),
                created_at=self.clock.now(), created_by=created_by))
            audit.record(connection, self.clock, "integration.created", actor=created_by,
                         subject=integration_id, details={"name": name, "scopes": sorted(scopes)})
            row = connection.execute(select(integration_keys)
                                     .where(integration_keys.c.id == integration_id)).one()
        return _integration(row), key

    def list_all(self) -> list[Integration]:
        with self.store.read() as connection:
            rows = connection.execute(select(integration_keys).order_by(integration_keys.c.name))
            return [_integration(row) for row in rows]

    def revoke(self, integration_id: str, by: str | None) -> Integration:
        """Stop a key working at once. Raises ``NotFound``."""
        with self.store.write() as connection:
            found = connection.execute(update(integration_keys)
                                       .where(integration_keys.c.id == integration_id)
                                       .values(revoked_at=self.clock.now())).rowcount
            if not found:
                raise NotFound("There is no such integration.")
            audit.record(connection, self.clock, "integration.revoked", actor=by,
                         subject=integration_id)
            row = connection.execute(select(integration_keys)
                                     .where(integration_keys.c.id == integration_id)).one()
        return _integration(row)
