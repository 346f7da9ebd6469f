"""The push endpoints: subscribing (consent first, endpoint and key rules), preferences,
sending from the admin console and with an integration key (202, idempotency, payload
size, audience), the console's settings, keys, topics, alerts and history."""

from __future__ import annotations

import pytest

from gateway.push import payload
from tests.problems import assert_problem
from tests.pushservice import Reply

pytestmark = pytest.mark.push_service


@pytest.fixture
def admin(actions, kit):
    actions.create_user("root", role="admin")
    return actions.web_sign_in("root")


@pytest.fixture
def bi_key(app, clock):
    svc = app.extensions["gateway"]
    _, key = svc.identity.integrations.create(name="bi-server", scopes=["push:send"],
                                              created_by=None)
    return {"Authorization": f"Bearer {key}"}


def test_the_public_key_is_served_for_application_server_key(client, kit):
    body = client.get("/api/v1/push/vapid-key").get_json()
    assert body["public_key"] == kit.key and len(body["public_key"]) == 87


def test_subscribing_needs_push_consent_and_names_the_purpose(kit, client, service):
    device, _ = kit.device("alice", consent=False)
    sub = service.subscribe(kit.key)
    response = client.put("/api/v1/push/subscription", headers=device.headers, json=sub.as_json())
    body = assert_problem(response, 403, "consent-required")
    assert body["purpose"] == "push"
    assert client.get("/api/v1/push/subscription", headers=device.headers).status_code == 404


@pytest.mark.parametrize("change, slug", [
    ({"endpoint": "https://push.evil.example/x"}, "push-endpoint-refused"),
    ({"endpoint": "http://example.com/x"}, "push-endpoint-refused"),
    ({"keys": {"p256dh": "B" + "A" * 86, "auth": "AAAAAAAAAAAAAAAAAAAAAA"}}, "push-keys-invalid"),
    ({"keys": {"p256dh": "x", "auth": "y"}}, "validation-failed"),
    ({"endpoint": "https://fcm.googleapis.com/x", "unknown": 1}, "validation-failed"),
])
def test_a_bad_subscription_is_refused_and_nothing_is_stored(kit, client, service, change, slug):
    device, _ = kit.device("alice", consent=False)
    kit.actions.grant(device, "push")
    sub = service.subscribe(kit.key)
    response = client.put("/api/v1/push/subscription", headers=device.headers,
                          json={**sub.as_json(), **change})
    assert_problem(response, 422 if slug == "validation-failed" else 400, slug)
    assert client.get("/api/v1/push/subscription", headers=device.headers).status_code == 404


def test_subscribing_with_an_unknown_application_server_key_is_a_conflict(kit, client, service):
    device, _ = kit.device("alice", consent=False)
    kit.actions.grant(device, "push")
    sub = service.subscribe(kit.key)
    response = client.put("/api/v1/push/subscription", headers=device.headers,
                          json={**sub.as_json(), "application_server_key": "B" + "x" * 86})
    assert assert_problem(response, 409)["current_key"] == kit.key


def test_a_device_manages_its_subscription_topics_and_quiet_hours(kit, client, admin):
    device, _ = kit.device("alice")
    assert client.get("/api/v1/push/subscription", headers=device.headers).get_json()[
        "resubscribe"] is False
    client.put("/api/v1/admin/push/topics/alerts", headers=admin,
               json={"title": "Alerts", "ttl": 600, "urgency": "high"})
    opt_out = client.put("/api/v1/push/topics/alerts/opt-out", headers=device.headers)
    assert opt_out.status_code == 204
    listed = client.get("/api/v1/push/topics", headers=device.headers).get_json()["topics"]
    assert listed == [{"name": "alerts", "title": "Alerts", "description": "", "opted_out": True}]
    assert client.delete("/api/v1/push/topics/alerts/opt-out",
                         headers=device.headers).status_code == 204
    assert_problem(client.put("/api/v1/push/topics/nope/opt-out", headers=device.headers), 404)
    bad = client.put("/api/v1/push/quiet-hours", headers=device.headers,
                     json={"starts": "22:00", "ends": "07:00", "timezone": "Mars/Olympus"})
    assert assert_problem(bad, 400)["field"] == "timezone"
    assert_problem(client.put("/api/v1/push/quiet-hours", headers=device.headers,
                              json={"starts": "25:00", "ends": "07:00", "timezone": "UTC"}), 400)
    good = client.put("/api/v1/push/quiet-hours", headers=device.headers,
                      json={"starts": "22:00", "ends": "07:00", "timezone": "Asia/Shanghai"})
    assert good.status_code == 200
    assert client.get("/api/v1/push/quiet-hours", headers=device.headers).get_json()[
        "quiet_hours"]["timezone"] == "Asia/Shanghai"
    assert client.delete("/api/v1/push/subscription", headers=device.headers).status_code == 204
    assert client.get("/api/v1/push/subscription", headers=device.headers).status_code == 404


def test_the_integration_sends_with_202_once_committed_and_a_retry_creates_nothing(
        kit, client, bi_key):
    kit.device("alice")
    request = {"audience": {"kind": "users", "users": ["alice"]}, "title": "Report ready",
               "body": "Q3", "idempotency_key": "bi-run-7781"}
    first = client.post("/api/v1/push/notifications", headers=bi_key, json=request)
    assert first.status_code == 202
    body = first.get_json()
    assert first.headers["Location"].endswith(body["id"]) and body["replayed"] is False
    assert body["progress"]["done"] is False
    again = client.post("/api/v1/push/notifications", headers=bi_key, json=request)
    assert again.status_code == 202 and again.get_json()["id"] == body["id"]
    assert again.get_json()["replayed"] is True
    changed = client.post("/api/v1/push/notifications", headers=bi_key,
                          json={**request, "title": "Something else"})
    assert_problem(changed, 409, "idempotency-key-reused")
    kit.drain()
    status = client.get(f"/api/v1/push/notifications/{body['id']}", headers=bi_key).get_json()
    assert status["progress"]["states"]["delivered"] == 1 and status["progress"]["done"]


def test_a_notification_is_shown_only_to_the_integration_that_sent_it(
        kit, client, app, clock, bi_key):
    kit.device("alice")
    sent = client.post("/api/v1/push/notifications", headers=bi_key, json={
        "audience": {"kind": "users", "users": ["alice"]}, "title": "Report ready"})
    _, other = app.extensions["gateway"].identity.integrations.create(
        name="other", scopes=["push:send"], created_by=None)
    url = f"/api/v1/push/notifications/{sent.get_json()['id']}"
    assert client.get(url, headers=bi_key).status_code == 200
    assert_problem(client.get(url, headers={"Authorization": f"Bearer {other}"}), 404,
                   "not-found")


def test_sending_needs_the_push_scope(client, app, clock):
    svc = app.extensions["gateway"]
    _, key = svc.identity.integrations.create(name="reports", scopes=["reports:write"],
                                              created_by=None)
    response = client.post("/api/v1/push/notifications", headers={"Authorization": f"Bearer {key}"},
                           json={"audience": {"kind": "everyone"}, "title": "x"})
    assert_problem(response, 403)
    assert_problem(client.post("/api/v1/push/notifications",
                               json={"audience": {"kind": "everyone"}, "title": "x"}), 401)


@pytest.mark.parametrize("request_, status, slug", [
    ({"audience": {"kind": "users", "users": ["nobody"]}, "title": "x"}, 400,
     "push-audience-invalid"),
    ({"audience": {"kind": "groups", "groups": ["ghosts"]}, "title": "x"}, 400,
     "push-audience-invalid"),
    ({"audience": {"kind": "topic"}, "title": "x"}, 400, "push-audience-invalid"),
    ({"audience": {"kind": "everyone"}, "title": "x", "topic": "missing"}, 404, "not-found"),
    ({"audience": {"kind": "everyone"}, "title": "x", "collapse_key": "a" * 33}, 422,
     "validation-failed"),
    ({"audience": {"kind": "everyone"}, "title": "x", "url": "javascript:alert(1)"}, 400,
     "invalid-request"),
    ({"audience": {"kind": "everyone"}, "title": "x", "ttl": -1}, 422, "validation-failed"),
    ({"audience": {"kind": "everyone"}, "title": "x", "send_at": "2030-01-01T00:00:00"}, 422,
     "validation-failed"),
    ({"audience": {"kind": "everyone"}, "title": "x", "send_at": "2027-06-01T00:00:00Z"}, 400,
     "invalid-request"),
    ({"audience": {"kind": "everyone"}, "title": "é" * 200, "body": "ü" * 1400}, 422,
     "push-payload-too-large"),
])
def test_a_bad_send_gets_a_clear_problem_and_creates_nothing(client, bi_key, kit, request_,
                                                            status, slug):
    response = client.post("/api/v1/push/notifications", headers=bi_key, json=request_)
    body = assert_problem(response, status, slug)
    if slug == "push-payload-too-large":
        assert body["limit"] == payload.MAX_PAYLOAD and body["size"] > payload.MAX_PAYLOAD
    assert kit.deliveries() == []
    listed = kit.client.get("/api/v1/admin/push/notifications")
    assert listed.status_code == 401


def test_the_admin_sends_follows_progress_and_sees_the_breakdown(kit, client, admin, service):
    kit.device("alice")
    kit.device("bob", script=(Reply(410),))
    response = client.post("/api/v1/admin/push/notifications", headers=admin, json={
        "audience": {"kind": "everyone"}, "title": "Maintenance tonight", "urgency": "low"})
    assert response.status_code == 202
    notification_id = response.get_json()["id"]
    kit.drain()
    detail = client.get(f"/api/v1/admin/push/notifications/{notification_id}").get_json()
    assert detail["progress"]["states"]["delivered"] == 1
    assert detail["progress"]["states"]["pruned"] == 1 and detail["progress"]["done"]
    assert sorted(d["state"] for d in detail["deliveries"]) == ["delivered", "pruned"]
    listed = client.get("/api/v1/admin/push/notifications?limit=5").get_json()["notifications"]
    assert [n["id"] for n in listed] == [notification_id]
    chart = client.get("/api/v1/admin/push/stats?hours=1").get_json()
    totals = {}
    for point in chart["points"]:
        for outcome, count in point["counts"].items():
            totals[outcome] = totals.get(outcome, 0) + count
    assert totals == {"delivered": 1, "pruned": 1} and chart["step_seconds"] == 60


def test_the_admin_sends_a_test_to_their_own_devices(kit, client, actions, service):
    actions.create_user("root", role="admin")
    headers = actions.web_sign_in("root")
    _, mine = kit.device("root")
    _, theirs = kit.device("alice")
    response = client.post("/api/v1/admin/push/test", headers=headers, json={})
    assert response.status_code == 202 and response.get_json()["sender_kind"] == "test"
    kit.drain()
    assert len(mine.messages) == 1 and theirs.requests == 0


def test_admin_push_settings_subject_hosts_and_keys(kit, client, admin):
    settings = client.get("/api/v1/admin/push/settings").get_json()
    assert settings["subject"] == "mailto:ops@gateway.example.com"
    assert settings["subject_source"] == "setting" and "fcm.googleapis.com" in settings[
        "builtin_hosts"]
    refused = client.put("/api/v1/admin/push/settings", headers=admin,
                         json={"subject": "mailto:admin@localhost"})
    assert assert_problem(refused, 400)["field"] == "subject"
    changed = client.put("/api/v1/admin/push/settings", headers=admin, json={
        "subject": "https://bi.example.com/push-contact", "hosts": ["*.push.example.net"]})
    assert changed.get_json()["subject_source"] == "console"
    assert changed.get_json()["console_hosts"] == ["*.push.example.net"]
    rotated = client.post("/api/v1/admin/push/keys/rotate", headers=admin)
    assert rotated.status_code == 201
    keys = rotated.get_json()["keys"]
    assert [k["state"] for k in keys] == ["current", "previous"]
    assert_problem(client.post(f"/api/v1/admin/push/keys/{keys[0]['kid']}/retire",
                               headers=admin), 409)
    retired = client.post(f"/api/v1/admin/push/keys/{keys[1]['kid']}/retire", headers=admin)
    assert retired.get_json()["keys"][1]["state"] == "retired"
    assert_problem(client.post("/api/v1/admin/push/keys/rotate"), 403, "csrf-failed")


def test_topics_are_managed_by_admins_only(kit, client, admin, actions):
    created = client.put("/api/v1/admin/push/topics/reports", headers=admin,
                         json={"title": "Reports", "ttl": 86400, "urgency": "normal"})
    assert created.status_code == 200
    assert_problem(client.put("/api/v1/admin/push/topics/Bad Name", headers=admin,
                              json={"title": "x", "ttl": 1}), 400)
    assert [t["name"] for t in client.get("/api/v1/admin/push/topics").get_json()["topics"]] == [
        "reports"]
    assert client.delete("/api/v1/admin/push/topics/reports", headers=admin).status_code == 204
    actions.create_user("alice")
    user = actions.web_sign_in("alice")
    assert_problem(client.put("/api/v1/admin/push/topics/x", headers=user,
                              json={"title": "x", "ttl": 1}), 403)


def test_alerts_are_listed_and_resolved(kit, client, admin, service):
    kit.device("alice", script=(Reply(401),))
    kit.send("alice")
    kit.drain()
    [alert] = client.get("/api/v1/admin/push/alerts").get_json()["alerts"]
    assert alert["kind"] == "our-fault" and alert["count"] == 1
    resolved = client.post(f"/api/v1/admin/push/alerts/{alert['id']}/resolve", headers=admin)
    assert resolved.get_json()["resolved_at"]
    assert client.get("/api/v1/admin/push/alerts").get_json()["alerts"] == []
    assert_problem(client.post("/api/v1/admin/push/alerts/999/resolve", headers=admin), 404)


def test_the_pages_and_the_service_worker_are_served(client, actions):
    actions.create_user("root", role="admin")
    actions.web_sign_in("root")  # the push console is an administrator's page
    worker = client.get("/app/push-sw.js")
    assert worker.status_code == 200 and worker.mimetype == "text/javascript"
    assert b"showNotification" in worker.data
    worker.close()
    for path in ("/admin/push", "/app/notifications"):
        page = client.get(path)
        assert page.status_code == 200 and page.mimetype == "text/html"
        assert "script-src 'self'" in page.headers["Content-Security-Policy"]
        page.close()
