"""VAPID keys (RFC 8292): the gateway's identity towards push services.

One key is ``current``: its public half is the ``applicationServerKey`` new subscriptions
are made with. Rotating makes a new current key; the old one becomes ``previous`` and
keeps signing for the subscriptions made with it (each remembers its key). Retiring a
previous key stops it signing and flags its subscriptions for re-subscription.

Private keys are stored wrapped (AES-256-GCM under a secret of the keys folder), never in
clear. Signed ``Authorization: vapid`` headers are cached per key, audience and subject,
with ``exp`` 12 hours ahead, so a fan-out signs once per push service, not per message.
"""

from __future__ import annotations

import base64
import secrets
import threading
from dataclasses import dataclass
from datetime import datetime, timedelta

import jwt
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from sqlalchemy import Connection, insert, select, update

from gateway.core import audit
from gateway.core.clock import Clock, epoch
from gateway.core.errors import Conflict, NotFound
from gateway.core.keys import b64url, public_jwk
from gateway.core.store import Store, hold_lock
from gateway.push.errors import NoVapidKey
from gateway.push.tables import vapid_keys

HEADER_LIFETIME = timedelta(hours=12)  # RFC 8292 allows 24 h; Apple and Mozilla want less
RENEW_BEFORE = timedelta(hours=1)  # sign anew while the cached token has this much left
_KEYS_LOCK = 0x76617069  # PostgreSQL advisory lock id: one change of the current key at a time


@dataclass(frozen=True)
class VapidKey:
    kid: str
    public_key: str  # base64url uncompressed P-256 point: the applicationServerKey
    state: str  # current, previous, retired
    created_at: datetime
    retired_at: datetime | None


class KeyWrap:
    """Seals VAPID private keys for the store with a key derived from a stored secret."""

    def __init__(self, secret: bytes) -> None:
        key = HKDF(hashes.SHA256(), 32, salt=None, info=b"gateway push vapid wrap").derive(secret)
        self._aead = AESGCM(key)

    def wrap(self, der: bytes, kid: str) -> str:
        nonce = secrets.token_bytes(12)
        return base64.b64encode(nonce + self._aead.encrypt(nonce, der, kid.encode())).decode()

    def unwrap(self, sealed: str, kid: str) -> bytes:
        """The DER bytes; raises ``cryptography.exceptions.InvalidTag`` for a wrong secret."""
        raw = base64.b64decode(sealed)
        return self._aead.decrypt(raw[:12], raw[12:], kid.encode())


def _key(row) -> VapidKey:
    return VapidKey(row.kid, row.public_key, row.state, row.created_at, row.retired_at)


def _generate(connection: Connection, clock: Clock, wrap: KeyWrap) -> VapidKey:
    private = ec.generate_private_key(ec.SECP256R1())
    public = private.public_key()
    kid = public_jwk(public)["kid"]
    point = public.public_bytes(serialization.Encoding.X962,
                                serialization.PublicFormat.UncompressedPoint)
    der = private.private_bytes(serialization.Encoding.DER, serialization.PrivateFormat.PKCS8,
                                serialization.NoEncryption())
    connection.execute(insert(vapid_keys).values(
        kid=kid, public_key=b64url(point), private_key=wrap.wrap(der, kid), state="current",
        created_at=clock.now()))
    return _key(connection.execute(select(vapid_keys).where(vapid_keys.c.kid == kid)).one())


def ensure_key(store: Store, clock: Clock, wrap: KeyWrap) -> tuple[VapidKey, bool]:
    """The current key, made now if there is none; returns it and whether it is new."""
    with store.write() as connection:
        hold_lock(connection, _KEYS_LOCK)  # instances starting together make one key
        row = connection.execute(select(vapid_keys).where(vapid_keys.c.state == "current")).first()
        if row is not None:
            return _key(row), False
        key = _generate(connection, clock, wrap)
        audit.record(connection, clock, "push.vapid-created", subject=key.kid)
        return key, True


def rotate(store: Store, clock: Clock, wrap: KeyWrap, *, actor: str | None) -> VapidKey:
    """Make a new current key; the old one stays usable for its subscriptions."""
    with store.write() as connection:
        hold_lock(connection, _KEYS_LOCK)
        connection.execute(update(vapid_keys).where(vapid_keys.c.state == "current")
                           .values(state="previous"))
        key = _generate(connection, clock, wrap)
        audit.record(connection, clock, "push.vapid-rotated", actor=actor, subject=key.kid)
        return key


def retire(store: Store, clock: Clock, kid: str, *, actor: str | None) -> VapidKey:
    """Stop a previous key signing; its subscriptions must subscribe again.

    Raises ``NotFound`` and, for the current key, ``Conflict`` (rotate first).
    """
    with store.write() as connection:
        row = connection.execute(select(vapid_keys).where(vapid_keys.c.kid == kid)).first()
        if row is None:
            raise NotFound("There is no such VAPID key.")
        if row.state == "current":
            raise Conflict("The current key cannot be retired. Rotate the keys first.")
        if row.state != "retired":
            connection.execute(update(vapid_keys).where(vapid_keys.c.kid == kid)
                               .values(state="retired", retired_at=clock.now()))
            audit.record(connection, clock, "push.vapid-retired", actor=actor, subject=kid)
        return _key(connection.execute(select(vapid_keys).where(vapid_keys.c.kid == kid)).one())


_RANK = {"current": 0, "previous": 1, "retired": 2}


def list_keys(connection: Connection) -> list[VapidKey]:
    """Every key: the current one, then previous ones, then retired ones, newest first."""
    keys = [_key(row) for row in connection.execute(select(vapid_keys))]
    keys.sort(key=lambda k: k.kid)
    keys.sort(key=lambda k: k.created_at, reverse=True)
    return sorted(keys, key=lambda k: _RANK.get(k.state, 3))


def current_key(connection: Connection) -> VapidKey:
    """The key new subscriptions use. Raises ``NoVapidKey`` before the first is made."""
    row = connection.execute(select(vapid_keys).where(vapid_keys.c.state == "current")).first()
    if row is None:
        raise NoVapidKey("Push notifications are not set up yet: an administrator must make a "
                         "VAPID key first (flask gateway vapid).")
    return _key(row)


def load_private_key(connection: Connection, wrap: KeyWrap, kid: str) -> ec.EllipticCurvePrivateKey:
    """The private key *kid*, unwrapped. Raises ``NotFound``."""
    row = connection.execute(select(vapid_keys.c.private_key)
                             .where(vapid_keys.c.kid == kid)).first()
    if row is None:
        raise NotFound("There is no such VAPID key.")
    return serialization.load_der_private_key(wrap.unwrap(row.private_key, kid), password=None)


class HeaderCache:
    """Signed ``Authorization: vapid t=..., k=...`` values, one per key, audience and subject,
    renewed when less than ``RENEW_BEFORE`` of their 12 hours is left. Thread-safe."""

    def __init__(self, clock: Clock) -> None:
        self.clock = clock
        self._cache: dict[tuple[str, str, str], tuple[str, datetime]] = {}
        self._lock = threading.Lock()
        self.signed = 0  # how many tokens were signed (the benchmark reports it)

    def header(self, kid: str, private_key: ec.EllipticCurvePrivateKey, public_key: str,
               audience: str, subject: str) -> str:
        now = self.clock.now()
        with self._lock:
            cached = self._cache.get((kid, audience, subject))
            if cached is not None and cached[1] - now > RENEW_BEFORE:
                return cached[0]
            expires = now + HEADER_LIFETIME
            token = jwt.encode({"aud": audience, "exp": epoch(expires), "sub": subject},
                               private_key, algorithm="ES256", headers={"typ": "JWT"})
            value = f"vapid t={token}, k={public_key}"
            self._cache[(kid, audience, subject)] = (value, expires)
            self.signed += 1
            return value
