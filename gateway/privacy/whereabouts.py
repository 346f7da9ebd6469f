"""Where a phone is, for a function that needs it (the far-away warning of scan to log in):
the newest fix it reported, read only while the device has ``location`` consent.

This is the one place the gateway reads the positions it stored (besides the user's own
export, deletion and the purge). The consent is checked before the table is touched: a
fix left from a consent that has since gone stale (a changed policy asks again) is not
read, let alone shown.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Connection, select

from gateway import consent
from gateway.core.clock import Clock
from gateway.core.geo import Point
from gateway.privacy.tables import device_locations


def recent_fix(connection: Connection, clock: Clock, *, user_id: str, device_id: str,
               since: datetime) -> Point | None:
    """The newest GPS position *device_id* reported at or after *since*, or None when
    there is none, or when the device has no current ``location`` consent (then nothing
    is read). A Wi-Fi access point alone is no position."""
    if not consent.is_granted(connection, clock, user_id=user_id, device_id=device_id,
                              purpose="location"):
        return None
    row = connection.execute(
        select(device_locations.c.latitude, device_locations.c.longitude)
        .where(device_locations.c.device_id == device_id,
               device_locations.c.user_id == user_id,
               device_locations.c.reported_at >= since,
               device_locations.c.latitude.is_not(None),
               device_locations.c.longitude.is_not(None))
        .order_by(device_locations.c.reported_at.desc(), device_locations.c.id.desc())
        .limit(1)
    ).first()
    return Point(row.latitude, row.longitude) if row else None
