"""Tables of the privacy lifecycle: locations reported by devices (with consent only)."""

from sqlalchemy import Column, Float, ForeignKey, Integer, String, Table

from gateway.store.metadata import metadata
from gateway.store.types import UTCDateTime

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
