"""Devices: the phones a user signed in to the companion app with.

A device is known by the identifier the app chose for it, per user: signing in again
from the same app updates the row rather than adding another. A device may register an
ES256 public key so that later approvals can be proven to come from it.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from jwt.algorithms import ECAlgorithm
from jwt.exceptions import InvalidKeyError
from sqlalchemy import Connection, insert, select, update

from gateway.core.clock import Clock
from gateway.core.errors import InvalidRequest, NotFound
from gateway.core.keys import public_jwk
from gateway.core.store import Store
from gateway.core.tokens import new_id
from gateway.identity.tables import devices, token_families

# hook(connection, clock, user_id, device_id): what revoking a device ends elsewhere (its
# push subscription, its report previews), run in the revoking transaction.
RevocationHook = Callable[[Connection, Clock, str, str], None]


@dataclass(frozen=True)
class DeviceDescription:
    """What the app tells about the phone it runs on."""

    app_device_id: str
    model: str
    os: str
    os_version: str
    app_version: str
    public_key: dict | None = None


@dataclass(frozen=True)
class Device:
    id: str
    user_id: str
    app_device_id: str
    model: str
    os: str
    os_version: str
    app_version: str
    public_key: dict | None
    created_at: datetime
    last_seen_at: datetime
    last_ip: str | None
    revoked_at: datetime | None

    @property
    def active(self) -> bool:
        return self.revoked_at is None


def device_key_jwk(jwk: dict) -> dict:
    """The normalised public JWK of a device key. Raises ``InvalidRequest`` unless *jwk*
    is an EC P-256 public key whose point lies on the curve (no private part accepted)."""
    if not isinstance(jwk, dict) or jwk.get("kty") != "EC" or jwk.get("crv") != "P-256":
        raise InvalidRequest("The device key must be an EC P-256 JWK.", field="public_key")
    if "d" in jwk:
        raise InvalidRequest("Send only the public key, never the private "
                             "part.", field="public_key")
    try:
        key = ECAlgorithm.from_jwk(json.dumps(jwk))
    except (InvalidKeyError, ValueError, TypeError, KeyError):
        raise InvalidRequest("The device key is not a valid P-256 "
                             "point.", field="public_key") from None
    jwk = public_jwk(key)
    return {name: jwk[name] for name in ("kty", "crv", "x", "y", "kid")}


def _device(row) -> Device:
    return Device(
        id=row.id,
        user_id=row.user_id,
        app_device_id=row.app_device_id,
        model=row.model,
        os=row.os,
        os_version=row.os_version,
        app_version=row.app_version,
        public_key=json.loads(row.public_key) if row.public_key else None,
        created_at=row.created_at,
        last_seen_at=row.last_seen_at,
        last_ip=row.last_ip,
        revoked_at=row.revoked_at,
    )


def register(
    connection: Connection, clock: Clock, user_id: str, description: DeviceDescription,
    ip: str | None, device_id: str | None = None, reads_in: str | None = None,
) -> Device:
    """Record the device a user signs in from (new, or updated if the app knows it).

    A new device gets *device_id* when given (one the caller minted, as an approved
    scan to connect a phone does), else a fresh one. *reads_in* is the language the
    phone asked for, when it named one the gateway speaks (else the device keeps the one
    it asked for before). Signing in again on a revoked device brings it back: the
    password was checked anew. Raises ``InvalidRequest`` for a malformed public key.
    """
    key = device_key_jwk(description.public_key) if description.public_key else None
    now = clock.now()
    values = dict(
        model=description.model,
        os=description.os,
        os_version=description.os_version,
        app_version=description.app_version,
        last_seen_at=now,
        last_ip=ip,
        revoked_at=None,
    )
    if key is not None:
        values["public_key"] = json.dumps(key)
    if reads_in:
        values["reads_in"] = reads_in
    existing = connection.execute(
        select(devices.c.id).where(
            devices.c.user_id == user_id, devices.c.app_device_id == description.app_device_id
        )
    ).scalar()
    if existing:
        connection.execute(update(devices).where(devices.c.id == existing).values(**values))
        device_id = existing
    else:
        device_id = device_id or new_id()
        connection.execute(
            insert(devices).values(
                id=device_id,
                user_id=user_id,
                app_device_id=description.app_device_id,
                created_at=now,
                **values,
            )
        )
    return _device(connection.execute(select(devices).where(devices.c.id == device_id)).one())


def note_reads_in(connection: Connection, device_id: str, reads_in: str | None) -> None:
    """Keep *reads_in*, the language the phone *device_id* asked for, on its row (nothing
    when it named none the gateway speaks)."""
    if reads_in:
        connection.execute(update(devices).where(devices.c.id == device_id)
                           .values(reads_in=reads_in))


def get_device(store: Store, device_id: str) -> Device:
    """The device with this id. Raises ``NotFound``."""
    with store.read() as connection:
        row = connection.execute(select(devices).where(devices.c.id == device_id)).first()
    if row is None:
        raise NotFound("There is no such device.")
    return _device(row)


def list_devices(store: Store, user_id: str) -> list[Device]:
    """The user's devices, most recently seen first."""
    with store.read() as connection:
        rows = connection.execute(
            select(devices)
            .where(devices.c.user_id == user_id)
            .order_by(devices.c.last_seen_at.desc(), devices.c.id)
        ).all()
    return [_device(row) for row in rows]


@dataclass(frozen=True)
class Devices:
    """Devices, bound to the store, the clock and what revoking a device ends elsewhere (the
    composition root's reactions)."""

    store: Store
    clock: Clock
    on_revoked: tuple[RevocationHook, ...]

    def revoke(self, user_id: str, device_id: str) -> Device:
        """Sign a device out for good: it and every token family it holds are revoked, and
        each of *on_revoked* ends what the device held elsewhere, in the same transaction.

        Raises ``NotFound`` when the device is not this user's (another user's device is
        indistinguishable from a missing one).
        """
        now = self.clock.now()
        with self.store.write() as connection:
            row = connection.execute(
                select(devices).where(devices.c.id == device_id, devices.c.user_id == user_id)
            ).first()
            if row is None:
                raise NotFound("There is no such device.")
            if row.revoked_at is None:
                connection.execute(update(devices).where(devices.c.id == device_id)
                                   .values(revoked_at=now))
            connection.execute(
                update(token_families)
                .where(token_families.c.device_id == device_id,
                       token_families.c.revoked_at.is_(None))
                .values(revoked_at=now, revoked_reason="device-revoked")
            )
            for end in self.on_revoked:
                end(connection, self.clock, user_id, device_id)
            row = connection.execute(select(devices).where(devices.c.id == device_id)).one()
            return _device(row)
