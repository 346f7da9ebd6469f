"""Places on the earth and how far apart they are: a point (a phone's fix) and an area (a
coarse place, such as the city a GeoIP database puts an address in, with how sure it is).

Distances are great-circle distances on a sphere of the earth's mean radius (haversine):
within 0.5 % of the ellipsoid's, far finer than the places compared.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

EARTH_RADIUS_KM = 6371.0088  # the IUGG mean radius


@dataclass(frozen=True)
class Point:
    """A position in degrees (WGS 84)."""

    latitude: float
    longitude: float


@dataclass(frozen=True)
class Area:
    """A coarse place: its centre and how far from it the truth may lie (km)."""

    centre: Point
    radius_km: float


def distance_km(a: Point, b: Point) -> float:
    """The great-circle distance between *a* and *b* in kilometres (haversine)."""
    lat1, lat2 = math.radians(a.latitude), math.radians(b.latitude)
    dlat = lat2 - lat1
    dlon = math.radians(b.longitude - a.longitude)
    h = math.sin(dlat / 2) ** 2 + math.cos(lat1) * math.cos(lat2) * math.sin(dlon / 2) ** 2
    # min() guards against rounding just past 1 for antipodal points.
    return 2 * EARTH_RADIUS_KM * math.asin(min(1.0, math.sqrt(h)))


def least_distance_km(area: Area, point: Point) -> float:
    """How far *point* is from *area* at the least: the distance to its centre less its
    radius (0 when the point may lie inside)."""
    return max(0.0, distance_km(area.centre, point) - area.radius_km)
