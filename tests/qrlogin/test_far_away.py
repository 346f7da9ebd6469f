"""The far-away warning: a phone approving a sign-in is told how far the computer is, from
the computer's GeoIP city (the MaxMind test database) and the phone's own recent fix,
read only with location consent."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import func, select

from gateway.core.geo import Area, Point
from gateway.core.useragent import Requester, describe
from gateway.privacy import device_reports, whereabouts
from gateway.privacy.device_reports import AccessPoint, Position
from gateway.privacy.tables import device_locations
from gateway.qrlogin import far_away as rule
from gateway.qrlogin.far_away import FAR_KM, RECENT_FIX, FarAway, far_away
from tests.qrlogin_support import Flow

GEOIP = str(Path(__file__).parent.parent / "data" / "GeoLite2-City-Test.mmdb")
# 175.16.199.0/24 is Changchun in the test database: centre 43.88, 125.3228, radius 100 km.
CHANGCHUN_DESKTOP = describe("Mozilla/5.0 (Windows NT 10.0; Win64; x64) Firefox/133.0",
                             "175.16.199.7", GEOIP)
BEIJING = Position(39.9042, 116.4074, 12.0, "precise")  # about 860 km from Changchun
CHANGCHUN = Position(43.8171, 125.3235, 12.0, "precise")


@pytest.fixture
def flow(gateway, people, clock):
    return Flow(gateway, people, clock, desktop=CHANGCHUN_DESKTOP)


def fix(flow, position: Position | None = None, access_point: AccessPoint | None = None):
    """The phone reports where it is, as the app does."""
    return device_reports.report(
        flow.store, flow.clock, user_id=flow.device.user_id, device_id=flow.device.device_id,
        model="Pixel 9", os="Android", os_version="16", app_version="3.2.0", ip=None,
        position=position, access_point=access_point)


def test_the_computer_keeps_its_city_centre_and_radius_not_its_address():
    assert CHANGCHUN_DESKTOP.place == "Changchun, China"
    assert CHANGCHUN_DESKTOP.area == Area(Point(43.88, 125.3228), 100.0)
    assert describe(None, "67.43.156.1", GEOIP).area is None  # a country only: no centre
    assert describe(None, "175.16.199.7", "").area is None  # no GeoIP database


def test_a_computer_far_from_the_phones_recent_fix_is_named_with_its_distance(
        flow, people):
    people.decide(flow.device, "location")
    fix(flow, BEIJING)
    scanned = flow.scan()
    assert scanned.far_away == FarAway("Changchun, China", 860)
    assert scanned.warning is None  # the phone's own position says more than its network
    assert flow.started.login.requester.area == CHANGCHUN_DESKTOP.area  # kept with the login


def test_a_computer_in_the_phones_city_gives_no_warning(flow, people):
    people.decide(flow.device, "location")
    fix(flow, CHANGCHUN)
    assert flow.scan().far_away is None


def test_typing_the_code_warns_like_scanning(flow, people):
    people.decide(flow.device, "location")
    fix(flow, BEIJING)
    code = flow.started.code
    assert flow.moves.scan_code(code=code, phone=flow.phone).far_away.km == 860


def test_without_location_consent_no_fix_exists_and_nothing_is_said(flow):
    assert fix(flow, BEIJING).dropped == ("position",)
    scanned = flow.scan()
    assert scanned.far_away is None
    assert scanned.login.requester.place == "Changchun, China"  # the computer's place alone


def test_a_fix_kept_from_a_grant_gone_stale_is_not_read(flow, people, gateway):
    people.decide(flow.device, "location")
    fix(flow, BEIJING)
    people.publish_policy("2.0", changes=["location"])  # location asked for again
    with gateway.store.read() as connection:
        assert connection.execute(select(func.count()).select_from(device_locations)).scalar() == 1
        assert whereabouts.recent_fix(connection, flow.clock, user_id=flow.device.user_id,
                                      device_id=flow.device.device_id,
                                      since=flow.clock.now() - RECENT_FIX) is None
    assert flow.scan().far_away is None


def test_a_fix_older_than_the_recent_window_is_not_where_the_phone_is(flow, people, clock):
    people.decide(flow.device, "location")
    fix(flow, BEIJING)
    clock.advance(seconds=RECENT_FIX.total_seconds())
    with flow.store.read() as connection:  # exactly RECENT_FIX old: still recent
        assert far_away(connection, clock, whereabouts.recent_fix,
                        requester=CHANGCHUN_DESKTOP, user_id=flow.device.user_id,
                        device_id=flow.device.device_id) is not None
    clock.advance(seconds=1)
    flow.started = flow.browser.start(CHANGCHUN_DESKTOP)  # the first login has expired
    flow.id = flow.started.login.id
    assert flow.scan().far_away is None


def test_the_newest_fix_counts_and_an_access_point_alone_is_no_position(flow, people, clock):
    people.decide(flow.device, "location")
    fix(flow, BEIJING)
    clock.advance(seconds=20)
    fix(flow, CHANGCHUN)  # the phone came to the computer
    clock.advance(seconds=20)
    fix(flow, access_point=AccessPoint("a4:2b:b0:12:34:56", "Office"))
    assert flow.scan().far_away is None


class Spy:
    """A locator that says where the phone is and remembers being asked."""

    def __init__(self, where: Point | None) -> None:
        self.where, self.asked = where, 0

    def __call__(self, connection, clock, *, user_id, device_id, since):
        self.asked += 1
        return self.where


def _far(clock, spy, area: Area | None, place: str | None = "Somewhere"):
    requester = Requester("Firefox 133", "Windows", "203.0.113.0/24", place, None, area)
    return far_away(None, clock, spy, requester=requester, user_id="u", device_id="d")


def test_far_means_more_than_far_km_from_the_nearest_edge_of_the_computers_city(clock):
    # Along the equator a degree is 111.2 km: a point-like city at 0,0 and phones east of it.
    city = Area(Point(0, 0), radius_km=0)
    assert _far(clock, Spy(Point(0, 0.89)), city) is None  # 99 km
    assert _far(clock, Spy(Point(0, 0.91)), city) == FarAway("Somewhere", 101)
    # The same phone 101 km from a city known to 50 km is not "far": it may be 51 km.
    assert _far(clock, Spy(Point(0, 0.91)), Area(Point(0, 0), radius_km=50)) is None
    assert FAR_KM == 100


def test_without_the_computers_city_the_phones_location_is_not_even_asked_for(clock):
    spy = Spy(Point(0, 5))
    assert _far(clock, spy, None) is None
    assert _far(clock, spy, Area(Point(0, 0), 0), place=None) is None
    assert spy.asked == 0
    assert _far(clock, spy, Area(Point(0, 0), 0)) is not None and spy.asked == 1


def test_the_recent_window_is_shorter_than_the_fastest_train_needs_to_go_far():
    high_speed_rail_kmh = 300
    assert high_speed_rail_kmh * RECENT_FIX.total_seconds() / 3600 < rule.FAR_KM


def test_the_location_notice_states_the_recent_window_in_both_languages(gateway):
    minutes = int(RECENT_FIX.total_seconds() // 60)
    purpose = gateway.catalogue.get("location")
    assert f"last {minutes} minutes" in purpose.wording("en").why
    assert f"最近 {minutes} 分钟" in purpose.wording("zh").why
