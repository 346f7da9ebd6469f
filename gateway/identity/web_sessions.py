"""Browser sessions: a random id in a cookie; the store keeps only its hash and the hash
of its CSRF token.

A sign-in always makes a brand-new session (a new id), so an id planted before sign-in
is worth nothing afterwards. The CSRF token is derived from the session id (a keyed hash
of it), so the page can ask for it again after a reload while the store holds neither.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import Connection, insert, select, update

from gateway.core import audit
from gateway.core.clock import Clock
from gateway.core.store import Store
from gateway.core.tokens import digest, new_token
from gateway.identity.tables import users, web_sessions


@dataclass(frozen=True)
class WebSession:
    user_id: str
    role: str
    csrf_token: str  # derived from the session id the browser sent, never read from the store
    method: str
    expires_at: datetime
    id_hash: str
    csrf_hash: str
    must_change_password: bool = False  # its user still has a one-time password
    created_at: datetime | None = None  # when the browser signed in (OpenID's auth_time)

    def csrf_matches(self, presented: str | None) -> bool:
        """Whether *presented* is this session's CSRF token (checked against its hash)."""
        return bool(presented) and hmac.compare_digest(self.csrf_hash, digest(presented))


def csrf_token_of(session_id: str) -> str:
    """The CSRF token of the session *session_id*: 192 bits of HMAC-SHA256 keyed with the
    id. Only the browser holding the (HttpOnly) cookie can ask for it, and it tells nothing
    of the id."""
    mac = hmac.new(session_id.encode("utf-8"), b"companion-gateway csrf", hashlib.sha256)
    return base64.urlsafe_b64encode(mac.digest()[:24]).decode("ascii")


def open_session(
    connection: Connection, clock: Clock, user_id: str, method: str, lifetime: timedelta,
    replaces: str | None = None,
) -> str:
    """Make a new session for *user_id* inside an open transaction and return its id.

    *replaces* is the id of the session the browser had before, which ends now.
    """
    now = clock.now()
    if replaces:
        _end(connection, now, replaces)
    session_id = new_token()
    connection.execute(
        insert(web_sessions).values(
            id_hash=digest(session_id),
            user_id=user_id,
            csrf_hash=digest(csrf_token_of(session_id)),
            method=method,
            created_at=now,
            expires_at=now + lifetime,
        )
    )
    return session_id


def _end(connection: Connection, now: datetime, session_id: str) -> None:
    connection.execute(
        update(web_sessions)
        .where(web_sessions.c.id_hash == digest(session_id), web_sessions.c.revoked_at.is_(None))
        .values(revoked_at=now)
    )


def end_others(connection: Connection, clock: Clock, user_id: str,
               keep_id_hash: str | None) -> tuple[str, ...]:
    """End every live session of *user_id* but the one whose id hashes to *keep_id_hash*,
    inside an open transaction; returns the hashes of those that ended."""
    live = (web_sessions.c.user_id == user_id, web_sessions.c.revoked_at.is_(None),
            web_sessions.c.id_hash != (keep_id_hash or ""))
    ended = tuple(connection.execute(select(web_sessions.c.id_hash).where(*live)).scalars())
    if ended:
        connection.execute(update(web_sessions).where(*live).values(revoked_at=clock.now()))
    return ended


@dataclass(frozen=True)
class WebSessions:
    """Browser sessions, bound to the store and the clock: signing a browser in, finding its
    session, signing it out."""

    store: Store
    clock: Clock

    def find(self, session_id: str) -> WebSession | None:
        """The live session with this id, or None (unknown, ended, expired, user disabled)."""
        with self.store.read() as connection:
            row = connection.execute(
                select(web_sessions, users.c.role, users.c.disabled_at,
                       users.c.must_change_password)
                .join(users, users.c.id == web_sessions.c.user_id)
                .where(web_sessions.c.id_hash == digest(session_id))
            ).first()
        if row is None or row.revoked_at or row.disabled_at or row.expires_at <= self.clock.now():
            return None
        return WebSession(row.user_id, row.role, csrf_token_of(session_id), row.method,
                          row.expires_at, row.id_hash, row.csrf_hash,
                          row.must_change_password, row.created_at)

    def end(self, session_id: str) -> None:
        """Sign a browser out."""
        with self.store.write() as connection:
            _end(connection, self.clock.now(), session_id)

    def sign_in(self, user_id: str, method: str, lifetime: timedelta, *,
                replaces: str | None = None, ip: str | None = None) -> str:
        """Sign a browser in: a new session (ending *replaces*, the one it had) and the audit
        row of the sign-in, in one transaction. Returns the new session's id."""
        with self.store.write() as connection:
            session_id = open_session(connection, self.clock, user_id, method, lifetime, replaces)
            audit.record(connection, self.clock, "browser.signed-in", actor=user_id,
                         details={"method": method}, ip=ip)
        return session_id
