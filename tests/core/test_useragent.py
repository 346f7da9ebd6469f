"""Who is asking: browser and OS from the User-Agent, coarse places, network differences."""

from pathlib import Path

import pytest

from gateway.core.useragent import (
    Requester,
    browser_of,
    describe,
    device_of,
    networks_differ,
    os_of,
    place_of,
)

GEOIP = str(Path(__file__).parent.parent / "data" / "GeoLite2-City-Test.mmdb")

AGENTS = [
    ("Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
     "Chrome/131.0.0.0 Safari/537.36", "Chrome 131", "Windows"),
    ("Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
     "Chrome/131.0.0.0 Safari/537.36 Edg/131.0.2903.70", "Edge 131", "Windows"),
    ("Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) "
     "Version/18.1 Safari/605.1.15", "Safari 18", "macOS"),
    ("Mozilla/5.0 (X11; Ubuntu; Linux x86_64; rv:133.0) Gecko/20100101 Firefox/133.0",
     "Firefox 133", "Ubuntu"),
    ("Mozilla/5.0 (Linux; Android 15; Pixel 9) AppleWebKit/537.36 (KHTML, like Gecko) "
     "Chrome/131.0.0.0 Mobile Safari/537.36", "Chrome Mobile 131", "Android 15"),
    ("Mozilla/5.0 (iPhone; CPU iPhone OS 18_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like "
     "Gecko) Version/18.1 Mobile/15E148 Safari/604.1", "Mobile Safari 18", "iOS 18"),
    ("Mozilla/5.0 (X11; CrOS x86_64 14541.0.0) AppleWebKit/537.36 (KHTML, like Gecko) "
     "Chrome/131.0.0.0 Safari/537.36 OPR/115.0.0.0", "Opera 115", "Chrome OS"),
    ("Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) "
     "HeadlessChrome/131.0.0.0 Safari/537.36", "Headless Chrome 131", "Linux"),
    ("curl/8.5.0", "curl 8", "unknown"),
    ("", "unknown", "unknown"),
    (None, "unknown", "unknown"),
]


@pytest.mark.parametrize("agent, browser, system", AGENTS)
def test_browser_and_os_are_read_from_the_user_agent(agent, browser, system):
    assert browser_of(agent) == browser
    assert os_of(agent) == system


@pytest.mark.parametrize("agent, device", [
    (AGENTS[4][0], "Pixel 9"),
    (AGENTS[5][0], "iPhone"),
    (AGENTS[0][0], None),  # a desktop names no device
    # Chrome's reduced User-Agent on Android hides the model ("K"): better none than that.
    ("Mozilla/5.0 (Linux; Android 10; K) AppleWebKit/537.36 (KHTML, like Gecko) "
     "Chrome/131.0.0.0 Mobile Safari/537.36", None),
    (None, None),
])
def test_a_phone_is_named_by_its_model_where_the_user_agent_tells_it(agent, device):
    assert device_of(agent) == device


def test_the_address_is_cut_to_its_network_and_not_kept():
    requester = describe(AGENTS[0][0], "203.0.113.77")
    assert requester.network == "203.0.113.0/24"
    assert "203.0.113.77" not in repr(requester)


def test_a_place_comes_from_the_operators_geoip_database():
    assert place_of("81.2.69.142", GEOIP).text == "London, United Kingdom"
    assert place_of("81.2.69.142", GEOIP).country == "GB"
    assert place_of("10.0.0.1", GEOIP) is None  # not in the database
    assert place_of("81.2.69.142", "") is None  # no database configured
    assert place_of("not an address", GEOIP) is None


def test_a_place_is_named_in_chinese_where_the_database_can_and_whole_in_english_else():
    changchun = describe(None, "175.16.199.7", GEOIP)
    assert changchun.place_names == {"zh": "中国长春"}
    assert (changchun.place_in("zh"), changchun.place_in("en")) == ("中国长春", "Changchun, China")
    london = describe(None, "81.2.69.142", GEOIP)  # the database has no Chinese "London"
    assert london.place_in("zh") == "London, United Kingdom"
    assert describe(None, "67.43.156.1", GEOIP).place_in("zh") == "不丹"  # a country alone


def test_another_country_is_a_marked_difference():
    london = describe(None, "81.2.69.142", GEOIP)
    sweden = describe(None, "89.160.20.112", GEOIP)
    warning = networks_differ(london, sweden)
    assert "{place}" in warning.text and "London" in warning.params["place"]
    assert networks_differ(london, describe(None, "81.2.69.160", GEOIP)) is None


@pytest.mark.parametrize("desktop, phone, warned", [
    ("198.51.100.7", "198.51.7.9", False),  # the same /16
    ("198.51.100.7", "203.0.113.9", True),  # another public network
    ("10.1.2.3", "192.168.1.4", False),  # both on private networks
    ("10.1.2.3", "203.0.113.9", True),  # one private, one public
    (None, "203.0.113.9", False),  # unknown: no false alarm
])
def test_without_geoip_a_different_wide_network_is_a_marked_difference(desktop, phone, warned):
    found = networks_differ(describe(None, desktop), describe(None, phone))
    assert bool(found) is warned


def test_requesters_compare_by_their_stored_network_only():
    stored = Requester("Firefox 133", "Windows", "198.51.100.0/24", None, None)
    assert networks_differ(stored, describe(None, "198.51.200.1")) is None
