"""Scan to preview: the preview links shown as QR codes, and the grants phones get from them.

A *preview link* is a short https link carrying an opaque token (128 random bits, stored
only as its hash) and, for phones that cannot scan, an 8-character typed code. It lives five
minutes and any number of phones may open it: a room of people may scan one screen. It
grants nothing by itself: whoever opens it must be signed in on a device and allowed to view
the report at that moment.

A *preview grant* is what opening a link yields: an ES256 JWT (audience ``preview``) bound
to one device and one report, read-only, ten minutes, with a row behind its ``jti`` so it
can be revoked. Every use checks the signature, the row (revoked? expired?), the device
presenting it, and the report's permissions again, so removing a viewer, revoking the grant
or the device takes effect on the very next request. The grant travels only in request and
response bodies and headers, never in a URL.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import Connection, insert, select

from gateway import consent
from gateway.consent.purposes import Catalogue
from gateway.core import audit
from gateway.core.clock import Clock
from gateway.core.errors import (
    Forbidden,
    Gone,
    InvalidRequest,
    NotFound,
    TokenExpired,
    TokenInvalid,
)
from gateway.core.store import Store
from gateway.core.tokens import Signer, digest, new_id, new_token
from gateway.reports import library as reports
from gateway.reports.library import Report
from gateway.reports.tables import preview_grants, preview_links

LINK_LIFETIME = timedelta(minutes=5)
GRANT_LIFETIME = timedelta(minutes=10)
GRANT_AUDIENCE = "preview"
GRANT_TYPE = "preview+jwt"
LINK_PATH = "/p/"
TOKEN_BYTES = 16  # 128 bits: the link stays short, so the QR code stays small
CODE_ALPHABET = "BCDFGHJKLMNPQRSTVWXZ"  # RFC 8628 6.1, as scan-to-log-in: no words, no look-alikes
CODE_LENGTH = 8
LINK_VIAS = ("link", "app_camera")  # with "typed_code": the same words as scan-to-log-in


class PreviewLinkUnknown(NotFound):
    slug = "preview-link-unknown"
    title = "Unknown preview link"


class PreviewLinkExpired(Gone):
    slug = "preview-link-expired"
    title = "Preview link expired"


class PreviewGrantInvalid(Forbidden):
    slug = "preview-grant-invalid"
    title = "Preview not valid"


class PreviewWrongDevice(Forbidden):
    slug = "preview-wrong-device"
    title = "Opened on another device"


class PreviewEnded(Gone):
    slug = "preview-ended"
    title = "Preview ended"


class GrantNotFound(NotFound):
    slug = "preview-grant-not-found"
    title = "Preview not found"


@dataclass(frozen=True)
class PreviewLink:
    url: str
    code: str  # as shown: "ABCD-EFGH"
    report_id: str
    created_at: datetime
    expires_at: datetime


@dataclass(frozen=True)
class Grant:
    id: str
    report_id: str
    user_id: str
    device_id: str
    via: str
    created_at: datetime
    expires_at: datetime
    revoked_at: datetime | None
    revoked_reason: str | None


@dataclass(frozen=True)
class IssuedGrant:
    grant: Grant
    token: str  # the JWT; handed to the device once, never stored


def grant_from_row(row) -> Grant:
    """A grant as read from its row."""
    return Grant(row.id, row.report_id, row.user_id, row.device_id, row.via, row.created_at,
                 row.expires_at, row.revoked_at, row.revoked_reason)


def normalise_code(text: str) -> str:
    """A typed code as stored: upper case, without the spaces and dashes people add."""
    return "".join(ch for ch in text.upper() if ch not in " -")


def _find_link(connection: Connection, clock: Clock, token: str | None, code: str | None):
    if token is not None:
        query = select(preview_links).where(preview_links.c.token_hash == digest(token))
    else:
        # Codes are short, so an old expired one may share a hash with a live one: the
        # newest decides.
        query = (select(preview_links)
                 .where(preview_links.c.code_hash == digest(normalise_code(code or "")))
                 .order_by(preview_links.c.expires_at.desc()).limit(1))
    row = connection.execute(query).first()
    if row is None:
        raise PreviewLinkUnknown("This preview link or code is not known. Check it, or ask for a "
                                 "new one.")
    if row.expires_at <= clock.now():
        raise PreviewLinkExpired("This preview link has expired. Ask for a new one.")
    return row


def _check(connection: Connection, clock: Clock, signer: Signer, token: str, user_id: str,
           device_id: str) -> tuple[Grant, Report]:
    try:
        claims = signer.verify(token, audience=GRANT_AUDIENCE, typ=GRANT_TYPE)
    except TokenExpired:
        raise PreviewEnded("This preview has ended: its time is up. Open the report "
                           "again.", reason="expired") from None
    except TokenInvalid:
        raise PreviewGrantInvalid("This preview cannot be checked. Open the report "
                                  "again.") from None
    row = connection.execute(
        select(preview_grants).where(preview_grants.c.id == claims["jti"])).first()
    if row is None:  # the report was removed, and its grants with it
        raise PreviewEnded("This report is no longer available.", reason="removed")
    if row.device_id != device_id or row.user_id != user_id or claims.get("did") != device_id:
        raise PreviewWrongDevice("This preview works only on the device that opened it.")
    if row.revoked_at is not None:
        raise PreviewEnded("This preview was ended by the report's owner or an "
                           "administrator.", reason="revoked")
    if row.expires_at <= clock.now():
        raise PreviewEnded("This preview has ended: its time is up. Open the report "
                           "again.", reason="expired")
    return grant_from_row(row), reports.require_viewer(connection, row.report_id, user_id)


@dataclass(frozen=True)
class Previews:
    """Scan to preview, bound to the store, the clock, the signer of grants, the purposes of
    consent and the gateway's public URL (links start with it): links made and opened, and
    grants used."""

    store: Store
    clock: Clock
    signer: Signer
    catalogue: Catalogue
    public_url: str

    def create_link(self, *, report_id: str, user_id: str, ip: str | None = None) -> PreviewLink:
        """A new preview link for a report *user_id* may view now.

        Raises ``reports.ReportNotFound`` and ``reports.ReportRefused``.
        """
        token = new_token(TOKEN_BYTES)
        code = "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))
        now = self.clock.now()
        with self.store.write() as connection:
            reports.require_viewer(connection, report_id, user_id)
            connection.execute(insert(preview_links).values(
                token_hash=digest(token), code_hash=digest(code), report_id=report_id,
                created_by=user_id, created_at=now, expires_at=now + LINK_LIFETIME))
            audit.record(connection, self.clock, "preview.link-created", actor=user_id,
                         subject=report_id, ip=ip)
        return PreviewLink(f"{self.public_url}{LINK_PATH}{token}", f"{code[:4]}-{code[4:]}",
                           report_id, now, now + LINK_LIFETIME)

    def open_preview(self, *, user_id: str, device_id: str, token: str | None = None,
                     code: str | None = None, via: str = "link",
                     ip: str | None = None) -> IssuedGrant:
        """Open a preview link (by *token*, or by typed *code*) on a signed-in device, checking
        at this moment that the user may view the report, and issue a grant for this device.

        *via* says how the link reached the app: ``app_camera`` (the app's own scanner, which
        needs the device's camera consent) or ``link`` (opened from the phone's camera app or
        another app); a typed code is ``typed_code``. Raises ``InvalidRequest``,
        ``PreviewLinkUnknown``, ``PreviewLinkExpired``, ``consent.ConsentRequired`` and
        ``reports.ReportRefused``.
        """
        if (token is None) == (code is None):
            raise InvalidRequest("Send either the link's token or a typed code.")
        if code is not None:
            via = "typed_code"
        elif via not in LINK_VIAS:
            raise InvalidRequest("For a link, via must be 'link' or 'app_camera'.", field="via")
        now = self.clock.now()
        with self.store.write() as connection:
            link = _find_link(connection, self.clock, token, code)
            if via == "app_camera":
                consent.require(connection, self.clock, self.catalogue, user_id=user_id,
                                device_id=device_id, purpose="camera")
            reports.require_viewer(connection, link.report_id, user_id)
            grant_id = new_id()
            connection.execute(insert(preview_grants).values(
                id=grant_id, report_id=link.report_id, user_id=user_id, device_id=device_id,
                via=via, created_at=now, expires_at=now + GRANT_LIFETIME))
            audit.record(connection, self.clock, "preview.opened", actor=user_id,
                         device_id=device_id, subject=link.report_id,
                         details={"grant": grant_id, "via": via}, ip=ip)
            grant = grant_from_row(connection.execute(
                select(preview_grants).where(preview_grants.c.id == grant_id)).one())
        jwt = self.signer.issue({"sub": user_id, "did": device_id, "rid": grant.report_id,
                                 "jti": grant_id}, audience=GRANT_AUDIENCE,
                                lifetime=GRANT_LIFETIME, typ=GRANT_TYPE)
        return IssuedGrant(grant, jwt)

    def use_grant(self, token: str, *, user_id: str, device_id: str) -> tuple[Grant, Report]:
        """The grant and its report, if *token* is a live grant of this device whose user may
        still view the report. Raises ``PreviewGrantInvalid``, ``PreviewWrongDevice``,
        ``PreviewEnded`` (``reason``: expired, revoked or removed) and ``reports.ReportRefused``."""
        with self.store.read() as connection:
            return _check(connection, self.clock, self.signer, token, user_id, device_id)

    def grant_snapshot(self, token: str, *, user_id: str, device_id: str) -> tuple[str, bytes]:
        """(media type, bytes) of the snapshot of the grant's report, checked as ``use_grant``
        does. Raises what it raises, and ``reports.ReportNotFound`` without a snapshot."""
        with self.store.read() as connection:
            _, report = _check(connection, self.clock, self.signer, token, user_id, device_id)
            return reports.snapshot_image(connection, report.id)
