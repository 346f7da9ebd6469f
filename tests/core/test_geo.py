"""Distances on the earth (haversine), checked against distances people know."""

import math

import pytest

from gateway.core.geo import EARTH_RADIUS_KM, Area, Point, distance_km, least_distance_km

BEIJING = Point(39.9042, 116.4074)
SHANGHAI = Point(31.2304, 121.4737)
LONDON = Point(51.5074, -0.1278)
PARIS = Point(48.8566, 2.3522)


@pytest.mark.parametrize("a, b, km", [
    (BEIJING, SHANGHAI, 1068),  # the great circle; by rail it is 1,318 km
    (LONDON, PARIS, 344),
    (Point(0, 0), Point(0, 1), 111.2),  # a degree of the equator
])
def test_the_distance_between_two_places_is_the_great_circle_distance(a, b, km):
    assert distance_km(a, b) == pytest.approx(km, rel=0.005)
    assert distance_km(b, a) == pytest.approx(distance_km(a, b))


def test_a_place_is_no_distance_from_itself_and_the_far_side_is_half_way_round():
    assert distance_km(BEIJING, BEIJING) == 0
    assert distance_km(Point(0, 0), Point(0, 180)) == pytest.approx(math.pi * EARTH_RADIUS_KM)
    assert distance_km(Point(90, 0), Point(-90, 0)) == pytest.approx(math.pi * EARTH_RADIUS_KM)


def test_across_the_date_line_the_short_way_is_taken():
    assert distance_km(Point(0, 179.5), Point(0, -179.5)) == pytest.approx(111.2, rel=0.005)


def test_the_least_distance_from_an_area_takes_off_its_radius_and_is_never_negative():
    shanghai = Area(SHANGHAI, radius_km=100)
    assert least_distance_km(shanghai, BEIJING) == pytest.approx(
        distance_km(SHANGHAI, BEIJING) - 100)
    assert least_distance_km(shanghai, Point(31.3, 121.5)) == 0  # inside the city's circle
