"""The user's own data (agreement 1.2.1 and the rights of the user): device reports,
export, account deletion, and the privacy centre page."""

from __future__ import annotations

from typing import Any, Literal

from flask import Blueprint
from pydantic import BaseModel, Field

from gateway.consent import selfservice
from gateway.core.errors import InvalidCredentials
from gateway.identity import accounts
from gateway.privacy import device_reports, retention, rights, sections
from gateway.privacy.device_reports import AccessPoint, Position
from gateway.web.api import Model, json_response, operation
from gateway.web.auth import current_device
from gateway.web.context import client_ip, services
from gateway.web.i18n import asked_language
from gateway.web.pages import page
from gateway.web.problems import words

bp = Blueprint("privacy", __name__)


class PositionIn(Model):
    latitude: float = Field(ge=-90, le=90)
    longitude: float = Field(ge=-180, le=180)
    accuracy_m: float | None = Field(default=None, ge=0, le=100_000)
    precision: Literal["precise", "approximate"]


class AccessPointIn(Model):
    bssid: str = Field(pattern=r"^[0-9A-Fa-f]{2}(:[0-9A-Fa-f]{2}){5}$")
    ssid: str | None = Field(default=None, max_length=32)


class DeviceReport(Model):
    model: str = Field(min_length=1, max_length=128)
    os: str = Field(min_length=1, max_length=64)
    os_version: str = Field(min_length=1, max_length=64)
    app_version: str = Field(min_length=1, max_length=64)
    position: PositionIn | None = None
    access_point: AccessPointIn | None = None


class ReportOut(BaseModel):
    stored: list[str]
    dropped: list[str] = Field(description="Parts not stored for want of location consent")


class DeleteAccount(Model):
    password: str = Field(min_length=1, max_length=1024, description="The current password")


class DeletionOut(BaseModel):
    deleted: bool
    parts: dict[str, int]


class RetentionOut(BaseModel):
    category: str = Field(description="The retention category (the README lists them)")
    what: str = Field(description="What goes when the period ends")
    days: float = Field(description="How long it is kept, in days (1/24 for an hour)")


class RetentionList(BaseModel):
    retention: list[RetentionOut]


class ExportOut(BaseModel):
    generated_at: str
    user_id: str
    section_names: dict[str, str] = Field(description="What each section (the other keys, "
                                          "which never change) is called, in the reader's "
                                          "language")
    model_config = {"extra": "allow"}


@bp.post("/api/v1/devices/current/report")
@operation(summary="Report this device's details (location only with consent)",
           tag="devices", auth="device", body=DeviceReport, response=ReportOut)
def report_device(body: DeviceReport):
    svc = services()
    principal = current_device()
    outcome = device_reports.report(
        svc.store, svc.clock, user_id=principal.user_id, device_id=principal.device_id,
        model=body.model, os=body.os, os_version=body.os_version,
        app_version=body.app_version, ip=client_ip(),
        position=Position(**body.position.model_dump()) if body.position else None,
        access_point=AccessPoint(**body.access_point.model_dump()) if body.access_point else None,
        reads_in=asked_language(),
    )
    return ReportOut(stored=list(outcome.stored), dropped=list(outcome.dropped))


@bp.get("/api/v1/privacy/retention")
@operation(summary="How long each kind of personal data is kept (for the privacy centre)",
           tag="account", response=RetentionList)
def retention_periods():
    svc = services()
    return RetentionList(retention=[
        RetentionOut(category=c.name, what=words(c.what),
                     days=retention.period(svc.settings, c).total_seconds() / 86400)
        for c in sorted(svc.reactions.retention, key=lambda c: c.name)])


@bp.get("/api/v1/me/export")
@operation(summary="Everything the gateway holds about me, as one JSON document",
           tag="account", auth="device", response=ExportOut)
def export_my_data():
    svc = services()
    user_id = current_device().user_id
    document: dict[str, Any] = rights.export(svc.store, svc.clock, user_id,
                                             svc.reactions.exports)
    issuer = svc.receipts
    for decision in document["consents"]:
        # Each decision with its signed receipt, verifiable with the JWKS.
        decision["receipt"] = selfservice.receipt(svc.store, issuer, svc.catalogue,
                                                  user_id=user_id, event_id=decision["id"])[1]
    document["section_names"] = {key: words(sections.name_of(key))
                                 for key in sorted(svc.reactions.exports)}
    response = json_response(document)
    response.headers["Content-Disposition"] = 'attachment; filename="my-data.json"'
    return response


@bp.post("/api/v1/me/delete")
@operation(summary="Delete my account and my personal data", tag="account", auth="device",
           body=DeleteAccount, response=DeletionOut, errors=(401,))
def delete_my_account(body: DeleteAccount):
    svc = services()
    principal = current_device()
    user = accounts.get_user(svc.store, principal.user_id)
    try:
        accounts.authenticate(svc.store, svc.passwords, user.username, body.password)
    except InvalidCredentials:
        raise InvalidCredentials("The password is wrong, so nothing was deleted.") from None
    parts = rights.delete_account(svc.store, svc.clock, principal.user_id,
                                  svc.reactions.erasures)
    return DeletionOut(deleted=True, parts=parts)


@bp.get("/app/privacy")
@operation(summary="The privacy centre: my data, devices, consents, export, delete",
           tag="pages", produces="text/html")
def privacy_centre():
    return page("privacy.html")
