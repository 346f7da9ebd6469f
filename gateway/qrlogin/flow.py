"""Scan to log in: a desktop browser asks, a signed-in phone scans and confirms, and the
browser is signed in.

A *QR login* moves ``pending -> scanned -> confirmed -> redeemed``, or ends ``denied`` or
``expired``. Every move is one conditional UPDATE (``WHERE state = ...``), so of any
number of concurrent confirms, denials, expiries or redemptions exactly one wins. Each
move is published on the login's channel of the event bus for the waiting browser.

The browser that started a login holds its secret in a cookie; only that browser can
watch, draw or redeem it. The phone learns who is asking (browser, OS, coarse place) and
picks, of three numbers, the one the browser shows. The phone-side moves live in
``gateway.qrlogin.phone``; the login as stored, its states and errors, in
``gateway.qrlogin.logins``.
"""

from __future__ import annotations

import hmac
from collections.abc import Collection
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import insert, select, update

from gateway.core import audit, qrcodes
from gateway.core.clock import Clock, epoch
from gateway.core.errors import CsrfFailed, Forbidden, InvalidRequest
from gateway.core.events import EventBus
from gateway.core.store import Store
from gateway.core.tokens import Signer, digest, new_id, new_token
from gateway.core.useragent import Requester
from gateway.identity import web_sessions
from gateway.identity.tables import users
from gateway.qrlogin.logins import (
    LIFETIME,
    LIVE,
    BrowserMissing,
    Login,
    LoginExpired,
    LoginNotFound,
    OtherBrowser,
    Started,
    Status,
    WrongState,
    area_columns,
    channel,
    explain,
    load,
    login_of,
)
from gateway.qrlogin.state_cache import StateCache
from gateway.qrlogin.tables import qr_login_tokens, qr_logins

ASSERTION_LIFETIME = timedelta(seconds=60)
ASSERTION_TYPE = "login+jwt"  # explicit typing (RFC 8725 3.11): no other JWT passes for it


def allowed_return_url(return_to: str | None, allowed: Collection[str]) -> str | None:
    """Where the browser goes back after the login: *return_to* (without a trailing
    slash) when it is one of *allowed*, the operator's list; None when none is asked for.
    Raises ``InvalidRequest`` for any other address: the signed assertion is posted there."""
    if return_to is None:
        return None
    wanted = return_to.rstrip("/")
    if wanted not in allowed:
        raise InvalidRequest("The return_to address is not one this gateway allows.",
                             field="return_to")
    return wanted


def _check_browser(row, browser_secret: str | None) -> None:
    if not browser_secret:
        raise BrowserMissing("This browser did not start this sign-in. Start again on this "
                             "computer.")
    if not hmac.compare_digest(row.browser_hash, digest(browser_secret)):
        raise OtherBrowser("This sign-in was started in another browser. Start again here.")


_STATUS_COLUMNS = (qr_logins.c.state, qr_logins.c.number, qr_logins.c.created_at,
                   qr_logins.c.expires_at, qr_logins.c.browser_hash, qr_logins.c.deny_reason)


@dataclass(frozen=True)
class Redeemed:
    """A finished login: the browser's new session and the BI server's assertion."""

    login: Login
    user_id: str
    session_id: str
    assertion: str


@dataclass(frozen=True)
class BrowserFlow:
    """Scan to log in as the desktop browser drives it, bound to the store, the clock, the
    event bus its waiters listen on, the signer of assertions, the key QR tokens derive
    from and the cache of logins' states."""

    store: Store
    clock: Clock
    events: EventBus
    signer: Signer
    key: bytes  # QR tokens are derived from it (``qrcodes.token_for``)
    states: StateCache | None = None

    def start(self, requester: Requester, *, return_to: str | None = None,
              allowed_return_urls: Collection[str] = (), return_state: str | None = None,
              nonce: str | None = None) -> Started:
        """Open a login for an anonymous browser: its QR tokens (hashed), typed code (hashed)
        and the requester's coarse context. (Ended logins are removed by the housekeeper's
        sweep, ``gateway.privacy.sweep``, never in a browser's request.)
        Raises ``InvalidRequest`` when *return_to* is not one of *allowed_return_urls*."""
        return_url = allowed_return_url(return_to, allowed_return_urls)
        now = self.clock.now()
        login_id = new_id()
        browser_secret, csrf_token = new_token(), new_token(24)
        with self.store.write() as connection:
            while True:  # a first half already in use would make codes ambiguous: draw again
                code, code_columns = qrcodes.new_code()
                if not qrcodes.code_lookup_taken(connection, qr_logins, code_columns["code_lookup"],
                                                 now, LIVE):
                    break
            connection.execute(insert(qr_logins).values(
                id=login_id, state="pending", created_at=now, expires_at=now + LIFETIME,
                browser_hash=digest(browser_secret), csrf_hash=digest(csrf_token), code_failures=0,
                browser=requester.browser, os=requester.os, network=requester.network,
                place=requester.place, place_names=requester.place_names or None,
                country=requester.country, return_url=return_url,
                return_state=return_state, nonce=nonce, **area_columns(requester.area),
                **code_columns,
            ))
            qrcodes.store_tokens(connection, qr_login_tokens, self.key, login_id,
                                 qrcodes.rotations(LIFETIME))
            login = load(connection, login_id)
        return Started(login, code, browser_secret, csrf_token)

    def status(self, login_id: str, browser_secret: str | None, *,
               cached: bool = False) -> Status:
        """Where the login stands, for the browser that started it: one indexed read, or,
        when *cached*, none while the cache of states holds a current snapshot (it is
        dropped whenever the login moves).

        Raises ``LoginNotFound``, ``BrowserMissing`` or ``OtherBrowser``.
        """
        cache = self.states if cached else None
        row = cache.get(login_id) if cache is not None else None
        if row is None:
            with self.store.read() as connection:
                row = connection.execute(
                    select(*_STATUS_COLUMNS).where(qr_logins.c.id == login_id)).first()
            if row is None:
                raise LoginNotFound("There is no such sign-in. Start again on the computer.")
            if cache is not None:
                cache.put(login_id, row, row.state)
        _check_browser(row, browser_secret)
        now = self.clock.now()
        state = row.state
        if state in LIVE + ("confirmed",) and row.expires_at <= now:
            state = "expired"
        pending = state == "pending"
        return Status(
            id=login_id, state=state, number=row.number if state == "scanned" else None,
            expires_at=row.expires_at,
            rotation=qrcodes.current_rotation(row.created_at, now) if pending else 0,
            rotates_at=qrcodes.next_rotation_at(row.created_at, now) if pending else None,
            reason=row.deny_reason if state == "denied" else None,
        )

    def current_link_token(self, login_id: str, browser_secret: str | None) -> str:
        """The QR token in force, for drawing the code again in the browser that owns it.

        Raises ``LoginNotFound``, ``BrowserMissing``, ``OtherBrowser``, ``LoginExpired`` and
        ``WrongState`` once the login was scanned (its code is of no use any more).
        """
        with self.store.read() as connection:
            row = connection.execute(
                select(*_STATUS_COLUMNS).where(qr_logins.c.id == login_id)).first()
        if row is None:
            raise LoginNotFound("There is no such sign-in. Start again on the computer.")
        _check_browser(row, browser_secret)
        now = self.clock.now()
        if row.expires_at <= now and row.state in LIVE:
            raise LoginExpired("This sign-in code has expired. Make a new one on the computer.")
        if row.state != "pending":
            raise WrongState("This sign-in code is no longer shown: it was scanned or ended. "
                             "Make a new one if you need to.", state=row.state)
        return qrcodes.token_for(self.key, login_id, qrcodes.current_rotation(row.created_at, now))

    def expire(self, login_id: str) -> bool:
        """Record that the login ran out of time, if it has and is not ended; tell its waiters.
        Returns whether this call made the change."""
        now = self.clock.now()
        with self.store.write() as connection:
            changed = connection.execute(
                update(qr_logins)
                .where(qr_logins.c.id == login_id, qr_logins.c.expires_at <= now,
                       qr_logins.c.state.in_(LIVE + ("confirmed",)))
                .values(state="expired")
            ).rowcount
        if changed:
            self.events.publish(channel(login_id), {"state": "expired", "number": None})
        return bool(changed)

    def redeem(self, *, login_id: str, browser_secret: str | None, csrf_token: str | None,
               audience: str, session_lifetime: timedelta, replaces: str | None = None,
               ip: str | None = None) -> Redeemed:
        """Use a confirmed login, once: open a brand-new browser session (ending *replaces*)
        and sign the login assertion for *audience* (ES256, ``kid``, ``amr: ["qr"]``, 60 s).

        Raises ``LoginNotFound``, ``BrowserMissing``, ``OtherBrowser``, ``CsrfFailed``,
        ``LoginExpired``, ``WrongState`` (not confirmed, or redeemed already) and
        ``Forbidden`` when the account was disabled meanwhile.
        """
        clock = self.clock
        now = clock.now()
        with self.store.write() as connection:
            row = connection.execute(select(qr_logins).where(qr_logins.c.id == login_id)).first()
            if row is None:
                raise LoginNotFound("There is no such sign-in. Start again on the computer.")
            _check_browser(row, browser_secret)
            if not csrf_token or not hmac.compare_digest(row.csrf_hash, digest(csrf_token)):
                raise CsrfFailed("Send the CSRF token of this sign-in in the X-CSRF-Token header.")
            login = login_of(row)
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
                raise Forbidden("This account cannot sign in. Ask an administrator.")
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
            assertion = self.signer.issue(claims, audience=audience, lifetime=ASSERTION_LIFETIME,
                                          typ=ASSERTION_TYPE)
        self.events.publish(channel(login_id), {"state": "redeemed", "number": None})
        return Redeemed(login, login.user_id, session_id, assertion)
