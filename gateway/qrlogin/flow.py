"""Scan to log in: a desktop browser asks, a signed-in phone scans and confirms, and the
browser is signed in.

A *QR login* moves ``pending -> scanned -> confirmed -> redeemed``, or ends ``denied`` or
``expired``. Every move is one conditional UPDATE (``WHERE state = ...``), so of any
number of concurrent confirms, denials, expiries or redemptions exactly one wins. Each
move is published on the login's channel of the event bus for the waiting browser.

The browser that started a login holds its secret in a cookie; only that browser can
watch, draw or redeem it. The phone learns who is asking (browser, OS, coarse place) and
picks, of three numbers, the one the browser shows. The phone-side moves live in
``gateway.qrlogin.phone``.
"""

from __future__ import annotations

import hmac
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import Connection, delete, insert, select, update

from gateway.core import audit, qrcodes
from gateway.core.clock import Clock, epoch
from gateway.core.errors import Conflict, CsrfFailed, Forbidden, Gone, NotFound, Unauthenticated
from gateway.core.events import EventBus
from gateway.core.store import Store
from gateway.core.tokens import Signer, digest, new_id, new_token
from gateway.core.useragent import Requester
from gateway.identity import web_sessions
from gateway.identity.tables import users
from gateway.qrlogin.state_cache import StateCache
from gateway.qrlogin.tables import qr_login_tokens, qr_logins

LIFETIME = timedelta(seconds=120)
ROTATION = qrcodes.ROTATION  # a new QR code (and token) this often while pending
REDEEM_WINDOW = timedelta(seconds=30)
ASSERTION_LIFETIME = timedelta(seconds=60)
ASSERTION_TYPE = "login+jwt"  # explicit typing (RFC 8725 3.11): no other JWT passes for it  # a confirmed login must be redeemed this soon
KEEP_ENDED = timedelta(hours=1)  # then the row goes; the audit log keeps the sign-in
LIVE = ("pending", "scanned")
STATES = ("pending", "scanned", "confirmed", "redeemed", "denied", "expired")
ENDED = ("redeemed", "denied", "expired")


class LoginNotFound(NotFound):
    slug = "qr-login-not-found"
    title = "No such QR login"


class LoginExpired(Gone):
    slug = "qr-login-expired"
    title = "This QR login has expired"


class WrongState(Conflict):
    slug = "qr-login-wrong-state"
    title = "The QR login is not in a state that allows this"


class BrowserMissing(Unauthenticated):
    slug = "qr-login-browser-unknown"
    title = "Only the browser that started this QR login may do this"


class OtherBrowser(Forbidden):
    slug = "qr-login-other-browser"
    title = "This QR login belongs to another browser"


@dataclass(frozen=True)
class Login:
    id: str
    state: str  # as stored; see ``state_at`` for the state in force
    created_at: datetime
    expires_at: datetime
    requester: Requester
    user_id: str | None
    device_id: str | None
    via: str | None
    number: int | None
    choices: tuple[int, ...]
    scanned_at: datetime | None
    decided_at: datetime | None
    deny_reason: str | None
    return_url: str | None
    return_state: str | None
    nonce: str | None

    def state_at(self, now: datetime) -> str:
        """The state in force at *now*: a login past its time is expired even before the
        store says so."""
        if self.state in LIVE + ("confirmed",) and self.expires_at <= now:
            return "expired"
        return self.state


@dataclass(frozen=True)
class Started:
    """A new login and the secrets only its browser gets (never stored in clear)."""

    login: Login
    code: str  # the typed code, e.g. BCDF-GHJK
    browser_secret: str  # goes in an HttpOnly cookie
    csrf_token: str  # goes in the answer's body; sent back in a header to redeem


@dataclass(frozen=True)
class Status:
    """What a waiting browser may know: state fields only, never a token."""

    id: str
    state: str
    number: int | None
    expires_at: datetime
    rotation: int
    rotates_at: datetime | None

    def event(self) -> dict:
        return {"state": self.state, "number": self.number,
                "expires_at": iso(self.expires_at), "rotation": self.rotation}


def iso(moment: datetime) -> str:
    """A UTC time as JSON carries it (``2026-11-28T12:02:00Z``, as pydantic writes it)."""
    return moment.isoformat().replace("+00:00", "Z")


CHANNEL_PREFIX = "qrlogin:"


def channel(login_id: str) -> str:
    """The event bus channel of one login."""
    return CHANNEL_PREFIX + login_id


def _login(row) -> Login:
    return Login(
        id=row.id, state=row.state, created_at=row.created_at, expires_at=row.expires_at,
        requester=Requester(row.browser, row.os, row.network, row.place, row.country),
        user_id=row.user_id, device_id=row.device_id, via=row.via, number=row.number,
        choices=tuple(row.choices or ()), scanned_at=row.scanned_at, decided_at=row.decided_at,
        deny_reason=row.deny_reason, return_url=row.return_url,
        return_state=row.return_state, nonce=row.nonce,
    )


def load(connection: Connection, login_id: str) -> Login:
    """The login *login_id*. Raises ``LoginNotFound``."""
    row = connection.execute(select(qr_logins).where(qr_logins.c.id == login_id)).first()
    if row is None:
        raise LoginNotFound("no QR login has this id")
    return _login(row)


def start(store: Store, clock: Clock, secret: bytes, requester: Requester, *,
          return_url: str | None = None, return_state: str | None = None,
          nonce: str | None = None) -> Started:
    """Open a login for an anonymous browser: its QR tokens (hashed), typed code (hashed)
    and the requester's coarse context. Logins ended more than an hour ago are removed."""
    now = clock.now()
    login_id = new_id()
    browser_secret, csrf_token = new_token(), new_token(24)
    with store.write() as connection:
        connection.execute(delete(qr_logins).where(qr_logins.c.expires_at < now - KEEP_ENDED))
        while True:  # a first half already in use would make codes ambiguous: draw again
            code, code_columns = qrcodes.new_code()
            if not qrcodes.code_lookup_taken(connection, qr_logins, code_columns["code_lookup"],
                                             now, LIVE):
                break
        connection.execute(insert(qr_logins).values(
            id=login_id, state="pending", created_at=now, expires_at=now + LIFETIME,
            browser_hash=digest(browser_secret), csrf_hash=digest(csrf_token), code_failures=0,
            browser=requester.browser, os=requester.os, network=requester.network,
            place=requester.place, country=requester.country, return_url=return_url,
            return_state=return_state, nonce=nonce, **code_columns,
        ))
        qrcodes.store_tokens(connection, qr_login_tokens, secret, login_id,
                             qrcodes.rotations(LIFETIME))
        login = load(connection, login_id)
    return Started(login, code, browser_secret, csrf_token)


def _check_browser(row, browser_secret: str | None) -> None:
    if not browser_secret:
        raise BrowserMissing("this browser did not start the QR login (no cookie)")
    if not hmac.compare_digest(row.browser_hash, digest(browser_secret)):
        raise OtherBrowser()


_STATUS_COLUMNS = (qr_logins.c.state, qr_logins.c.number, qr_logins.c.created_at,
                   qr_logins.c.expires_at, qr_logins.c.browser_hash)


def status(store: Store, clock: Clock, login_id: str, browser_secret: str | None,
           cache: StateCache | None = None) -> Status:
    """Where the login stands, for the browser that started it: one indexed read, or
    none when *cache* holds a current snapshot (it is dropped whenever the login moves).

    Raises ``LoginNotFound``, ``BrowserMissing`` or ``OtherBrowser``.
    """
    row = cache.get(login_id) if cache is not None else None
    if row is None:
        with store.read() as connection:
            row = connection.execute(
                select(*_STATUS_COLUMNS).where(qr_logins.c.id == login_id)).first()
        if row is None:
            raise LoginNotFound("no QR login has this id")
        if cache is not None:
            cache.put(login_id, row, row.state)
    _check_browser(row, browser_secret)
    now = clock.now()
    state = row.state
    if state in LIVE + ("confirmed",) and row.expires_at <= now:
        state = "expired"
    pending = state == "pending"
    return Status(
        id=login_id, state=state, number=row.number if state == "scanned" else None,
        expires_at=row.expires_at,
        rotation=qrcodes.current_rotation(row.created_at, now) if pending else 0,
        rotates_at=qrcodes.next_rotation_at(row.created_at, now) if pending else None,
    )


def current_link_token(store: Store, clock: Clock, secret: bytes, login_id: str,
                       browser_secret: str | None) -> str:
    """The QR token in force, for drawing the code again in the browser that owns it.

    Raises ``LoginNotFound``, ``BrowserMissing``, ``OtherBrowser``, ``LoginExpired`` and
    ``WrongState`` once the login was scanned (its code is of no use any more).
    """
    with store.read() as connection:
        row = connection.execute(select(*_STATUS_COLUMNS).where(qr_logins.c.id == login_id)).first()
    if row is None:
        raise LoginNotFound("no QR login has this id")
    _check_browser(row, browser_secret)
    now = clock.now()
    if row.expires_at <= now and row.state in LIVE:
        raise LoginExpired("this QR login has expired; start a new one")
    if row.state != "pending":
        raise WrongState(f"the QR login is {row.state}; its code is no longer shown",
                         state=row.state)
    return qrcodes.token_for(secret, login_id, qrcodes.current_rotation(row.created_at, now))


def expire(store: Store, clock: Clock, events: EventBus, login_id: str) -> bool:
    """Record that the login ran out of time, if it has and is not ended; tell its waiters.
    Returns whether this call made the change."""
    now = clock.now()
    with store.write() as connection:
        changed = connection.execute(
            update(qr_logins)
            .where(qr_logins.c.id == login_id, qr_logins.c.expires_at <= now,
                   qr_logins.c.state.in_(LIVE + ("confirmed",)))
            .values(state="expired")
        ).rowcount
    if changed:
        events.publish(channel(login_id), {"state": "expired", "number": None})
    return bool(changed)


@dataclass(frozen=True)
class Redeemed:
    """A finished login: the browser's new session and the BI server's assertion."""

    login: Login
    user_id: str
    session_id: str
    assertion: str


def redeem(store: Store, clock: Clock, signer: Signer, events: EventBus, *, login_id: str,
           browser_secret: str | None, csrf_token: str | None, audience: str,
           session_lifetime: timedelta, replaces: str | None = None,
           ip: str | None = None) -> Redeemed:
    """Use a confirmed login, once: open a brand-new browser session (ending *replaces*)
    and sign the login assertion for *audience* (ES256, ``kid``, ``amr: ["qr"]``, 60 s).

    Raises ``LoginNotFound``, ``BrowserMissing``, ``OtherBrowser``, ``CsrfFailed``,
    ``LoginExpired``, ``WrongState`` (not confirmed, or redeemed already) and
    ``Forbidden`` when the account was disabled meanwhile.
    """
    now = clock.now()
    with store.write() as connection:
        row = connection.execute(select(qr_logins).where(qr_logins.c.id == login_id)).first()
        if row is None:
            raise LoginNotFound("no QR login has this id")
        _check_browser(row, browser_secret)
        if not csrf_token or not hmac.compare_digest(row.csrf_hash, digest(csrf_token)):
            raise CsrfFailed("send the CSRF token of this QR login in the X-CSRF-Token header")
        login = _login(row)
        moved = connection.execute(
            update(qr_logins)
            .where(qr_logins.c.id == login_id, qr_logins.c.state == "confirmed",
                   qr_logins.c.expires_at > now)
            .values(state="redeemed", redeemed_at=now)
        ).rowcount
        if not moved:
            raise explain(login, now, "confirmed")
        user = connection.execute(select(users.c.username, users.c.disabled_at)
                                  .where(users.c.id == login.user_id)).first()
        if user is None or user.disabled_at is not None:
            raise Forbidden("this account cannot sign in")
        session_id = web_sessions.open_session(connection, clock, login.user_id, "qr",
                                               session_lifetime, replaces=replaces)
        audit.record(connection, clock, "qrlogin.redeemed", actor=login.user_id,
                     device_id=login.device_id, subject=login_id, ip=ip,
                     details={"browser": login.requester.browser, "os": login.requester.os,
                              "place": login.requester.place})
        audit.record(connection, clock, "browser.signed-in", actor=login.user_id,
                     details={"method": "qr"}, ip=ip)
        claims = {"sub": login.user_id, "preferred_username": user.username, "amr": ["qr"],
                  "auth_time": epoch(login.decided_at or now)}
        if login.nonce:
            claims["nonce"] = login.nonce
        assertion = signer.issue(claims, audience=audience, lifetime=ASSERTION_LIFETIME,
                                 typ=ASSERTION_TYPE)
    events.publish(channel(login_id), {"state": "redeemed", "number": None})
    return Redeemed(login, login.user_id, session_id, assertion)


def explain(login: Login, now: datetime, wanted: str):
    """The error for a move that needed the login *wanted* but found it otherwise."""
    state = login.state_at(now)
    if state == "expired":
        return LoginExpired("this QR login has expired; start a new one on the computer")
    if state == "redeemed":
        return WrongState("this QR login was used already", state=state)
    return WrongState(f"the QR login is {state}, not {wanted}", state=state)
