"""Tables of scan to connect a phone: the offers a signed-in desktop makes, and the hash of
each offer's QR token."""

from sqlalchemy import JSON, Column, ForeignKey, Index, Integer, String, Table

from gateway.core.store.metadata import metadata
from gateway.core.store.types import UTCDateTime

enrollments = Table(
    "enrollments",
    metadata,
    Column("id", String(32), primary_key=True),
    # offered -> claimed -> approved -> collected, or denied / expired
    Column("state", String(16), nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
    Column("expires_at", UTCDateTime, nullable=False),
    # Who offers: the user and the browser session that made the offer (its id's hash).
    Column("user_id", ForeignKey("users.id", ondelete="CASCADE"), nullable=False, index=True),
    Column("session_hash", String(64), nullable=False),
    Column("code_lookup", String(8), nullable=False),
    Column("code_hash", String(64), nullable=False),
    Column("code_failures", Integer, nullable=False, default=0),
    # The claiming phone: what it says about itself, coarsely where it is, and its secret.
    # The existing device the phone proved to be (its own key signed the claim), else
    # empty until approval mints the new device's id: a claim never names a device.
    Column("device_id", String(32)),
    Column("device", JSON),  # app_device_id, model, os, os_version, app_version, public_key
    # The phone's consent decisions, pending: written to the ledger only at approval.
    Column("consents", JSON),
    Column("network", String(64)),
    Column("place", String(128)),
    Column("via", String(16)),
    Column("claim_hash", String(64)),
    Column("number", Integer),
    Column("choices", JSON),
    Column("claimed_at", UTCDateTime),
    Column("decided_at", UTCDateTime),
    Column("deny_reason", String(32)),
    Column("collected_at", UTCDateTime),
    Index("ix_enrollments_code_lookup", "code_lookup", "state"),
    Index("ix_enrollments_expires_at", "expires_at"),
)

enrollment_tokens = Table(
    "enrollment_tokens",
    metadata,
    Column("token_hash", String(64), primary_key=True),
    Column("flow_id", ForeignKey("enrollments.id", ondelete="CASCADE"), nullable=False,
           index=True),
    Column("rotation", Integer, nullable=False),
)
