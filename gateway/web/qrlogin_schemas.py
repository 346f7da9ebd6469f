"""Request and response bodies of scan to log in."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from flask_babel import format_decimal
from pydantic import BaseModel, Field, model_validator

from gateway.core.languages import N_
from gateway.qrlogin import logins
from gateway.qrlogin.far_away import FarAway
from gateway.qrlogin.phone import Scanned
from gateway.web import waiting
from gateway.web.api import Model
from gateway.web.i18n import language
from gateway.web.problems import words
from gateway.web.schemas import UserOut

State = Literal["pending", "scanned", "confirmed", "redeemed", "denied", "expired"]


class StartIn(Model):
    return_to: str | None = Field(default=None, max_length=2048,
                                  description="One of GATEWAY_RETURN_URLS exactly")
    state: str | None = Field(default=None, max_length=256,
                              description="Handed back to the return URL unchanged")
    nonce: str | None = Field(default=None, max_length=128,
                              description="Copied into the login assertion")
    oidc: str | None = Field(default=None, max_length=64,
                             description="The OpenID Connect authorization request this "
                                         "sign-in is for (the phone names its application)")


class Wait(BaseModel):
    events: str = Field(description="Server-Sent Events of the state")
    poll: str = Field(description="Long poll: answers once the state differs from ?known=")


class StatusOut(BaseModel):
    id: str
    state: State
    number: int | None = Field(description="The number to find on the phone, once scanned")
    expires_at: datetime
    expires_in: int = Field(description="Seconds left, for a countdown")
    rotation: int = Field(description="Which QR code is in force; it changes every 30 s")
    rotates_at: datetime | None
    rotates_in: float | None = Field(description="Seconds until the next QR code")
    reason: Literal["refused", "wrong-number"] | None = Field(
        default=None, description="Why a denied login was: refused on the phone, or the "
                                  "wrong number tapped")

    @classmethod
    def of(cls, status: logins.Status, now: datetime) -> StatusOut:
        """Where *status* stands at *now*."""
        return cls(
            id=status.id, state=status.state, number=status.number,
            expires_at=status.expires_at,
            expires_in=max(0, int((status.expires_at - now).total_seconds())),
            rotation=status.rotation, rotates_at=status.rotates_at,
            rotates_in=(status.rotates_at - now).total_seconds() if status.rotates_at else None,
            reason=status.reason,
        )


def status_json(status: logins.Status, now: datetime) -> dict:
    """``StatusOut.of(status, now)`` as JSON data, written by hand: this is the hot path of
    a waiting browser (see test_the_status_matches_its_schema...)."""
    rotates_at = status.rotates_at
    return {"id": status.id, "state": status.state, "number": status.number,
            "expires_at": logins.iso(status.expires_at),
            "expires_in": max(0, int((status.expires_at - now).total_seconds())),
            "rotation": status.rotation,
            "rotates_at": logins.iso(rotates_at) if rotates_at else None,
            "rotates_in": (rotates_at - now).total_seconds() if rotates_at else None,
            "reason": status.reason}


class StartOut(StatusOut):
    rotates_every: float = Field(description="Seconds between one QR code and the next, so "
                                             "the page redraws it on time after `rotates_in`")
    qr: str = Field(description="The link the QR code carries")
    qr_png_url: str
    qr_svg_url: str
    code: str = Field(description="The code to type on a phone that cannot scan")
    csrf_token: str = Field(description="Send it in X-CSRF-Token to redeem")
    wait: Wait


class WaitQuery(Model):
    known: State = Field(description="The state the browser shows now")
    seconds: int = Field(default=waiting.MAX_POLL_SECONDS, ge=1, le=waiting.MAX_POLL_SECONDS,
                         description="How long to wait for a change at most")


TOKEN = r"^[A-Za-z0-9_-]+$"


class ScanIn(Model):
    token: str | None = Field(default=None, min_length=16, max_length=64, pattern=TOKEN)
    hold: str | None = Field(default=None, min_length=16, max_length=128,
                             pattern=r"^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$",
                             description="Instead of the token: the hold taken on it before "
                                         "the phone signed in")
    via: Literal["link", "app_camera"] = Field(
        default="link", description="app_camera: the app's own scanner (needs camera consent)")

    @model_validator(mode="after")
    def _token_or_hold(self) -> ScanIn:
        if (self.token is None) == (self.hold is None):
            raise ValueError("send either the QR code's token or a hold on it")
        return self


class HoldIn(Model):
    token: str = Field(min_length=16, max_length=64, pattern=TOKEN)


class HoldOut(BaseModel):
    hold: str = Field(description="Keep it while signing in, then scan with it")
    expires_in: int = Field(description="Seconds the login (and so the hold) has left")


class CodeIn(Model):
    code: str = Field(min_length=1, max_length=16)


class RequesterOut(BaseModel):
    browser: str
    os: str
    place: str | None = Field(description="A coarse place (the GeoIP city and country), named "
                                          "in the reader's language where the database can")
    network: str | None
    started_at: datetime


class FarAwayOut(BaseModel):
    place: str = Field(description="The computer's coarse place (its GeoIP city), as in "
                                   "requester.place")
    km: int = Field(description="How far it is from the phone's own recent fix, rounded")
    text: str = Field(description="The warning in the reader's language, its number written "
                                  "as that language writes numbers")

    @classmethod
    def of(cls, far: FarAway | None, place: str | None) -> FarAwayOut | None:
        """The far-away warning for a person reading in the request's language, naming the
        computer's *place* as that language does."""
        if far is None:
            return None
        place = place or far.place
        text = words(N_("This sign-in comes from {place}, about {distance} km from where your "
                        "phone is. Approve only if you started it yourself."),
                     {"place": place, "distance": format_decimal(far.km)})
        return cls(place=place, km=far.km, text=text)


class ScanOut(BaseModel):
    id: str
    state: State
    requester: RequesterOut
    warning: str | None = Field(description="Why to be careful: the computer's network "
                                            "differs from the phone's (absent when far_away "
                                            "says more)")
    far_away: FarAwayOut | None = Field(
        description="The computer is far from the phone's own position (only with the "
                    "phone's location consent and a recent fix)")
    choices: list[int]
    expires_at: datetime
    expires_in: int = Field(description="Seconds left to decide, for a countdown")
    application: str | None = Field(default=None, description="The application the sign-in "
                                    "is for, as the phone names it, e.g. Superset at "
                                    "bi.example.com")

    @classmethod
    def of(cls, scanned: Scanned, now: datetime, application: str | None = None) -> ScanOut:
        """What the phone shows of a login it scanned at *now*: who is asking, the numbers,
        and how long is left."""
        login, who, warning = scanned.login, scanned.login.requester, scanned.warning
        place = who.place_in(language())  # the GeoIP database's name in the reader's language
        return cls(
            id=login.id, state=login.state,
            warning=words(warning.text, warning.params) if warning else None,
            far_away=FarAwayOut.of(scanned.far_away, place),
            choices=list(login.choices), expires_at=login.expires_at,
            expires_in=max(0, int((login.expires_at - now).total_seconds())),
            application=application,
            requester=RequesterOut(browser=who.browser, os=who.os, place=place,
                                   network=who.network, started_at=login.created_at),
        )


class ConfirmIn(Model):
    number: int = Field(ge=10, le=99)
    proof: str | None = Field(default=None, max_length=4096,
                              description="ES256 JWT by the device key: aud qr-login, rid, "
                                          "num, act=confirm, iat, jti")


class DenyIn(Model):
    pass


class DecisionOut(BaseModel):
    id: str
    state: State


class RedeemOut(BaseModel):
    user: UserOut
    csrf_token: str = Field(description="The new browser session's CSRF token")
    method: str
    expires_at: datetime
    assertion: str = Field(description="The login assertion for the BI server (JWT)")
    return_url: str | None
    return_state: str | None
