"""Tables of the privacy lifecycle: locations reported by devices (with consent only), and
the accounts deleted, remembered until their consent evidence may go too."""

from sqlalchemy import JSON, Column, Float, ForeignKey, Integer, String, Table

from gateway.core.store.metadata import metadata
from gateway.core.store.types import UTCDateTime

device_locations = Table(
    "device_locations",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("device_id", ForeignKey("devices.id", ondelete="CASCADE"), nullable=False, index=True),
    Column("user_id", ForeignKey("users.id", ondelete="CASCADE"), nullable=False, index=True),
    Column("reported_at", UTCDateTime, nullable=False, index=True),
    Column("latitude", Float),
    Column("longitude", Float),
    Column("accuracy_m", Float),
    Column("precision", String(16)),  # precise or approximate, as the OS granted
    Column("wifi_bssid", String(32)),
    Column("wifi_ssid", String(64)),
)

# The random id of a deleted account and when it went: the consent evidence about it is
# kept for GATEWAY_RETAIN_CONSENT_AFTER_ACCOUNT_DAYS more, then redacted, then this row goes.
deleted_accounts = Table(
    "deleted_accounts",
    metadata,
    Column("user_id", String(32), primary_key=True),
    Column("deleted_at", UTCDateTime, nullable=False, index=True),
)

# Partner systems (agreement 5): who receives the data, where, for which purpose, and
# which fields. A user's consent covers exactly these terms (``privacy.partner_terms``).
partner_configs = Table(
    "partner_configs",
    metadata,
    Column("name", String(64), primary_key=True),
    Column("webhook_url", String(512), nullable=False),
    Column("fields", JSON, nullable=False),
    Column("updated_at", UTCDateTime, nullable=False),
    Column("recipient", String(128)),  # who runs the partner system
    Column("contact", String(254)),  # how to reach them (e-mail or URL)
    Column("purpose", String(32)),  # one of partner_terms.PURPOSES
)

# Every disclosure to a partner, shown to the user it was about.
disclosures = Table(
    "disclosures",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("partner", String(64), nullable=False),
    Column("user_id", ForeignKey("users.id", ondelete="CASCADE"), nullable=False, index=True),
    Column("fields", JSON, nullable=False),
    Column("reason", String(128), nullable=False),
    Column("sent_at", UTCDateTime, nullable=False),
    Column("outcome", String(16), nullable=False),  # delivered, failed
    Column("status_code", Integer),
)
