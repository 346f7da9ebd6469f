"""Tables of the consent ledger: policy versions, consent events, notices served."""

from sqlalchemy import JSON, BigInteger, Column, Index, Integer, String, Table, Text

from gateway.store.metadata import metadata
from gateway.store.types import UTCDateTime

policy_versions = Table(
    "policy_versions",
    metadata,
    Column("seq", Integer, primary_key=True, autoincrement=True),
    Column("version", String(32), nullable=False, unique=True),
    Column("text", Text, nullable=False),
    Column("text_hash", String(64), nullable=False),
    Column("summary", Text, nullable=False),
    Column("changes", JSON, nullable=False),  # the purposes this version changes
    Column("effective_at", UTCDateTime, nullable=False),
    Column("published_at", UTCDateTime, nullable=False),
    Column("published_by", String(32)),
)

# Append-only: each event carries the hash of the one before, so an edit or a removal
# breaks the chain and `flask gateway verify-consent` names where.
consent_events = Table(
    "consent_events",
    metadata,
    Column("seq", BigInteger().with_variant(Integer, "sqlite"), primary_key=True,
           autoincrement=True),
    Column("id", String(32), nullable=False, unique=True),
    # No foreign keys: consent evidence outlives the account and device it speaks of.
    Column("user_id", String(32), nullable=False),
    Column("device_id", String(32), nullable=False),
    Column("purpose", String(96), nullable=False),
    Column("decision", String(16), nullable=False),  # granted, refused, withdrawn
    Column("policy_version", String(32), nullable=False),
    Column("notice_hash", String(64), nullable=False),
    Column("language", String(16), nullable=False),
    Column("method", String(24), nullable=False),
    Column("os_permission", String(24)),
    Column("app_version", String(64)),
    Column("client_time", UTCDateTime),
    Column("server_time", UTCDateTime, nullable=False),
    Column("prev_hash", String(64), nullable=False),
    Column("hash", String(64), nullable=False),
    Index("ix_consent_events_subject", "user_id", "device_id", "purpose", "seq"),
)

notices_served = Table(
    "notices_served",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("user_id", String(32), nullable=False, index=True),
    Column("device_id", String(32), nullable=False),
    Column("purpose", String(96)),  # None: the policy announcement itself
    Column("policy_version", String(32), nullable=False),
    Column("notice_hash", String(64), nullable=False),
    Column("language", String(16), nullable=False),
    Column("served_at", UTCDateTime, nullable=False),
)
