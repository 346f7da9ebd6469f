"""Tables of scan to log in: the login requests and the hashes of their rotating QR
tokens."""

from sqlalchemy import (
    JSON,
    Boolean,
    Column,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Table,
    Text,
)

from gateway.core.store.metadata import metadata
from gateway.core.store.types import UTCDateTime

qr_logins = Table(
    "qr_logins",
    metadata,
    Column("id", String(32), primary_key=True),
    # pending -> scanned -> confirmed -> redeemed, or denied / expired
    Column("state", String(16), nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
    Column("expires_at", UTCDateTime, nullable=False),
    # The waiting browser's secret (its cookie) and CSRF token, hashed.
    Column("browser_hash", String(64), nullable=False),
    Column("csrf_hash", String(64), nullable=False),
    # The typed code: its first half finds the row, its whole is checked against the hash.
    Column("code_lookup", String(8), nullable=False),
    Column("code_hash", String(64), nullable=False),
    Column("code_failures", Integer, nullable=False, default=0),
    # Who asks, coarsely: no full address is kept.
    Column("browser", String(64), nullable=False),
    Column("os", String(64), nullable=False),
    Column("network", String(64)),
    Column("place", String(128)),
    Column("country", String(8)),
    Column("place_names", JSON),  # the place in the gateway's other languages: {"zh": ...}
    # Where that place is, from the GeoIP database: the city's centre (not the address's)
    # and its accuracy radius, to tell the phone how far the computer is.
    Column("place_latitude", Float),
    Column("place_longitude", Float),
    Column("place_radius_km", Float),
    # Where the BI server wants the assertion, with its own state and nonce.
    Column("return_url", Text),
    Column("return_state", String(256)),
    Column("nonce", String(128)),
    # Filled by the scan and the decision.
    Column("user_id", String(32)),
    Column("device_id", String(32)),
    Column("via", String(16)),  # link, app_camera, typed_code
    Column("number", Integer),
    Column("choices", JSON),
    Column("scanned_at", UTCDateTime),
    Column("decided_at", UTCDateTime),
    Column("deny_reason", String(32)),
    Column("proved_by_key", Boolean),  # the confirmation carried a device-key proof
    Column("redeemed_at", UTCDateTime),
    Index("ix_qr_logins_code_lookup", "code_lookup", "state"),
    Index("ix_qr_logins_expires_at", "expires_at"),
)

qr_login_tokens = Table(
    "qr_login_tokens",
    metadata,
    Column("token_hash", String(64), primary_key=True),
    Column("flow_id", ForeignKey("qr_logins.id", ondelete="CASCADE"), nullable=False,
           index=True),
    Column("rotation", Integer, nullable=False),
)
