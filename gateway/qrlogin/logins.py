"""A QR login as the store keeps it: its states and lifetimes, the errors its moves
raise, and what the browser and the phone are shown of it.

A *QR login* moves ``pending -> scanned -> confirmed -> redeemed``, or ends ``denied`` or
``expired``. The moves themselves are in ``flow`` (the browser's) and ``phone``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import Connection, select

from gateway.core import qrcodes
from gateway.core.errors import Conflict, Forbidden, Gone, NotFound, Unauthenticated
from gateway.core.geo import Area, Point
from gateway.core.useragent import Requester
from gateway.qrlogin.tables import qr_logins

LIFETIME = timedelta(seconds=120)
ROTATION = qrcodes.ROTATION  # a new QR code (and token) this often while pending
REDEEM_WINDOW = timedelta(seconds=30)  # a confirmed login must be redeemed this soon
LIVE = ("pending", "scanned")
STATES = ("pending", "scanned", "confirmed", "redeemed", "denied", "expired")
ENDED = ("redeemed", "denied", "expired")


class LoginNotFound(NotFound):
    slug = "qr-login-not-found"
    title = "Sign-in not found"


class LoginExpired(Gone):
    slug = "qr-login-expired"
    title = "Sign-in code expired"


class WrongState(Conflict):
    slug = "qr-login-wrong-state"
    title = "Not possible at this step"


class BrowserMissing(Unauthenticated):
    slug = "qr-login-browser-unknown"
    title = "Started in another browser"


class OtherBrowser(Forbidden):
    slug = "qr-login-other-browser"
    title = "Started in another browser"


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
    reason: str | None = None  # why a denied login was: refused, wrong-number

    def event(self) -> dict:
        return {"state": self.state, "number": self.number, "reason": self.reason,
                "expires_at": iso(self.expires_at), "rotation": self.rotation}


def iso(moment: datetime) -> str:
    """A UTC time as JSON carries it (``2026-11-28T12:02:00Z``, as pydantic writes it)."""
    return moment.isoformat().replace("+00:00", "Z")


CHANNEL_PREFIX = "qrlogin:"


def channel(login_id: str) -> str:
    """The event bus channel of one login."""
    return CHANNEL_PREFIX + login_id


def area_columns(area: Area | None) -> dict:
    """The columns of ``qr_logins`` that keep *area* (all None without one)."""
    if area is None:
        return dict(place_latitude=None, place_longitude=None, place_radius_km=None)
    return dict(place_latitude=area.centre.latitude, place_longitude=area.centre.longitude,
                place_radius_km=area.radius_km)


def _area_of(row) -> Area | None:
    if row.place_latitude is None or row.place_longitude is None:
        return None
    return Area(Point(row.place_latitude, row.place_longitude), row.place_radius_km or 0.0)


def login_of(row) -> Login:
    return Login(
        id=row.id, state=row.state, created_at=row.created_at, expires_at=row.expires_at,
        requester=Requester(row.browser, row.os, row.network, row.place, row.country,
                            _area_of(row), dict(row.place_names or {})),
        user_id=row.user_id, device_id=row.device_id, via=row.via, number=row.number,
        choices=tuple(row.choices or ()), scanned_at=row.scanned_at, decided_at=row.decided_at,
        deny_reason=row.deny_reason, return_url=row.return_url,
        return_state=row.return_state, nonce=row.nonce,
    )


def load(connection: Connection, login_id: str) -> Login:
    """The login *login_id*. Raises ``LoginNotFound``."""
    row = connection.execute(select(qr_logins).where(qr_logins.c.id == login_id)).first()
    if row is None:
        raise LoginNotFound("There is no such sign-in. Start again on the computer.")
    return login_of(row)


def explain(login: Login, now: datetime, wanted: str):
    """The error for a move that needed the login *wanted* but found it otherwise."""
    state = login.state_at(now)
    if state == "expired":
        return LoginExpired("This sign-in code has expired. Make a new one on the computer.")
    if state == "redeemed":
        return WrongState("This sign-in code was used already. Make a new one on the "
                          "computer.", state=state)
    return WrongState("This sign-in cannot take this step now. Start again on the computer.",
                      state=state)
