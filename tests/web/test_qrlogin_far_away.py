"""The scan answer's far-away warning over HTTP: the computer's GeoIP city (the MaxMind
test database) and the phone's own reported position, in the reader's language, with the
number written as that language writes it; nothing about the phone's location without
location consent."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from gateway.web.qrlogin_schemas import ScanOut
from tests.qrlogin_support import DESKTOP_UA, token_of

API = "/api/v1/qr-logins"
GEOIP = str(Path(__file__).parent.parent / "data" / "GeoLite2-City-Test.mmdb")
CHANGCHUN_ADDRESS = "175.16.199.7"  # Changchun, China in the test database
SHANGHAI = {"latitude": 31.2304, "longitude": 121.4737, "accuracy_m": 15, "precision": "precise"}


@pytest.fixture
def settings(settings):
    return dataclasses.replace(settings, geoip_database=GEOIP)


@pytest.fixture
def phone(actions):
    actions.create_user("alice")
    return actions.device_sign_in()


def start_in_changchun(client) -> dict:
    response = client.post(API, json={}, headers={"User-Agent": DESKTOP_UA},
                           environ_base={"REMOTE_ADDR": CHANGCHUN_ADDRESS})
    assert response.status_code == 201, response.get_json()
    return response.get_json()


def report(client, phone, position=SHANGHAI):
    response = client.post("/api/v1/devices/current/report", headers=phone.headers, json={
        "model": "Pixel 9", "os": "Android", "os_version": "16", "app_version": "3.2.0",
        "position": position})
    assert response.status_code == 200, response.get_json()
    return response.get_json()


def scan(client, phone, started, language="en"):
    response = client.post(f"{API}/scan", json={"token": token_of(started)},
                           headers={**phone.headers, "Accept-Language": language},
                           environ_base={"REMOTE_ADDR": "198.51.100.20"})
    assert response.status_code == 200, response.get_json()
    body = response.get_json()
    assert ScanOut.model_validate(body).model_dump(mode="json") == body
    return body


def test_a_computer_far_from_the_phone_is_named_with_its_distance_in_english(
        client, phone, actions):
    actions.grant(phone, "location")
    assert report(client, phone)["stored"] == ["device", "position"]
    body = scan(client, phone, start_in_changchun(client))
    assert body["requester"]["place"] == "Changchun, China"
    assert body["far_away"] == {
        "place": "Changchun, China", "km": 1446,
        "text": "This sign-in comes from Changchun, China, about 1,446 km from where your "
                "phone is. Approve only if you started it yourself."}
    assert body["warning"] is None  # the far-away warning says more than the network's


def test_the_warning_is_in_chinese_for_a_chinese_reader(client, phone, actions):
    actions.grant(phone, "location")
    report(client, phone)
    text = scan(client, phone, start_in_changchun(client), "zh-CN")["far_away"]["text"]
    assert text == "此登录请求来自中国长春，距离您手机所在之处约 1,446 公里。仅在您本人发起时才批准。"


def test_without_location_consent_only_the_computers_place_is_told(client, phone):
    assert report(client, phone)["dropped"] == ["position"]
    body = scan(client, phone, start_in_changchun(client))
    assert body["far_away"] is None
    assert body["requester"]["place"] == "Changchun, China"


def test_a_phone_near_the_computer_is_not_warned(client, phone, actions):
    actions.grant(phone, "location")
    report(client, phone, {**SHANGHAI, "latitude": 43.85, "longitude": 125.3})
    assert scan(client, phone, start_in_changchun(client))["far_away"] is None


def test_withdrawing_location_ends_the_warning_at_once(client, phone, actions):
    actions.grant(phone, "location")
    report(client, phone)
    assert client.delete("/api/v1/consents/location", headers=phone.headers).status_code == 200
    assert scan(client, phone, start_in_changchun(client))["far_away"] is None
