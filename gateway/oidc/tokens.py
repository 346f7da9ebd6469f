"""Access and refresh tokens issued to relying parties: opaque, stored as hashes, each
issue written to the operation log in the same transaction.

Refresh tokens rotate: using one revokes it and issues the next. One used twice revokes
every token of its line (the code it descends from), for one of the two users holds a
stolen copy.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import Connection, insert, select, update

from gateway.core import audit
from gateway.core.clock import Clock
from gateway.core.store import Store
from gateway.core.tokens import digest
from gateway.oidc.signins import SignIn
from gateway.oidc.tables import oidc_tokens

KEEP_ENDED = timedelta(days=1)  # then an expired or revoked token's row goes


@dataclass(frozen=True)
class Grant:
    """What a token stands for: a client's access to a user's sign-in, within a scope."""

    client_id: str
    scope: str
    sign_in: SignIn
    code_hash: str | None
    expires_at: datetime


def _grant_of(row) -> Grant:
    return Grant(row.client_id, row.scope,
                 SignIn(row.user_id, row.auth_time, tuple(row.amr), row.acr, row.session_hash),
                 row.code_hash, row.expires_at)


@dataclass(frozen=True)
class Tokens:
    """Tokens of relying parties, bound to the store and the clock."""

    store: Store
    clock: Clock
    refresh_lifetime: timedelta = timedelta(days=30)

    def issue(self, *, client_id: str, grant_type: str, scope: str, sign_in: SignIn,
              access_token: str, expires_in: int, refresh_token: str | None = None,
              code_hash: str | None = None, ip: str | None = None) -> None:
        """Keep the hashes of the tokens just made for *client_id* and log the issue."""
        now = self.clock.now()
        common = dict(client_id=client_id, user_id=sign_in.user_id, scope=scope,
                      auth_time=sign_in.auth_time, amr=list(sign_in.amr), acr=sign_in.acr,
                      session_hash=sign_in.session_hash, code_hash=code_hash, created_at=now)
        with self.store.write() as connection:
            connection.execute(insert(oidc_tokens).values(
                token_hash=digest(access_token), kind="access",
                expires_at=now + timedelta(seconds=expires_in), **common))
            if refresh_token:
                connection.execute(insert(oidc_tokens).values(
                    token_hash=digest(refresh_token), kind="refresh",
                    expires_at=now + self.refresh_lifetime, **common))
            audit.record(connection, self.clock, "oidc.token-issued", actor=sign_in.user_id,
                         subject=client_id, ip=ip,
                         details={"grant": grant_type, "scope": scope,
                                  "refresh_token": refresh_token is not None,
                                  "amr": list(sign_in.amr)})

    def access(self, token: str) -> Grant | None:
        """What the access *token* grants, or None when it is unknown, revoked or expired."""
        with self.store.read() as connection:
            row = connection.execute(select(oidc_tokens).where(
                oidc_tokens.c.token_hash == digest(token), oidc_tokens.c.kind == "access")).first()
        if row is None or row.revoked_at is not None or row.expires_at <= self.clock.now():
            return None
        return _grant_of(row)

    def refresh_scope(self, token: str, client_id: str) -> str | None:
        """The scope of *client_id*'s current refresh *token*, without using it; None when
        it is unknown, another client's, revoked or expired."""
        with self.store.read() as connection:
            row = connection.execute(select(oidc_tokens.c.scope).where(
                oidc_tokens.c.token_hash == digest(token), oidc_tokens.c.kind == "refresh",
                oidc_tokens.c.client_id == client_id, oidc_tokens.c.revoked_at.is_(None),
                oidc_tokens.c.expires_at > self.clock.now())).first()
        return row.scope if row is not None else None

    def take_refresh(self, token: str, client_id: str) -> Grant | None:
        """Use the refresh *token* of *client_id*, once (it is revoked now). None when it is
        unknown, another client's, expired or used already; a second use revokes its whole
        line."""
        now = self.clock.now()
        token_hash = digest(token)
        with self.store.write() as connection:
            taken = connection.execute(
                update(oidc_tokens)
                .where(oidc_tokens.c.token_hash == token_hash, oidc_tokens.c.kind == "refresh",
                       oidc_tokens.c.client_id == client_id, oidc_tokens.c.revoked_at.is_(None),
                       oidc_tokens.c.expires_at > now)
                .values(revoked_at=now)).rowcount
            row = connection.execute(select(oidc_tokens)
                                     .where(oidc_tokens.c.token_hash == token_hash)).first()
            if taken:
                return _grant_of(row)
            if row is not None and row.kind == "refresh" and row.code_hash:
                connection.execute(update(oidc_tokens)
                                   .where(oidc_tokens.c.code_hash == row.code_hash,
                                          oidc_tokens.c.revoked_at.is_(None))
                                   .values(revoked_at=now))
        return None

    def end_sign_in(self, *, session_hash: str | None = None, user_id: str | None = None,
                    client_id: str | None = None) -> list[str]:
        """Revoke the tokens of one browser session (or of a user, at one client or all);
        returns the clients signed in through it, for their back-channel logout."""
        with self.store.write() as connection:
            ended = revoke(connection, self.clock.now(), session_hash=session_hash,
                           user_id=user_id, client_id=client_id)
        return sorted({client for client, _ in ended})


def revoke(connection: Connection, now: datetime, *, session_hash: str | None = None,
           user_id: str | None = None, client_id: str | None = None,
           ) -> list[tuple[str, str | None]]:
    """Revoke, inside an open transaction, the tokens of one browser session (or of a user,
    at one client or all); returns each (client, browser session) signed in through it.
    Nothing without a session or a user.

    Expired tokens count too: a relying party's own session outlives the access token it
    was signed in with (an hour), and a sign-out on the gateway must still end it."""
    if not (session_hash or user_id):
        return []
    where = [oidc_tokens.c.revoked_at.is_(None)]
    if session_hash:
        where.append(oidc_tokens.c.session_hash == session_hash)
    if user_id:
        where.append(oidc_tokens.c.user_id == user_id)
    if client_id:
        where.append(oidc_tokens.c.client_id == client_id)
    rows = connection.execute(
        select(oidc_tokens.c.client_id, oidc_tokens.c.session_hash).where(*where))
    held = sorted({(row.client_id, row.session_hash) for row in rows},
                  key=lambda pair: (pair[0], pair[1] or ""))
    if held:
        connection.execute(update(oidc_tokens).where(*where).values(revoked_at=now))
    return held
