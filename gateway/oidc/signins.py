"""How the user signed in, as the ID token tells it: when (``auth_time``), by what
(``amr``: ``qr``, and ``hwk`` when the phone's device key signed the confirmation, or
``pwd``) and at which level (``acr``)."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Connection, select

from gateway.core.clock import epoch
from gateway.qrlogin.tables import qr_logins

ACR_PASSWORD = "urn:companion-gateway:acr:password"
ACR_PHONE = "urn:companion-gateway:acr:phone"  # confirmed on a signed-in phone
ACR_PHONE_KEY = "urn:companion-gateway:acr:phone-key"  # ... and signed with its device key
ACR_VALUES = (ACR_PASSWORD, ACR_PHONE, ACR_PHONE_KEY)


def sid_of(session_hash: str | None) -> str | None:
    """The ``sid`` relying parties know a browser session by: derived from the stored hash
    of its id, so it names the session without being a key to anything."""
    if not session_hash:
        return None
    return hashlib.sha256(b"oidc-sid:" + session_hash.encode("ascii")).hexdigest()[:32]


@dataclass(frozen=True)
class SignIn:
    """One sign-in of a user in a browser, as relying parties are told of it."""

    user_id: str
    auth_time: int  # seconds since the epoch
    amr: tuple[str, ...]
    acr: str
    session_hash: str | None  # the browser session it opened (for logout)


def sign_in_of(connection: Connection, *, user_id: str, method: str, started: datetime,
               session_hash: str | None, login_id: str | None) -> SignIn:
    """The sign-in behind a browser session of *user_id* opened at *started* by *method*
    (``qr`` or ``password``). When *login_id*, the QR login that opened it, is given and
    was redeemed by this user, its confirmation time and whether the device key signed
    it are used."""
    if method != "qr":
        return SignIn(user_id, epoch(started), ("pwd",), ACR_PASSWORD, session_hash)
    login = None
    if login_id:
        login = connection.execute(
            select(qr_logins.c.decided_at, qr_logins.c.proved_by_key)
            .where(qr_logins.c.id == login_id, qr_logins.c.user_id == user_id,
                   qr_logins.c.state == "redeemed")).first()
    if login is not None and login.proved_by_key:
        return SignIn(user_id, epoch(login.decided_at or started), ("qr", "hwk"), ACR_PHONE_KEY,
                      session_hash)
    auth_time = login.decided_at if login is not None and login.decided_at else started
    return SignIn(user_id, epoch(auth_time), ("qr",), ACR_PHONE, session_hash)
