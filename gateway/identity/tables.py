"""The foundation's tables: users, groups, devices, token families, browser sessions.

Other domains keep their tables in a module of their own beside this one; ``schema.py``
gathers them all for Alembic and the tests.
"""

from __future__ import annotations

from sqlalchemy import Boolean, Column, ForeignKey, Index, String, Table, Text, UniqueConstraint

from gateway.core.store.metadata import metadata
from gateway.core.store.types import UTCDateTime

users = Table(
    "users",
    metadata,
    Column("id", String(32), primary_key=True),
    Column("username", String(64), nullable=False, unique=True),
    Column("display_name", String(128), nullable=False),
    Column("email", String(254)),
    Column("phone", String(32)),
    Column("role", String(16), nullable=False),
    Column("password_hash", String(256), nullable=False),
    Column("must_change_password", Boolean, nullable=False, default=False),
    Column("created_at", UTCDateTime, nullable=False),
    Column("disabled_at", UTCDateTime),
    Column("language", String(8)),  # the language chosen with the pages' switch, if any
)

groups = Table(
    "groups",
    metadata,
    Column("name", String(64), primary_key=True),
    Column("created_at", UTCDateTime, nullable=False),
)

memberships = Table(
    "memberships",
    metadata,
    Column("user_id", ForeignKey("users.id", ondelete="CASCADE"), primary_key=True),
    Column("group_name", ForeignKey("groups.name", ondelete="CASCADE"), primary_key=True),
)

devices = Table(
    "devices",
    metadata,
    Column("id", String(32), primary_key=True),
    Column("user_id", ForeignKey("users.id", ondelete="CASCADE"), nullable=False),
    Column("app_device_id", String(128), nullable=False),
    Column("model", String(128), nullable=False),
    Column("os", String(64), nullable=False),
    Column("os_version", String(64), nullable=False),
    Column("app_version", String(64), nullable=False),
    Column("public_key", Text),  # the device's ES256 public key as a JWK (JSON text)
    Column("created_at", UTCDateTime, nullable=False),
    Column("last_seen_at", UTCDateTime, nullable=False),
    Column("last_ip", String(64)),
    Column("revoked_at", UTCDateTime),
    Column("language", String(8)),  # the language chosen on this phone, if any
    # The language the phone's requests asked for (Accept-Language) when it signed in or
    # was last seen, if one the gateway speaks: what it reads when nobody chose.
    Column("reads_in", String(8)),
    UniqueConstraint("user_id", "app_device_id", name="uq_devices_user_app_device"),
)

# One family per sign-in of a device; every refresh rotates the token inside the family.
token_families = Table(
    "token_families",
    metadata,
    Column("id", String(32), primary_key=True),
    Column("device_id", ForeignKey("devices.id", ondelete="CASCADE"), nullable=False, index=True),
    Column("created_at", UTCDateTime, nullable=False),
    Column("revoked_at", UTCDateTime),
    Column("revoked_reason", String(32)),
)

refresh_tokens = Table(
    "refresh_tokens",
    metadata,
    Column("token_hash", String(64), primary_key=True),
    Column("family_id", ForeignKey("token_families.id", ondelete="CASCADE"), nullable=False),
    Column("issued_at", UTCDateTime, nullable=False),
    Column("expires_at", UTCDateTime, nullable=False),
    Column("used_at", UTCDateTime),
    Index("ix_refresh_tokens_family", "family_id"),
)

web_sessions = Table(
    "web_sessions",
    metadata,
    Column("id_hash", String(64), primary_key=True),
    Column("user_id", ForeignKey("users.id", ondelete="CASCADE"), nullable=False, index=True),
    Column("csrf_hash", String(64), nullable=False),
    Column("method", String(16), nullable=False),  # password, qr
    Column("created_at", UTCDateTime, nullable=False),
    Column("expires_at", UTCDateTime, nullable=False),
    Column("revoked_at", UTCDateTime),
)

# The jti of each device proof already accepted, so that none is accepted twice.
used_device_proofs = Table(
    "used_device_proofs",
    metadata,
    Column("device_id", String(32), primary_key=True),
    Column("jti", String(128), primary_key=True),
    Column("used_at", UTCDateTime, nullable=False, index=True),
)
