"""Agreement 1.2.1 with PIPL Art. 6 and 28: the phone's location has a function (the
far-away warning of scan to log in) and is read for it only while the device has location
consent. A fix kept from a grant that has gone stale (a new version of the agreement asks
for location again) is not read, let alone shown; the computer's own place still is."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest
from sqlalchemy import event

from tests.qrlogin_support import DESKTOP_UA, token_of

GEOIP = str(Path(__file__).parent.parent / "data" / "GeoLite2-City-Test.mmdb")
BEIJING = {"latitude": 39.9042, "longitude": 116.4074, "accuracy_m": 10, "precision": "precise"}


@pytest.fixture
def settings(settings):
    return dataclasses.replace(settings, geoip_database=GEOIP)


@pytest.fixture
def alice(actions, client):
    actions.create_user("alice")
    device = actions.device_sign_in()
    actions.grant(device, "location")
    response = client.post("/api/v1/devices/current/report", headers=device.headers, json={
        "model": "Pixel 9", "os": "Android", "os_version": "16", "app_version": "3.2.0",
        "position": BEIJING})
    assert response.get_json()["stored"] == ["device", "position"]
    return device


def scan_from_changchun(app, client, device) -> tuple[dict, list[str]]:
    """A computer in Changchun (the GeoIP test database) asks; the phone scans. Returns the
    scan's answer and the statements that touched the stored locations meanwhile."""
    started = client.post("/api/v1/qr-logins", json={}, headers={"User-Agent": DESKTOP_UA},
                          environ_base={"REMOTE_ADDR": "175.16.199.7"}).get_json()
    touched: list[str] = []

    def watch(connection, cursor, statement, *args):
        if "device_locations" in statement:
            touched.append(statement)

    engine = app.extensions["gateway"].store.engine
    event.listen(engine, "before_cursor_execute", watch)
    try:
        response = client.post("/api/v1/qr-logins/scan", headers=device.headers,
                               json={"token": token_of(started)})
    finally:
        event.remove(engine, "before_cursor_execute", watch)
    assert response.status_code == 200, response.get_json()
    return response.get_json(), touched


def test_1_2_1_location_is_used_for_the_far_away_warning_with_consent(app, client, alice):
    scanned, touched = scan_from_changchun(app, client, alice)
    assert scanned["far_away"]["place"] == "Changchun, China" and scanned["far_away"]["km"] > 800
    assert touched  # read, for this one function


def test_1_2_1_location_is_read_only_with_consent(app, client, actions, alice):
    actions.publish_policy("2.0", changes=["location"])  # the grant is stale now
    scanned, touched = scan_from_changchun(app, client, alice)
    assert scanned["far_away"] is None
    assert touched == []  # not even read
    assert scanned["requester"]["place"] == "Changchun, China"  # the computer's place alone
