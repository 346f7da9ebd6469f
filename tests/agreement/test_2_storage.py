"""Agreement 2.1 (stored on the customer's own server) and 2.2 (kept only as needed)."""

import socket
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from gateway.core.audit_tables import operations
from gateway.identity.tables import devices, web_sessions
from gateway.privacy import retention
from gateway.privacy.tables import device_locations

LOOPBACK = ("127.0.0.1", "::1", "localhost")


@pytest.fixture
def no_outbound(monkeypatch):
    """Fail the test on any connection that leaves this machine."""
    attempts = []
    real_connect = socket.socket.connect

    def guarded(sock, address):
        host = address[0] if isinstance(address, tuple) else address
        if sock.family in (socket.AF_INET, socket.AF_INET6) and host not in LOOPBACK:
            attempts.append(address)
            raise OSError(f"outbound connection to {address} refused by the test")
        return real_connect(sock, address)

    monkeypatch.setattr(socket.socket, "connect", guarded)
    monkeypatch.setattr(socket, "getaddrinfo", _local_only(socket.getaddrinfo, attempts))
    yield attempts
    assert attempts == [], f"the gateway tried to reach {attempts}"


def _local_only(real, attempts):
    def getaddrinfo(host, *args, **kwargs):
        if host not in LOOPBACK and host is not None:
            attempts.append(host)
            raise OSError(f"name lookup of {host} refused by the test")
        return real(host, *args, **kwargs)
    return getaddrinfo


def test_2_1_the_gateway_makes_no_outbound_calls_and_no_telemetry(no_outbound, app, client, actions):
    actions.create_user("alice")
    actions.create_user("root", role="admin")
    device = actions.device_sign_in()
    headers = actions.web_sign_in("root")
    client.post("/api/v1/admin/integrations", headers=headers,
                json={"name": "bi", "scopes": ["push:send"]})
    client.patch("/api/v1/me", headers=device.headers, json={"email": "alice@example.com"})
    client.post("/api/v1/devices/current/report", headers=device.headers, json={
        "model": "Pixel", "os": "Android", "os_version": "16", "app_version": "1"})
    client.get("/api/v1/me/export", headers=device.headers)
    client.get("/openapi.json")
    client.get("/readyz")


def count(app, table, condition=None):
    query = select(func.count()).select_from(table)
    if condition is not None:
        query = query.where(condition)
    with app.extensions["gateway"].store.read() as connection:
        return connection.execute(query).scalar_one()


def purge(app, dry_run=False):
    svc = app.extensions["gateway"]
    return retention.purge(svc.store, svc.clock, svc.settings, svc.reactions.retention,
                           dry_run=dry_run, access_log=svc.access_log)


def test_2_2_precise_locations_go_after_their_retention_period(app, client, actions, clock):
    actions.create_user("alice")
    device = actions.device_sign_in()
    actions.grant(device, "location")
    report = {"model": "P", "os": "A", "os_version": "1", "app_version": "1",
              "position": {"latitude": 1.5, "longitude": 2.5, "precision": "precise"}}
    client.post("/api/v1/devices/current/report", headers=device.headers, json=report)
    clock.advance(days=6)
    device = actions.device_sign_in()  # the access token of a week ago has expired
    client.post("/api/v1/devices/current/report", headers=device.headers, json=report)
    clock.advance(days=2)
    assert purge(app, dry_run=True)["precise_location"] == 1
    assert count(app, device_locations) == 2  # a dry run changes nothing
    assert purge(app)["precise_location"] == 1
    assert count(app, device_locations) == 1


def test_2_2_full_addresses_are_cut_to_their_network_after_a_week(app, client, actions, clock):
    actions.create_user("alice")
    actions.device_sign_in()
    clock.advance(days=8)
    assert purge(app)["full_ip_address"] == 1
    with app.extensions["gateway"].store.read() as connection:
        assert connection.execute(select(devices.c.last_ip)).scalar() == "127.0.0.0/24"


def test_2_2_ended_sessions_and_old_operations_go(app, client, actions, clock):
    actions.create_user("alice")
    actions.web_sign_in()
    clock.advance(days=181)
    result = purge(app)
    assert result["sessions"] >= 1 and result["operation_log"] >= 1
    assert count(app, web_sessions) == 0
    # The purge logs its own result, and the chain still verifies afterwards.
    from gateway.core import audit

    with app.extensions["gateway"].store.read() as connection:
        assert [op.action for op in audit.recent(connection)] == ["retention.purged"]
        assert audit.verify_chain(connection) is None


def test_2_2_old_access_log_files_go(app, client, clock):
    client.get("/healthz")
    clock.advance(days=31)
    client.get("/healthz")
    assert purge(app)["access_log_files"] == 1
    assert app.extensions["gateway"].access_log.read((clock.now() - timedelta(days=31)).date()) == []
    assert app.extensions["gateway"].access_log.read(clock.now().date())


def test_2_2_the_purge_command_reports_and_dry_runs(app, runner):
    result = runner.invoke(args=["gateway", "purge", "--dry-run"])
    assert result.exit_code == 0 and '"dry_run": true' in result.output
    before = count(app, operations)
    runner.invoke(args=["gateway", "purge"])
    assert count(app, operations) == before + 1  # the purge's own entry


def test_2_2_consent_evidence_outlives_the_account_for_its_period_then_names_no_one(
        app, client, actions, clock):
    from gateway import consent
    from gateway.consent.tables import consent_events
    from gateway.privacy import rights

    actions.create_user("alice")
    device = actions.device_sign_in()
    actions.grant(device, "camera")
    svc = app.extensions["gateway"]
    rights.delete_account(svc.store, svc.clock, device.user_id, svc.reactions.erasures)
    subject = consent_events.c.user_id == device.user_id
    clock.advance(days=1094)
    assert purge(app)["consent_evidence"] == 0
    assert count(app, consent_events, subject) == 1  # still evidence
    clock.advance(days=2)
    assert purge(app)["consent_evidence"] == 1
    assert count(app, consent_events, subject) == 0
    assert count(app, consent_events) == 1  # the decision stays, anonymous
    with svc.store.read() as connection:
        assert consent.verify_chain(connection).broken_seq is None


def test_2_2_the_embedded_housekeeper_purges_on_its_schedule(app, client, actions, clock):
    from gateway.privacy.housekeeping import Housekeeper

    actions.create_user("alice")
    actions.web_sign_in()
    clock.advance(days=31)
    assert Housekeeper(app.extensions["gateway"]).purge_once()["sessions"] >= 1
    assert count(app, web_sessions) == 0


def test_2_2_notices_served_and_acknowledgements_go_after_their_period(app, client, actions, clock):
    from gateway.consent.tables import notices_served, policy_acknowledgements

    actions.create_user("alice")
    device = actions.device_sign_in()
    actions.grant(device, "camera")  # serves the notice
    assert client.post("/api/v1/policy/seen", headers=device.headers,
                       json={"version": "1.0"}).status_code == 204
    clock.advance(days=2000)
    actions.publish_policy("2.0", changes=[], summary="Second version")
    assert purge(app)["notices"] >= 2
    assert count(app, notices_served) == 0 and count(app, policy_acknowledgements) == 0


def test_2_2_the_acknowledgement_of_the_version_in_effect_stays(app, client, actions, clock):
    from gateway.consent.tables import policy_acknowledgements

    actions.create_user("alice")
    device = actions.device_sign_in()
    actions.publish_policy()
    client.post("/api/v1/policy/seen", headers=device.headers, json={"version": "1.0"})
    clock.advance(days=2000)
    purge(app)
    assert count(app, policy_acknowledgements) == 1  # else she would be asked again


def test_2_2_a_revoked_device_forgets_which_phone_it_was(app, client, actions, clock):
    actions.create_user("alice")
    lost = actions.device_sign_in(device_id="lost-phone-1")
    kept = actions.device_sign_in(device_id="kept-phone-2")
    assert client.delete(f"/api/v1/devices/{lost.device_id}",
                         headers=kept.headers).status_code == 200
    clock.advance(days=29)
    assert purge(app)["revoked_devices"] == 0
    clock.advance(days=2)
    assert purge(app)["revoked_devices"] == 1
    with app.extensions["gateway"].store.read() as connection:
        row = connection.execute(select(devices).where(devices.c.id == lost.device_id)).one()
        other = connection.execute(select(devices).where(devices.c.id == kept.device_id)).one()
    assert "lost-phone-1" not in str(tuple(row)) and row.model == "" and row.last_ip is None
    assert other.app_device_id == "kept-phone-2" and other.model == "Pixel 9"


def test_2_2_ended_qr_logins_go_on_the_housekeepers_round(app, client, clock):
    from gateway.privacy.housekeeping import Housekeeper
    from gateway.qrlogin.tables import qr_logins
    from tests.qrlogin_support import start

    start(client)
    clock.advance(hours=2)
    assert Housekeeper(app.extensions["gateway"]).purge_once()["ended_flows"] == 1
    assert count(app, qr_logins) == 0


def test_2_2_withdrawing_location_consent_removes_the_stored_fixes_at_once(
        app, client, actions):
    actions.create_user("alice")
    device = actions.device_sign_in()
    actions.grant(device, "location")
    client.post("/api/v1/devices/current/report", headers=device.headers, json={
        "model": "P", "os": "A", "os_version": "1", "app_version": "1",
        "access_point": {"bssid": "a4:5e:60:12:34:56", "ssid": "Home"}})
    assert count(app, device_locations) == 1
    assert client.delete("/api/v1/consents/location", headers=device.headers).status_code == 200
    assert count(app, device_locations) == 0


def test_2_2_backups_are_rotated_and_the_doctor_says_they_hold_personal_data(
        app, runner, clock, tmp_path):
    import dataclasses

    from gateway.core import doctor

    svc = app.extensions["gateway"]
    if svc.store.dialect != "sqlite":
        pytest.skip("PostgreSQL is backed up with pg_dump")
    folder = tmp_path / "backups"
    svc.settings = dataclasses.replace(svc.settings, backup_dir=str(folder), backup_keep=2)
    for _ in range(3):
        assert runner.invoke(args=["gateway", "backup"]).exit_code == 0
        clock.advance(hours=1)
    assert len(list(folder.glob("gateway-*.sqlite3"))) == 2
    said = " ".join(f.check.format(**f.params) for f in doctor.inspect(
        svc.settings, database_url=str(svc.store.engine.url), keys_dir=svc.keys_dir,
        now=clock.now()))
    assert str(folder) in said and "personal data" in said


def test_2_2_the_privacy_centre_tells_how_long_each_kind_of_data_is_kept(client):
    kept = {r["category"]: r["days"] for r in client.get(
        "/api/v1/privacy/retention").get_json()["retention"]}
    assert kept["precise_location"] == 7 and kept["notices"] == 1095
    assert kept["ended_flows"] == 1 / 24


@pytest.mark.push_service
def test_2_2_sent_notifications_and_inbox_messages_go_after_their_period(app, kit, clock):
    from gateway.push.inbox_tables import inbox_messages
    from gateway.push.tables import deliveries, notifications

    kit.device("bob")
    kit.send("bob")
    kit.settle()
    assert count(app, deliveries) == 1 and count(app, inbox_messages) == 1
    clock.advance(days=29)
    assert purge(app)["push_deliveries"] == 0 and count(app, inbox_messages) == 1
    clock.advance(days=2)
    result = purge(app)
    assert result["push_deliveries"] == 1 and result["push_inbox"] == 1
    assert count(app, notifications) == count(app, deliveries) == count(app, inbox_messages) == 0


def test_2_2_ended_preview_links_and_grants_go_after_their_period(app, client, actions, clock):
    from gateway.reports.tables import preview_grants, preview_links
    from tests.preview_support import integration_key, register

    actions.create_user("alice")
    phone = actions.device_sign_in()
    register(client, integration_key(app), owner="alice", users=("alice",), groups=())
    browser = app.test_client()
    headers = actions.web_sign_in("alice", client=browser)
    link = browser.post("/api/v1/reports/sales-q3/preview-links", headers=headers).get_json()
    opened = client.post("/api/v1/previews/open", headers=phone.headers,
                         json={"token": link["url"].rsplit("/p/", 1)[1]})
    assert opened.status_code == 201, opened.get_json()
    clock.advance(days=29)
    assert purge(app)["previews"] == 0
    clock.advance(days=2)
    assert purge(app)["previews"] == 2
    assert count(app, preview_links) == count(app, preview_grants) == 0


def test_2_2_ended_logins_and_application_sign_ins_go_on_the_housekeepers_sweep(
        app, client, actions, clock):
    from gateway.oidc.signins import ACR_PHONE, SignIn
    from gateway.oidc.tables import oidc_codes, oidc_tokens
    from gateway.privacy.housekeeping import Housekeeper
    from gateway.qrlogin.tables import qr_logins
    from tests.oidc_support import register
    from tests.qrlogin_support import start

    svc = app.extensions["gateway"]
    rp = register(svc)
    sign_in = SignIn(actions.create_user("alice").id, 1_800_000_000, ("qr",), ACR_PHONE, None)
    svc.oidc.codes.save("code-1", client_id=rp.client_id, redirect_uri=rp.redirect_uri,
                        scope="openid", nonce=None, code_challenge=None,
                        code_challenge_method=None, sign_in=sign_in)
    svc.oidc.tokens.issue(client_id=rp.client_id, grant_type="authorization_code",
                          scope="openid", sign_in=sign_in, access_token="access-1",
                          expires_in=3600)
    start(client)
    clock.advance(days=1, hours=2)  # each is past the time it is kept after it ended
    assert Housekeeper(svc).sweep_once() == 3
    assert count(app, qr_logins) == count(app, oidc_codes) == count(app, oidc_tokens) == 0


def test_2_2_the_run_command_starts_the_housekeeper(app, monkeypatch):
    from types import SimpleNamespace

    from gateway import gunicorn_conf
    from gateway.privacy.housekeeping import Housekeeper

    started, real = [], Housekeeper.start

    def start(keeper):
        started.append(keeper)
        real(keeper)

    monkeypatch.setattr(Housekeeper, "start", start)
    monkeypatch.setattr(app.extensions["gateway"].push, "start_embedded", lambda: None)
    worker = SimpleNamespace(wsgi=app, cfg=SimpleNamespace(
        threads=4, is_ssl=False, worker_connections=100))
    gunicorn_conf.post_worker_init(worker)  # what gunicorn calls in each worker process
    try:
        (keeper,) = started
        assert keeper._thread is not None and keeper._thread.is_alive()
    finally:
        for keeper in started:
            keeper.stop()
            if keeper._thread is not None:
                keeper._thread.join(timeout=10)
