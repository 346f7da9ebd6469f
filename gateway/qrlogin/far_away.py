"""The far-away warning: a phone asked to approve a sign-in is told when the computer
asking is far from where the phone is ("this sign-in comes from Changchun, China, about
860 km from your phone"), as Steam's app tells of a login from another city.

It compares two places: the computer's coarse place, the city the operator's GeoIP
database puts its address in (kept with the login), and the phone's own newest fix, which
the phone reports only with ``location`` consent and which is read only while that
consent holds (``gateway.privacy.whereabouts``, handed in by the composition root). No
consent, no recent fix or no city for the computer: no distance, and nothing about the
phone's location is read or shown (the computer's place is still shown on its own).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import Connection

from gateway.core.clock import Clock
from gateway.core.geo import Point, distance_km, least_distance_km
from gateway.core.useragent import Requester

# Farther than this, at the nearest edge of the GeoIP city's accuracy radius, is "far". A
# city's GeoIP centre says little finer than a metropolitan area (Beijing or Shanghai
# spans over 100 km), and people sign in at the office from a phone that last fixed its
# position at home; nearer than this, a warning would be noise people learn to ignore.
FAR_KM = 100

# A fix older than this is not "where the phone is": in 15 minutes even high-speed rail
# (about 300 km/h) covers 75 km, less than FAR_KM, so a fix this recent cannot be a whole
# "far" from the phone's true place.
RECENT_FIX = timedelta(minutes=15)

# locate(connection, clock, user_id, device_id, since) -> the phone's newest position
# reported at or after *since*, or None; None too without location consent, and then it
# reads nothing. Declared in gateway.build (gateway.privacy.whereabouts.recent_fix).
Locator = Callable[..., "Point | None"]


@dataclass(frozen=True)
class FarAway:
    """The computer asking is *km* (rounded) from the phone, in *place*."""

    place: str
    km: int


def far_away(connection: Connection, clock: Clock, locate: Locator, *, requester: Requester,
             user_id: str, device_id: str, now: datetime | None = None) -> FarAway | None:
    """How far the computer *requester* is from the phone *device_id* of *user_id*, when it
    is far (``FAR_KM``); None when it is near, or when either place is unknown: the
    computer's city (no GeoIP database, or an address it has no city for) or the phone's
    (no location consent, or no fix within ``RECENT_FIX``). The phone's location is
    asked for only when the computer's city is known."""
    if requester.area is None or not requester.place:
        return None
    now = now or clock.now()
    fix = locate(connection, clock, user_id=user_id, device_id=device_id,
                 since=now - RECENT_FIX)
    if fix is None or least_distance_km(requester.area, fix) <= FAR_KM:
        return None
    return FarAway(requester.place, round(distance_km(requester.area.centre, fix)))
