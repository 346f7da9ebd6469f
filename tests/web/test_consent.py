"""The consent endpoints: catalogue, decisions, withdrawal, history, receipts, policies."""

import base64
import json
from datetime import timedelta

import jwt
import pytest
from flask import Blueprint
from sqlalchemy import func, select

from gateway import consent
from gateway.consent.tables import notices_served
from gateway.web.api import operation
from gateway.web.consent import requires_consent
from tests.problems import assert_problem
from tests.support import both_json


@pytest.fixture
def alice(actions):
    actions.create_user("alice")
    return actions.device_sign_in()


@pytest.fixture
def policy(actions):
    return actions.publish_policy()


def stored(app, table=None) -> int:
    svc = app.extensions["gateway"]
    with svc.store.read() as connection:
        if table is None:
            return consent.count_events(connection)
        return connection.execute(select(func.count()).select_from(table)).scalar_one()


def notice(client, device, purpose="camera", lang="en") -> dict:
    response = client.get(f"/api/v1/consents/{purpose}/notice?lang={lang}", headers=device.headers)
    assert response.status_code == 200, response.get_json()
    return response.get_json()


def decision(client, device, purpose="camera", decision="granted", **fields):
    shown = notice(client, device, purpose)
    body = {"purpose": purpose, "decision": decision, "policy_version": shown["policy_version"],
            "notice_hash": shown["hash"], "language": shown["language"], **fields}
    return client.post("/api/v1/consents", headers=device.headers, json=body)


def by_purpose(client, device, lang="en") -> dict:
    body = client.get(f"/api/v1/consents?lang={lang}", headers=device.headers).get_json()
    return {item["purpose"]: item for item in body["purposes"]}


def test_the_catalogue_explains_every_permission_in_the_users_language(client, policy):
    english = client.get("/api/v1/purposes").get_json()
    assert [p["name"] for p in english["required"]] == ["storage", "network"]
    assert [p["name"] for p in english["purposes"]] == ["camera", "push", "location"]
    location = english["purposes"][2]
    assert location["sensitive"] and location["notice"]["policy_version"] == "1.0"
    chinese = client.get("/api/v1/purposes", headers={"Accept-Language": "zh-CN,zh;q=0.9"})
    assert chinese.get_json()["language"] == "zh"
    assert chinese.get_json()["purposes"][0]["title"] == "相机"


def test_a_new_device_is_asked_about_each_purpose_and_the_notices_are_recorded_once(
        app, client, alice, policy):
    body = client.get("/api/v1/consents", headers=alice.headers).get_json()
    assert body["needs_decision"] == ["camera", "push", "location"]
    assert all(p["notice"]["hash"] for p in body["purposes"])
    assert body["policy"]["version"] == "1.0" and body["policy"]["unseen"]
    client.get("/api/v1/consents", headers=alice.headers)
    assert stored(app, notices_served) == 3


def test_a_grant_records_the_evidence_and_counts_at_once(app, client, alice, policy, clock):
    response = decision(client, alice, "push", client_time=clock.now().isoformat(),
                        app_version="3.2.1", os_permission="provisional")
    assert response.status_code == 201, response.get_json()
    event = response.get_json()["event"]
    assert (event["decision"], event["app_version"], event["os_permission"]) == (
        "granted", "3.2.1", "provisional")
    assert response.get_json()["status"]["granted"]
    states = by_purpose(client, alice)
    assert states["push"]["granted"] and not states["push"]["needs_decision"]
    assert states["push"]["notice"] is None and states["camera"]["needs_decision"]


def test_the_app_version_defaults_to_the_one_the_device_signed_in_with(client, alice, policy):
    assert decision(client, alice).get_json()["event"]["app_version"] == "3.2.0"


def test_a_refusal_is_not_asked_about_again(client, alice, policy):
    assert decision(client, alice, "camera", "refused").status_code == 201
    states = by_purpose(client, alice)
    assert states["camera"]["state"] == "refused" and not states["camera"]["needs_decision"]


def test_re_consent_after_an_admin_publishes_a_version_that_changes_the_purpose(
        client, actions, alice, policy, clock):
    decision(client, alice, "camera")
    decision(client, alice, "push")
    client.post("/api/v1/policy/seen", headers=alice.headers, json={"version": "1.0"})
    clock.advance(days=60)
    alice = actions.device_sign_in()  # its access token of two months ago has expired
    actions.create_user("root", role="admin")
    admin = actions.web_sign_in("root")
    published = client.post("/api/v1/admin/policies", headers=admin, json={
        "version": "2.0", "texts": both_json("Camera use widened", "The agreement, revised."),
        "changes": ["camera"]})
    assert published.status_code == 201, published.get_json()
    body = client.get("/api/v1/consents", headers=alice.headers).get_json()
    assert body["policy"] == {**body["policy"], "version": "2.0", "unseen": True,
                              "changes": ["camera"]}
    states = {item["purpose"]: item for item in body["purposes"]}
    assert states["camera"]["reason"] == "policy_changed" and not states["camera"]["granted"]
    assert states["camera"]["notice"]["policy_version"] == "2.0"
    assert states["push"]["granted"]
    assert decision(client, alice, "camera").get_json()["status"]["granted"]


def test_acknowledging_the_policy_clears_the_announcement(client, alice, policy):
    seen = client.post("/api/v1/policy/seen", headers=alice.headers, json={"version": "1.0"})
    assert seen.status_code == 204
    body = client.get("/api/v1/consents", headers=alice.headers).get_json()
    assert body["policy"]["unseen"] is False
    unknown = client.post("/api/v1/policy/seen", headers=alice.headers, json={"version": "7.0"})
    assert unknown.status_code == 404


def test_withdrawal_is_one_call_takes_effect_at_once_and_repeats_harmlessly(
        app, client, alice, policy):
    decision(client, alice, "camera")
    first = client.delete("/api/v1/consents/camera", headers=alice.headers)
    assert first.status_code == 200 and first.get_json()["withdrawn"]
    assert first.get_json()["status"]["state"] == "withdrawn"
    svc = app.extensions["gateway"]
    with svc.store.read() as connection:
        assert not consent.is_granted(connection, svc.clock, user_id=alice.user_id,
                                      device_id=alice.device_id, purpose="camera")
    again = client.delete("/api/v1/consents/camera", headers=alice.headers)
    assert again.status_code == 200 and not again.get_json()["withdrawn"]
    assert stored(app) == 2


def test_the_history_covers_every_device_per_purpose(client, actions, alice, policy):
    tablet = actions.device_sign_in(device_id="tablet-0002")
    decision(client, alice, "camera")
    decision(client, tablet, "push")
    withdrawn = client.delete(f"/api/v1/consents/push?device_id={tablet.device_id}",
                              headers=alice.headers)
    assert withdrawn.get_json()["withdrawn"]
    devices = client.get("/api/v1/consents/history", headers=alice.headers).get_json()["devices"]
    found = {d["device_id"]: d for d in devices}
    assert found[alice.device_id]["current"] and not found[tablet.device_id]["current"]
    tablet_push = found[tablet.device_id]["purposes"][0]
    assert tablet_push["purpose"] == "push" and tablet_push["state"] == "withdrawn"
    assert [e["decision"] for e in tablet_push["events"]] == ["granted", "withdrawn"]
    only = client.get("/api/v1/consents/history?purpose=camera", headers=tablet.headers)
    counts = {d["device_id"]: len(d["purposes"]) for d in only.get_json()["devices"]}
    assert counts == {alice.device_id: 1, tablet.device_id: 0}


def test_a_device_grants_for_itself_only(app, client, actions, alice, policy):
    tablet = actions.device_sign_in(device_id="tablet-0002")
    response = decision(client, alice, device_id=tablet.device_id)
    assert response.status_code == 403 and stored(app) == 0


def test_a_decision_for_another_users_device_is_refused_and_nothing_written(
        app, client, actions, alice, policy):
    actions.create_user("bob")
    bob = actions.device_sign_in("bob", device_id="bob-phone-1")
    decision(client, bob, "camera")
    for response in (
        decision(client, alice, "camera", "withdrawn", device_id=bob.device_id),
        client.delete(f"/api/v1/consents/camera?device_id={bob.device_id}", headers=alice.headers),
    ):
        assert response.status_code == 404
        assert response.get_json()["type"].endswith("no-such-device")
    assert stored(app) == 1


@pytest.mark.parametrize(("change", "status", "slug"), [
    ({"purpose": "microphone"}, 404, "unknown-purpose"),
    ({"purpose": "partner_sharing:nobody"}, 404, "unknown-purpose"),
    ({"policy_version": "9.9"}, 404, "unknown-policy-version"),
    ({"notice_hash": "0" * 64}, 400, "invalid-request"),
    ({"client_time": "2026-11-29T12:00:00+00:00"}, 400, "invalid-request"),
    ({"client_time": "2026-11-28T12:00:00"}, 422, "validation-failed"),  # no offset
    ({"decision": "perhaps"}, 422, "validation-failed"),
    ({"method": "admin"}, 422, "validation-failed"),
    ({"language": "klingon!"}, 422, "validation-failed"),
    ({"language": "fr"}, 400, "invalid-request"),
    ({"notice_hash": "xyz"}, 422, "validation-failed"),
    ({"extra": "field"}, 422, "validation-failed"),
    ({"decision": "withdrawn"}, 409, "nothing-to-withdraw"),
])
def test_bad_decisions_get_a_problem_and_nothing_is_written(
        app, client, alice, policy, change, status, slug):
    shown = notice(client, alice)
    body = {"purpose": "camera", "decision": "granted", "policy_version": "1.0",
            "notice_hash": shown["hash"], "language": "en", **change}
    response = client.post("/api/v1/consents", headers=alice.headers, json=body)
    assert_problem(response, status, slug)
    assert stored(app) == 0


def test_a_malformed_body_gets_a_problem_and_nothing_is_written(app, client, alice, policy):
    for data, content_type in (("{not json", "application/json"), ("purpose=camera", "text/plain")):
        response = client.post("/api/v1/consents", headers=alice.headers, data=data,
                               content_type=content_type)
        assert response.status_code in (400, 415)
        assert response.mimetype == "application/problem+json"
    assert stored(app) == 0


def test_consents_need_a_device(client, policy):
    assert client.get("/api/v1/consents").status_code == 401
    assert client.post("/api/v1/consents", json={}).status_code == 401


def receipt_of(client, device, event_id: str) -> str:
    response = client.get(f"/api/v1/consents/{event_id}/receipt", headers=device.headers)
    assert response.status_code == 200, response.get_json()
    return response.get_json()["receipt"]


def verify_with_jwks(client, token: str) -> dict:
    keys = client.get("/.well-known/jwks.json").get_json()["keys"]
    kid = jwt.get_unverified_header(token)["kid"]
    key = jwt.PyJWK({k: v for k, v in next(k for k in keys if k["kid"] == kid).items()})
    return jwt.decode(token, key.key, algorithms=["ES256"])


def test_a_receipt_verifies_against_the_jwks_and_carries_the_kantara_fields(
        client, alice, policy):
    event = decision(client, alice, "location", os_permission="approximate").get_json()["event"]
    token = receipt_of(client, alice, event["id"])
    assert jwt.get_unverified_header(token)["typ"] == "consent-receipt+jwt"
    claims = verify_with_jwks(client, token)
    assert claims["consentReceiptID"] == event["id"] and claims["version"] == "KI-CR-v1.1.0"
    assert claims["jurisdiction"] == "CN" and claims["piiControllers"][0]["piiController"]
    assert claims["piiPrincipalId"] != alice.user_id and len(claims["piiPrincipalId"]) == 64
    assert claims["services"][0]["purposes"][0]["purpose"] == "location"
    assert (claims["decision"], claims["noticeVersion"], claims["noticeHash"]) == (
        "granted", "1.0", event["notice_hash"])
    assert claims["sensitive"] is True and claims["consentTimestamp"] == int(
        __import__("datetime").datetime.fromisoformat(event["server_time"]).timestamp())


@pytest.mark.parametrize("language", ["zh", "en"])
def test_a_receipt_names_the_language_of_the_notice_shown(client, alice, policy, language):
    shown = notice(client, alice, "camera", lang=language)
    assert shown["language"] == language
    body = {"purpose": "camera", "decision": "granted", "policy_version": shown["policy_version"],
            "notice_hash": shown["hash"], "language": shown["language"]}
    event = client.post("/api/v1/consents", headers=alice.headers, json=body).get_json()["event"]
    claims = verify_with_jwks(client, receipt_of(client, alice, event["id"]))
    assert (claims["language"], claims["noticeHash"]) == (language, shown["hash"])


def test_a_decision_naming_another_language_than_the_notice_shown_is_refused(
        client, alice, policy):
    chinese = notice(client, alice, "camera", lang="zh")
    body = {"purpose": "camera", "decision": "granted", "policy_version": "1.0",
            "notice_hash": chinese["hash"], "language": "en"}
    assert_problem(client.post("/api/v1/consents", headers=alice.headers, json=body), 400)


def test_an_altered_receipt_fails_verification(client, alice, policy):
    event = decision(client, alice, "push", "refused").get_json()["event"]
    header, payload, signature = receipt_of(client, alice, event["id"]).split(".")
    claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    claims["decision"] = "granted"
    forged = base64.urlsafe_b64encode(json.dumps(claims).encode()).rstrip(b"=").decode()
    with pytest.raises(jwt.InvalidSignatureError):
        verify_with_jwks(client, f"{header}.{forged}.{signature}")


def test_the_pseudonym_is_the_same_across_a_users_devices(client, actions, alice, policy):
    tablet = actions.device_sign_in(device_id="tablet-0002")
    first = decision(client, alice).get_json()["event"]["id"]
    second = decision(client, tablet).get_json()["event"]["id"]
    assert (verify_with_jwks(client, receipt_of(client, alice, first))["piiPrincipalId"]
            == verify_with_jwks(client, receipt_of(client, alice, second))["piiPrincipalId"])


def test_another_users_receipt_is_not_found(client, actions, alice, policy):
    actions.create_user("bob")
    bob = actions.device_sign_in("bob", device_id="bob-phone-1")
    event = decision(client, bob).get_json()["event"]
    response = client.get(f"/api/v1/consents/{event['id']}/receipt", headers=alice.headers)
    assert response.status_code == 404


def test_the_policies_are_public_newest_first_with_what_changed(client, actions, clock):
    assert client.get("/api/v1/policy").status_code == 404
    actions.publish_policy()
    clock.advance(days=1)
    actions.publish_policy("2.0", changes=["push"], summary="Notifications for reports",
                           effective_at=clock.now() + timedelta(days=14))
    listed = client.get("/api/v1/policies").get_json()
    assert [p["version"] for p in listed["policies"]] == ["2.0", "1.0"]
    assert listed["current"] == "1.0" and listed["policies"][0]["changes"] == ["push"]
    assert client.get("/api/v1/policy").get_json()["version"] == "1.0"
    page = client.get("/policies")
    assert page.status_code == 200 and page.mimetype == "text/html"
    assert "default-src 'none'" in page.headers["Content-Security-Policy"]


def test_only_admins_publish_and_only_with_the_csrf_token(client, actions):
    body = {"version": "1.0", "texts": both_json("First", "Agreement"), "changes": []}
    actions.create_user("alice")
    user = actions.web_sign_in("alice")
    assert client.post("/api/v1/admin/policies", headers=user, json=body).status_code == 403
    actions.create_user("root", role="admin")
    actions.web_sign_in("root")
    assert client.post("/api/v1/admin/policies", json=body).status_code == 403  # no CSRF
    admin = actions.web_sign_in("root")
    assert client.post("/api/v1/admin/policies", headers=admin, json=body).status_code == 201
    again = client.post("/api/v1/admin/policies", headers=admin,
                        json={**body, "texts": both_json("First", "Edited agreement")})
    assert again.status_code == 409
    unknown = client.post("/api/v1/admin/policies", headers=admin,
                          json={**body, "version": "2.0", "changes": ["microphone"]})
    assert unknown.status_code == 404
    assert client.get("/api/v1/policy").get_json()["text"] == "Agreement"


def test_the_companion_pages_load(client):
    for path in ("/app/consents", "/app/consent"):
        response = client.get(path)
        assert response.status_code == 200 and response.mimetype == "text/html"


camera_only = Blueprint("camera_only", __name__)


@camera_only.get("/test/scanner")
@requires_consent("camera")
@operation(summary="A function that needs the camera", tag="test", auth="device")
def scanner():
    return {"scanning": True}


@pytest.fixture
def scanner_app(app):
    app.register_blueprint(camera_only)  # before the first request
    return app


def test_requires_consent_answers_403_naming_the_purpose_until_granted(
        scanner_app, client, alice, policy):
    refused = client.get("/test/scanner", headers=alice.headers)
    assert refused.status_code == 403
    problem = refused.get_json()
    assert problem["type"].endswith("consent-required") and problem["purpose"] == "camera"
    assert problem["grant_at"] == "/api/v1/consents"
    decision(client, alice, "camera")
    assert client.get("/test/scanner", headers=alice.headers).status_code == 200
    client.delete("/api/v1/consents/camera", headers=alice.headers)
    assert client.get("/test/scanner", headers=alice.headers).status_code == 403
    described = client.get("/openapi.json").get_json()["paths"]["/test/scanner"]["get"]
    assert described["x-consent-purpose"] == "camera" and "403" in described["responses"]
