"""Device information (agreement 1.2.1): what the app reports about the phone.

Model, OS, app version and address are kept with the device. A GPS position or Wi-Fi
access point is stored only while the device has ``location`` consent; without it the
fields are dropped before anything is written. A position the OS granted only
approximately is stored approximately (rounded to about a kilometre), never sharper.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import Connection, delete, insert, update

from gateway import consent
from gateway.core.clock import Clock
from gateway.core.store import Store
from gateway.identity.tables import devices
from gateway.privacy.tables import device_locations

APPROXIMATE_DECIMALS = 2  # 0.01 degree: about 1.1 km of latitude


@dataclass(frozen=True)
class Position:
    latitude: float
    longitude: float
    accuracy_m: float | None
    precision: str  # precise or approximate


@dataclass(frozen=True)
class AccessPoint:
    bssid: str
    ssid: str | None


@dataclass(frozen=True)
class ReportOutcome:
    stored: tuple[str, ...]
    dropped: tuple[str, ...]


def coarsen(position: Position) -> Position:
    """The position as precise as the OS granted and no more."""
    if position.precision == "precise":
        return position
    return Position(round(position.latitude, APPROXIMATE_DECIMALS),
                    round(position.longitude, APPROXIMATE_DECIMALS),
                    max(position.accuracy_m or 0, 1000.0), "approximate")


def report(
    store: Store, clock: Clock, *, user_id: str, device_id: str, model: str, os: str,
    os_version: str, app_version: str, ip: str | None, position: Position | None = None,
    access_point: AccessPoint | None = None, reads_in: str | None = None,
) -> ReportOutcome:
    """Record a device report (the device is seen, asking for *reads_in* when given);
    returns which parts were stored and which dropped."""
    now = clock.now()
    stored, dropped = ["device"], []
    with store.write() as connection:
        connection.execute(update(devices).where(devices.c.id == device_id).values(
            model=model, os=os, os_version=os_version, app_version=app_version,
            last_seen_at=now, last_ip=ip, **({"reads_in": reads_in} if reads_in else {})))
        located = position is not None or access_point is not None
        if located and consent.is_granted(connection, clock, user_id=user_id,
                                          device_id=device_id, purpose="location"):
            values = dict(device_id=device_id, user_id=user_id, reported_at=now)
            if position is not None:
                position = coarsen(position)
                values.update(latitude=position.latitude, longitude=position.longitude,
                              accuracy_m=position.accuracy_m, precision=position.precision)
                stored.append("position")
            if access_point is not None:
                values.update(wifi_bssid=access_point.bssid, wifi_ssid=access_point.ssid)
                stored.append("access_point")
            connection.execute(insert(device_locations).values(**values))
        else:
            dropped += ["position"] * (position is not None)
            dropped += ["access_point"] * (access_point is not None)
    return ReportOutcome(tuple(stored), tuple(dropped))


def on_location_withdrawn(connection: Connection, clock: Clock, user_id: str,
                          device_id: str) -> None:
    """Location consent withdrawn or refused on *device_id*: the positions and access
    points it reported go at once, not when their retention period ends."""
    connection.execute(delete(device_locations).where(device_locations.c.device_id == device_id))
