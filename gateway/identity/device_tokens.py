"""Device sign-in: access tokens (JWT) and rotating refresh tokens (opaque).

Each sign-in opens a token *family*. A refresh token works once: using it marks it used
and hands out the next one of the same family. Presenting a used refresh token again
means it was copied, so the whole family is revoked (RFC 9700, section 4.14.2).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import Connection, insert, select, update

from gateway.core import audit
from gateway.core.clock import Clock
from gateway.core.errors import TokenExpired, TokenInvalid, TokenReused
from gateway.core.store import Store
from gateway.core.tokens import Signer, digest, new_id, new_token
from gateway.identity import accounts, devices
from gateway.identity.devices import DeviceDescription
from gateway.identity.passwords import Passwords
from gateway.identity.tables import devices as devices_table
from gateway.identity.tables import refresh_tokens, token_families, users

ACCESS_AUDIENCE = "gateway"
ACCESS_TYPE = "at+jwt"  # RFC 9068

# hook(connection, clock, family_id): what a device's sign-out ends elsewhere (the push
# subscription made under that sign-in), run in the signing-out transaction.
SignOutHook = Callable[[Connection, Clock, str], None]


@dataclass(frozen=True)
class Lifetimes:
    access: timedelta
    refresh: timedelta


@dataclass(frozen=True)
class TokenPair:
    access_token: str
    refresh_token: str
    expires_in: int
    device_id: str
    user_id: str


@dataclass(frozen=True)
class DevicePrincipal:
    """Who is calling with a valid access token."""

    user_id: str
    device_id: str
    family_id: str
    role: str
    must_change_password: bool = False  # the user still has a one-time password


def _issue(
    connection: Connection, signer: Signer, clock: Clock, lifetimes: Lifetimes,
    family_id: str, device_id: str, user_id: str, role: str,
) -> TokenPair:
    refresh = new_token()
    now = clock.now()
    connection.execute(
        insert(refresh_tokens).values(
            token_hash=digest(refresh),
            family_id=family_id,
            issued_at=now,
            expires_at=now + lifetimes.refresh,
        )
    )
    access = signer.issue(
        {"sub": user_id, "did": device_id, "sid": family_id, "role": role},
        audience=ACCESS_AUDIENCE,
        lifetime=lifetimes.access,
        typ=ACCESS_TYPE,
    )
    return TokenPair(access, refresh, int(lifetimes.access.total_seconds()), device_id, user_id)


def open_family(
    connection: Connection, signer: Signer, clock: Clock, lifetimes: Lifetimes,
    user: accounts.User, device_id: str,
) -> TokenPair:
    """Start a new token family for a device inside an open transaction."""
    family_id = new_id()
    connection.execute(
        insert(token_families).values(id=family_id, device_id=device_id, created_at=clock.now())
    )
    return _issue(connection, signer, clock, lifetimes, family_id, device_id, user.id, user.role)


def end_other_sign_ins(connection: Connection, clock: Clock, user_id: str,
                       keep_family_id: str, on_signed_out: Sequence[SignOutHook]) -> int:
    """End every device sign-in of the user but *keep_family_id* ("" keeps none) after a
    password change, inside an open transaction, each as a sign-out (*on_signed_out* ends
    what it held elsewhere: its push subscription); returns how many ended."""
    device_ids = select(devices_table.c.id).where(devices_table.c.user_id == user_id)
    live = (token_families.c.device_id.in_(device_ids), token_families.c.id != keep_family_id,
            token_families.c.revoked_at.is_(None))
    ended = connection.execute(select(token_families.c.id).where(*live)).scalars().all()
    connection.execute(update(token_families).where(token_families.c.id.in_(ended))
                       .values(revoked_at=clock.now(), revoked_reason="password-changed"))
    for family_id in ended:
        for end in on_signed_out:
            end(connection, clock, family_id)
    return len(ended)


@dataclass(frozen=True)
class DeviceTokens:
    """Device sign-in, bound to the store, the clock, the signer of access tokens, the password
    hasher, the tokens' lifetimes and what a sign-out ends elsewhere (the composition root's
    reactions)."""

    store: Store
    clock: Clock
    signer: Signer
    passwords: Passwords
    lifetimes: Lifetimes
    on_signed_out: tuple[SignOutHook, ...]

    def sign_in(self, *, username: str, password: str, description: DeviceDescription,
                ip: str | None, reads_in: str | None = None) -> TokenPair:
        """Check the password, record the device (with *reads_in*, the language the phone
        asked for, if any), and open a token family for it.

        Raises ``InvalidCredentials`` and, for a malformed device key, ``InvalidRequest``.
        """
        user = accounts.authenticate(self.store, self.passwords, username, password)
        with self.store.write() as connection:
            device = devices.register(connection, self.clock, user.id, description, ip,
                                      reads_in=reads_in)
            audit.record(connection, self.clock, "device.signed-in", actor=user.id,
                         device_id=device.id, details={"model": device.model, "os": device.os},
                         ip=ip)
            return open_family(connection, self.signer, self.clock, self.lifetimes, user, device.id)

    def refresh(self, refresh_token: str, ip: str | None = None,
                reads_in: str | None = None) -> TokenPair:
        """Trade a refresh token for a new pair; the device is seen (from *ip*, asking for
        *reads_in*, when given). Raises ``TokenInvalid`` (unknown, or its device or family
        revoked), ``TokenExpired``, or ``TokenReused`` (which revokes the family first,
        committing that even though the call fails)."""
        now = self.clock.now()
        with self.store.write() as connection:
            row = connection.execute(
                select(
                    refresh_tokens.c.family_id,
                    refresh_tokens.c.expires_at,
                    refresh_tokens.c.used_at,
                    token_families.c.revoked_at,
                    token_families.c.device_id,
                    devices_table.c.user_id,
                    devices_table.c.revoked_at.label("device_revoked_at"),
                    users.c.role,
                    users.c.disabled_at,
                )
                .join(token_families, token_families.c.id == refresh_tokens.c.family_id)
                .join(devices_table, devices_table.c.id == token_families.c.device_id)
                .join(users, users.c.id == devices_table.c.user_id)
                .where(refresh_tokens.c.token_hash == digest(refresh_token))
            ).first()
            if row is None or row.revoked_at or row.device_revoked_at or row.disabled_at:
                raise TokenInvalid("The refresh token is not valid. Sign in again.")
            # Conditional update: of two concurrent uses exactly one marks it used.
            marked = connection.execute(
                update(refresh_tokens)
                .where(
                    refresh_tokens.c.token_hash == digest(refresh_token),
                    refresh_tokens.c.used_at.is_(None),
                )
                .values(used_at=now)
            ).rowcount
            reused = not marked
            if reused:
                connection.execute(
                    update(token_families)
                    .where(token_families.c.id == row.family_id)
                    .values(revoked_at=now, revoked_reason="refresh-reuse")
                )
                # Ended as a sign-out is: what the (perhaps stolen) sign-in held elsewhere
                # goes too, its push subscription and the device's open inbox streams.
                for end in self.on_signed_out:
                    end(connection, self.clock, row.family_id)
            elif row.expires_at <= now:
                raise TokenExpired("The refresh token has expired. Sign in again.")
            else:
                connection.execute(
                    update(devices_table)
                    .where(devices_table.c.id == row.device_id)
                    .values(last_seen_at=now, **({"last_ip": ip} if ip else {}),
                            **({"reads_in": reads_in} if reads_in else {}))
                )
                return _issue(
                    connection, self.signer, self.clock, self.lifetimes,
                    row.family_id, row.device_id, row.user_id, row.role,
                )
        raise TokenReused("This refresh token was used already, so this sign-in was ended "
                          "for safety. Sign in again.")

    def authenticate(self, access_token: str) -> DevicePrincipal:
        """The caller behind an access token. Raises ``TokenInvalid`` or ``TokenExpired``,
        also when its device or token family was revoked after it was issued."""
        claims = self.signer.verify(access_token, audience=ACCESS_AUDIENCE, typ=ACCESS_TYPE)
        with self.store.read() as connection:
            row = connection.execute(
                select(token_families.c.revoked_at,
                       devices_table.c.revoked_at.label("device_revoked"),
                       users.c.must_change_password)
                .join(devices_table, devices_table.c.id == token_families.c.device_id)
                .join(users, users.c.id == devices_table.c.user_id)
                .where(token_families.c.id == claims.get("sid"),
                       devices_table.c.id == claims.get("did"))
            ).first()
        if row is None or row.revoked_at or row.device_revoked:
            raise TokenInvalid("This device or its sign-in was ended. Sign in again.")
        return DevicePrincipal(claims["sub"], claims["did"], claims["sid"],
                               claims.get("role", "user"), row.must_change_password)

    def sign_out(self, family_id: str) -> None:
        """End one sign-in: its refresh tokens stop working and its access tokens too; then
        each of *on_signed_out* ends what the sign-in held elsewhere, in the same transaction."""
        with self.store.write() as connection:
            connection.execute(
                update(token_families)
                .where(token_families.c.id == family_id, token_families.c.revoked_at.is_(None))
                .values(revoked_at=self.clock.now(), revoked_reason="signed-out")
            )
            for end in self.on_signed_out:
                end(connection, self.clock, family_id)
