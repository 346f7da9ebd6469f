"""Tables of the consent ledger: policy versions and what each changes, consent events with
their chain checkpoint, notices served, and policy announcements acknowledged."""

from sqlalchemy import (
    BigInteger,
    Column,
    ForeignKey,
    Index,
    Integer,
    String,
    Table,
    Text,
)

from gateway.core.store.metadata import metadata
from gateway.core.store.types import UTCDateTime

Seq = BigInteger().with_variant(Integer, "sqlite")  # SQLite autoincrements INTEGER only

policy_versions = Table(
    "policy_versions",
    metadata,
    Column("seq", Integer, primary_key=True, autoincrement=True),
    Column("version", String(32), nullable=False, unique=True),
    Column("effective_at", UTCDateTime, nullable=False),
    Column("published_at", UTCDateTime, nullable=False),
    Column("published_by", String(32)),
    Column("text_hash", String(64), nullable=False),
    Column("summary", Text, nullable=False),
    # Last: SQLite reads a row's columns in order, so the checks, which need only the
    # effective date, never walk the overflow pages of a long text.
    Column("text", Text, nullable=False),
)

# A version's text and summary in each language (zh, en): a person reads the one in their
# language; ``policy_versions.text`` keeps every language in one document, whose hash the
# announcement's evidence names.
policy_texts = Table(
    "policy_texts",
    metadata,
    Column("policy_seq", ForeignKey("policy_versions.seq"), primary_key=True),
    Column("language", String(8), primary_key=True),
    Column("summary", Text, nullable=False),
    Column("text_hash", String(64), nullable=False),
    Column("text", Text, nullable=False),
)

# One row per purpose a version changes, so "the newest version in effect that changed
# this purpose" is one indexed lookup rather than a scan of every version.
policy_changes = Table(
    "policy_changes",
    metadata,
    Column("policy_seq", ForeignKey("policy_versions.seq"), primary_key=True),
    Column("purpose", String(96), primary_key=True),
    Index("ix_policy_changes_purpose", "purpose", "policy_seq"),
)

# What each purpose covered under a version (``Purpose.coverage``): publishing compares
# the catalogue with the previous version's and counts every purpose that differs as
# changed, so no tick box can hide a change.
policy_coverage = Table(
    "policy_coverage",
    metadata,
    Column("policy_seq", ForeignKey("policy_versions.seq"), primary_key=True),
    Column("purpose", String(96), primary_key=True),
    Column("digest", String(64), nullable=False),
)

# Append-only: each event carries the hash of the one before, so an edit or a removal
# breaks the chain and `flask gateway verify-consent` names where. The hash covers the
# subject (user and device) through `subject_digest`, so retention can erase who an old
# event was about (`redacted_at`) without breaking the chain or allowing other edits.
consent_events = Table(
    "consent_events",
    metadata,
    Column("seq", Seq, primary_key=True, autoincrement=True),
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
    Column("subject_digest", String(64), nullable=False),
    Column("redacted_at", UTCDateTime),
    Column("prev_hash", String(64), nullable=False),
    Column("hash", String(64), nullable=False),
    Index("ix_consent_events_subject", "user_id", "device_id", "purpose", "seq"),
)

# The chain's checkpoint, moved in the same transaction as every append: without it,
# removing the newest events would leave a shorter chain that still links up.
consent_chain_head = Table(
    "consent_chain_head",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=False),  # always 1
    Column("events", BigInteger, nullable=False),
    Column("last_seq", BigInteger, nullable=False),
    Column("last_hash", String(64), nullable=False),
    Column("updated_at", UTCDateTime, nullable=False),
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
    Index("ix_notices_served_device", "device_id", "purpose", "policy_version"),
)

policy_acknowledgements = Table(
    "policy_acknowledgements",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("user_id", String(32), nullable=False),
    Column("device_id", String(32), nullable=False),
    Column("policy_version", String(32), nullable=False),
    Column("acknowledged_at", UTCDateTime, nullable=False),
    Index("ix_policy_acknowledgements_user", "user_id", "policy_version"),
)
