"""Integration keys: how the BI server (and other named systems) call the gateway."""

from sqlalchemy import JSON, Column, String, Table

from gateway.core.store.metadata import metadata
from gateway.core.store.types import UTCDateTime

integration_keys = Table(
    "integration_keys",
    metadata,
    Column("id", String(32), primary_key=True),
    Column("name", String(64), nullable=False, unique=True),
    Column("key_hash", String(64), nullable=False, unique=True),
    Column("scopes", JSON, nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
    Column("created_by", String(32)),
    Column("last_used_at", UTCDateTime),
    Column("revoked_at", UTCDateTime),
)
