"""Agreement 1.2.1 (device information) and 1.2.2 (log information)."""

import logging

import pytest
from sqlalchemy import select

from gateway.identity.tables import devices
from gateway.privacy.tables import device_locations

REPORT = {"model": "Pixel 9", "os": "Android", "os_version": "16.1", "app_version": "3.3.0",
          "position": {"latitude": 31.230416, "longitude": 121.473701, "accuracy_m": 8,
                       "precision": "precise"},
          "access_point": {"bssid": "a4:2b:b0:12:34:56", "ssid": "Office"}}


@pytest.fixture
def alice(actions):
    actions.create_user("alice")
    return actions.device_sign_in()


def stored_locations(app):
    with app.extensions["gateway"].store.read() as connection:
        return connection.execute(select(device_locations)).all()


def test_1_2_1_a_device_report_updates_the_device(app, client, alice):
    response = client.post("/api/v1/devices/current/report", headers=alice.headers,
                           json={k: v for k, v in REPORT.items() if k not in ("position", "access_point")})
    assert response.get_json() == {"stored": ["device"], "dropped": []}
    with app.extensions["gateway"].store.read() as connection:
        device = connection.execute(select(devices)).one()
    assert (device.os_version, device.app_version) == ("16.1", "3.3.0")


def test_1_2_1_without_location_consent_gps_and_wifi_are_dropped_before_storage(app, client, alice):
    response = client.post("/api/v1/devices/current/report", headers=alice.headers, json=REPORT)
    assert response.get_json()["dropped"] == ["position", "access_point"]
    assert stored_locations(app) == []


def test_1_2_1_a_refused_location_consent_also_drops_them(app, client, actions, alice):
    actions.grant(alice, "location", decision="refused")
    client.post("/api/v1/devices/current/report", headers=alice.headers, json=REPORT)
    assert stored_locations(app) == []


def test_1_2_1_with_location_consent_they_are_stored(app, client, actions, alice):
    actions.grant(alice, "location")
    response = client.post("/api/v1/devices/current/report", headers=alice.headers, json=REPORT)
    assert response.get_json()["stored"] == ["device", "position", "access_point"]
    (row,) = stored_locations(app)
    assert (row.latitude, row.wifi_bssid) == (31.230416, "a4:2b:b0:12:34:56")


def test_1_2_1_an_approximate_position_is_never_stored_more_precisely(app, client, actions,
                                                                       alice):
    actions.grant(alice, "location")
    approximate = {**REPORT, "position": {**REPORT["position"], "precision": "approximate"}}
    client.post("/api/v1/devices/current/report", headers=alice.headers, json=approximate)
    (row,) = stored_locations(app)
    assert (row.latitude, row.longitude, row.precision) == (31.23, 121.47, "approximate")
    assert row.accuracy_m >= 1000


def test_1_2_1_sign_in_records_model_os_app_version_and_address(app, client, alice):
    with app.extensions["gateway"].store.read() as connection:
        device = connection.execute(select(devices)).one()
    assert (device.model, device.os, device.app_version) == ("Pixel 9", "Android", "3.2.0")
    assert device.last_ip == "127.0.0.1"


def test_1_2_2_the_access_log_keeps_route_templates_not_urls(app, client, alice, clock):
    client.delete("/api/v1/devices/some-secret-looking-id", headers={
        **alice.headers, "X-Network-Type": "wifi", "X-Network-Quality": "good"})
    entries = app.extensions["gateway"].access_log.read(clock.now().date())
    entry = entries[-1]
    assert entry["route"] == "/api/v1/devices/<device_id>"
    assert (entry["method"], entry["status"]) == ("DELETE", 404)
    assert (entry["network_type"], entry["network_quality"]) == ("wifi", "good")
    assert entry["ip"] == "127.0.0.0/24" and entry["latency_ms"] >= 0
    assert "some-secret-looking-id" not in str(entries)


def test_1_2_2_the_operation_log_records_who_did_what(app, client, actions, alice):
    from gateway.core import audit

    client.patch("/api/v1/me", headers=alice.headers, json={"display_name": "A"})
    with app.extensions["gateway"].store.read() as connection:
        actions_done = [op.action for op in audit.for_actor(connection, alice.user_id)]
    assert actions_done[:2] == ["account.profile-changed", "device.signed-in"]


def test_1_2_2_service_logs_are_json_lines(app, capsys):
    logging.getLogger("gateway.test").warning("hello", extra={"subject": "x"})
    line = capsys.readouterr().out.strip().splitlines()[-1]
    import json

    entry = json.loads(line)
    assert entry["message"] == "hello" and entry["level"] == "warning" and entry["subject"] == "x"
