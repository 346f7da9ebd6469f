"""Tables of scan-to-preview: reports the BI server registers, who may view them, the preview
links shown as QR codes, and the preview grants handed to phones."""

from sqlalchemy import (
    JSON,
    Column,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Table,
)

from gateway.core.store.metadata import metadata
from gateway.core.store.types import UTCDateTime

reports = Table(
    "reports",
    metadata,
    Column("id", String(128), primary_key=True),  # the BI server's own id for the report
    Column("title", String(200), nullable=False),
    # SET NULL: a report outlives its owner's account; admins still control its previews.
    Column("owner_id", ForeignKey("users.id", ondelete="SET NULL"), index=True),
    Column("content_kind", String(16), nullable=False),  # snapshot, summary
    Column("summary", JSON),
    Column("generated_at", UTCDateTime, nullable=False),
    Column("registered_at", UTCDateTime, nullable=False),
    Column("updated_at", UTCDateTime, nullable=False),
    Column("updated_by", String(32)),  # the integration key's id
)

# Kept apart from `reports` so that listing reports never reads image bytes.
report_snapshots = Table(
    "report_snapshots",
    metadata,
    Column("report_id", ForeignKey("reports.id", ondelete="CASCADE"), primary_key=True),
    Column("media_type", String(16), nullable=False),
    Column("width", Integer, nullable=False),
    Column("height", Integer, nullable=False),
    Column("data", LargeBinary, nullable=False),
)

report_viewer_users = Table(
    "report_viewer_users",
    metadata,
    Column("report_id", ForeignKey("reports.id", ondelete="CASCADE"), primary_key=True),
    Column("user_id", ForeignKey("users.id", ondelete="CASCADE"), primary_key=True,
           index=True),
)

# No foreign key to `groups`: a BI server may name a group before anyone is put in it.
report_viewer_groups = Table(
    "report_viewer_groups",
    metadata,
    Column("report_id", ForeignKey("reports.id", ondelete="CASCADE"), primary_key=True),
    Column("group_name", String(64), primary_key=True, index=True),
)

# A preview link is what the QR code carries; several phones may open one while it lives.
preview_links = Table(
    "preview_links",
    metadata,
    Column("token_hash", String(64), primary_key=True),
    Column("code_hash", String(64), nullable=False, index=True),  # the typed form
    Column("report_id", ForeignKey("reports.id", ondelete="CASCADE"), nullable=False,
           index=True),
    Column("created_by", ForeignKey("users.id", ondelete="CASCADE"), nullable=False,
           index=True),
    Column("created_at", UTCDateTime, nullable=False),
    Column("expires_at", UTCDateTime, nullable=False, index=True),
)

# One row per preview grant (the JWT's jti): what makes a grant revocable.
preview_grants = Table(
    "preview_grants",
    metadata,
    Column("id", String(32), primary_key=True),
    Column("report_id", ForeignKey("reports.id", ondelete="CASCADE"), nullable=False),
    Column("user_id", ForeignKey("users.id", ondelete="CASCADE"), nullable=False, index=True),
    Column("device_id", ForeignKey("devices.id", ondelete="CASCADE"), nullable=False,
           index=True),
    Column("via", String(16), nullable=False),  # link, app_camera, typed_code
    Column("created_at", UTCDateTime, nullable=False),
    Column("expires_at", UTCDateTime, nullable=False),
    Column("revoked_at", UTCDateTime),
    Column("revoked_by", String(32)),
    Column("revoked_reason", String(32)),
    Index("ix_preview_grants_report", "report_id", "expires_at"),
)
