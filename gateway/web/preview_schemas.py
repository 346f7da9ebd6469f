"""Request and response bodies of scan-to-preview (reports, preview links, preview grants)."""

from __future__ import annotations

import base64
import binascii
from datetime import datetime
from typing import Literal

from pydantic import AwareDatetime, BaseModel, Field, field_validator, model_validator

from gateway.reports.library import Report
from gateway.reports.preview import IssuedGrant, PreviewLink
from gateway.reports.preview_control import ActiveGrant
from gateway.reports.summary import Summary
from gateway.web.api import Model

USERNAME = r"^[A-Za-z0-9][A-Za-z0-9._-]+$"


class SnapshotIn(Model):
    """A snapshot image, base64 (RFC 4648) in the JSON body so one call carries everything."""

    data: str = Field(min_length=4, description="The PNG or JPEG file, base64-encoded")
    media_type: str | None = Field(
        default=None, max_length=64,
        description="image/png or image/jpeg; optional, and refused when the bytes disagree")

    @field_validator("data")
    @classmethod
    def _is_base64(cls, value: str) -> str:
        try:
            base64.b64decode(value, validate=True)
        except (binascii.Error, ValueError):
            raise ValueError("data is not valid base64") from None
        return value

    def image(self) -> bytes:
        return base64.b64decode(self.data, validate=True)


class RegisterReport(Model):
    """Everything about a report; a second call replaces all of it."""

    title: str = Field(min_length=1, max_length=200)
    owner: str = Field(min_length=2, max_length=64, pattern=USERNAME,
                       description="The owner's username")
    users: list[str] = Field(default_factory=list, max_length=500,
                             description="Usernames allowed to view the report")
    groups: list[str] = Field(default_factory=list, max_length=500,
                              description="Groups whose members may view the report")
    generated_at: AwareDatetime | None = Field(
        default=None, description="When the BI server produced this content (default: now)")
    summary: Summary | None = None
    snapshot: SnapshotIn | None = None

    @model_validator(mode="after")
    def _one_kind_of_content(self) -> RegisterReport:
        if (self.summary is None) == (self.snapshot is None):
            raise ValueError("send either a snapshot or a summary, not both or neither")
        return self


class SnapshotInfo(BaseModel):
    media_type: str
    width: int
    height: int


def _snapshot_info(report: Report) -> SnapshotInfo | None:
    if report.snapshot_media_type is None:
        return None
    return SnapshotInfo(media_type=report.snapshot_media_type, width=report.snapshot_width,
                        height=report.snapshot_height)


class ReportOut(BaseModel):
    """A report as the BI server registered it."""

    id: str
    title: str
    owner: str | None
    users: list[str]
    groups: list[str]
    content: Literal["snapshot", "summary"]
    snapshot: SnapshotInfo | None
    generated_at: datetime
    registered_at: datetime
    updated_at: datetime

    @classmethod
    def of(cls, report: Report) -> ReportOut:
        return cls(id=report.id, title=report.title, owner=report.owner, users=list(report.users),
                   groups=list(report.groups), content=report.content_kind,
                   snapshot=_snapshot_info(report), generated_at=report.generated_at,
                   registered_at=report.registered_at, updated_at=report.updated_at)


class ReportContent(BaseModel):
    """What a viewer sees of a report: its title and its preview content."""

    id: str
    title: str
    generated_at: datetime
    content: Literal["snapshot", "summary"]
    summary: Summary | None
    snapshot: SnapshotInfo | None

    @classmethod
    def fields_of(cls, report: Report) -> dict:
        return dict(id=report.id, title=report.title, generated_at=report.generated_at,
                    content=report.content_kind,
                    summary=Summary.model_validate(report.summary) if report.summary else None,
                    snapshot=_snapshot_info(report))


class ReportView(ReportContent):
    can_manage: bool = Field(description="Whether the viewer controls the report's previews")


class ReportListItem(BaseModel):
    id: str
    title: str
    generated_at: datetime
    content: Literal["snapshot", "summary"]
    can_manage: bool


class ReportList(BaseModel):
    reports: list[ReportListItem]


class PreviewLinkOut(BaseModel):
    """A preview link and its QR code, both images in the body so the token is never put in
    an image URL (and so in no access log)."""

    url: str
    code: str = Field(description="The typed form of the link, for phones that cannot scan")
    report_id: str
    expires_at: datetime
    expires_in: int = Field(description="Seconds the link lives")
    qr_svg: str = Field(description="The QR code as an SVG document")
    qr_png: str = Field(description="The QR code as a PNG file, base64-encoded")

    @classmethod
    def of(cls, link: PreviewLink, now: datetime, svg: str, png: bytes) -> PreviewLinkOut:
        return cls(url=link.url, code=link.code, report_id=link.report_id,
                   expires_at=link.expires_at, expires_in=seconds_left(link.expires_at, now),
                   qr_svg=svg, qr_png=base64.b64encode(png).decode())


class OpenPreview(Model):
    """Open a preview link on this device: the token from the link, or a typed code."""

    token: str | None = Field(default=None, min_length=16, max_length=64,
                              pattern=r"^[A-Za-z0-9_-]+$")
    code: str | None = Field(default=None, min_length=8, max_length=16,
                             pattern=r"^[A-Za-z -]+$")
    via: Literal["link", "app_camera"] = Field(
        default="link", description="app_camera: scanned by the app's own scanner (needs "
                                    "camera consent); link: opened from the phone's camera app")

    @model_validator(mode="after")
    def _token_or_code(self) -> OpenPreview:
        if (self.token is None) == (self.code is None):
            raise ValueError("send either the link's token or a typed code")
        return self


class GrantIssued(BaseModel):
    grant: str = Field(description="The preview grant: send it back in the X-Preview-Grant "
                                   "header with this device's access token; keep it out of URLs")
    grant_id: str
    report_id: str
    expires_at: datetime
    expires_in: int

    @classmethod
    def of(cls, issued: IssuedGrant, now: datetime) -> GrantIssued:
        grant = issued.grant
        return cls(grant=issued.token, grant_id=grant.id, report_id=grant.report_id,
                   expires_at=grant.expires_at, expires_in=seconds_left(grant.expires_at, now))


class PreviewStatus(BaseModel):
    grant_id: str
    report_id: str
    expires_at: datetime
    expires_in: int


class PreviewContent(ReportContent):
    grant_id: str
    expires_at: datetime
    expires_in: int


class GrantOut(BaseModel):
    id: str
    report_id: str
    username: str
    display_name: str
    device_model: str
    device_os: str
    via: str
    created_at: datetime
    expires_at: datetime
    revoked_at: datetime | None
    revoked_reason: str | None

    @classmethod
    def of(cls, active: ActiveGrant) -> GrantOut:
        grant = active.grant
        return cls(id=grant.id, report_id=grant.report_id, username=active.username,
                   display_name=active.display_name, device_model=active.device_model,
                   device_os=active.device_os, via=grant.via, created_at=grant.created_at,
                   expires_at=grant.expires_at, revoked_at=grant.revoked_at,
                   revoked_reason=grant.revoked_reason)


class GrantList(BaseModel):
    report_id: str
    report_title: str
    grants: list[GrantOut]


class RevokedGrant(BaseModel):
    id: str
    report_id: str
    revoked_at: datetime | None
    revoked_reason: str | None


class RevokedCount(BaseModel):
    revoked: int


def seconds_left(until: datetime, now: datetime) -> int:
    """Whole seconds from *now* to *until* (pages count down from this, not from their own
    clock, which may be set differently from the gateway's)."""
    return max(0, int((until - now).total_seconds()))
