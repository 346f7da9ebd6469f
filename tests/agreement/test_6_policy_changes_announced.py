"""Agreement 6: a policy change is announced (page, a flag for the app, and a push), and
sign-ins and new phones are told to the user's devices."""

import pytest

from tests.qrlogin_support import proof, start, token_of
from tests.support import both_json

pytestmark = pytest.mark.push_service


def publish(client, actions, version):
    actions.create_user("root", role="admin")
    headers = actions.web_sign_in("root")
    return client.post("/api/v1/admin/policies", headers=headers, json={
        "version": version, "texts": both_json("Location is now asked", f"Agreement {version}"),
        "changes": ["location"]})


def test_6_publishing_a_version_pushes_the_announcement_to_consenting_devices_only(
        app, client, actions, kit, service):
    listening, listening_sub = kit.device("alice")
    silent, silent_sub = kit.device("bob", consent=False)
    response = publish(client, actions, "2.0")
    assert response.status_code == 201, response.get_json()
    kit.settle()
    titles = [message["title"] for message in listening_sub.messages]
    assert titles == ["The user agreement changed (version 2.0)"]
    assert silent_sub.requests == 0


def test_6_the_app_is_told_of_the_new_version_until_the_user_has_seen_it(
        app, client, actions, kit):
    device, _ = kit.device("alice")
    publish(client, actions, "2.0")
    state = client.get("/api/v1/consents", headers=device.headers).get_json()
    assert state["policy"]["unseen"] is True or state.get("policy_unseen") is True
    client.post("/api/v1/policy/seen", headers=device.headers, json={"version": "2.0"})
    state = client.get("/api/v1/consents", headers=device.headers).get_json()
    assert not (state["policy"].get("unseen") or state.get("policy_unseen"))


def test_6_the_public_page_lists_every_version(client, actions, kit):
    publish(client, actions, "2.0")
    versions = client.get("/api/v1/policies").get_json()
    assert "2.0" in str(versions)
    assert client.get("/policies").status_code == 200


def test_a_qr_sign_in_is_told_to_the_users_devices(app, client, actions, kit, service, clock):
    phone, subscription = kit.device("alice")
    started = start(client)
    scanned = client.post("/api/v1/qr-logins/scan", headers=phone.headers,
                          json={"token": token_of(started)}).get_json()
    number = client.get(f"/api/v1/qr-logins/{started['id']}").get_json()["number"]
    client.post(f"/api/v1/qr-logins/{started['id']}/confirm", headers=phone.headers,
                json={"number": number, "proof": proof(phone, started["id"], number, clock)})
    redeemed = client.post(f"/api/v1/qr-logins/{started['id']}/redeem",
                           headers={"X-CSRF-Token": started["csrf_token"]})
    assert redeemed.status_code == 200, redeemed.get_json()
    kit.settle()
    (message,) = subscription.messages
    assert message["title"] == "New sign-in" and "Windows" in message["body"]
    assert scanned["choices"]


def _states(client, device) -> dict:
    return {s["purpose"]: s for s in client.get(
        "/api/v1/consents", headers=device.headers).get_json()["purposes"]}


def _keep_location(app, days: int) -> None:
    """The operator changes how long positions are kept and restarts the gateway."""
    import dataclasses

    from gateway.build import build_gateway

    svc = app.extensions["gateway"]
    svc.settings = dataclasses.replace(svc.settings, retain_location_days=days)
    svc.catalogue = build_gateway(svc.settings, svc.clock).catalogue


def test_6_a_changed_purpose_is_asked_again_without_anyone_ticking_it(app, client, actions):
    actions.create_user("alice")
    device = actions.device_sign_in()
    actions.grant(device, "location")
    actions.grant(device, "camera")
    actions.create_user("root", role="admin")
    admin = actions.web_sign_in("root")
    assert client.get("/api/v1/admin/policies/changes",
                      headers=admin).get_json()["changes"] == []
    _keep_location(app, 30)
    # The admin sees what a new version will change before publishing it ...
    assert client.get("/api/v1/admin/policies/changes",
                      headers=admin).get_json()["changes"] == ["location"]
    # ... and ticking nothing does not hide it.
    published = client.post("/api/v1/admin/policies", headers=admin, json={
        "version": "2.0", "texts": both_json("Positions kept longer", "Agreement 2.0"),
        "changes": []})
    assert published.status_code == 201 and published.get_json()["changes"] == ["location"]
    states = _states(client, device)
    assert states["location"]["reason"] == "policy_changed" and not states["location"]["granted"]
    assert states["camera"]["granted"]  # only what changed is asked again
    assert "Kept for 30 days" in states["location"]["notice"]["text"]


def test_6_a_tick_adds_a_purpose_and_an_unknown_one_is_a_problem(app, client, actions):
    actions.create_user("alice")
    device = actions.device_sign_in()
    actions.grant(device, "camera")
    actions.create_user("root", role="admin")
    admin = actions.web_sign_in("root")
    body = {"version": "2.0", "texts": both_json("Camera explained", "Agreement 2.0")}
    unknown = client.post("/api/v1/admin/policies", headers=admin,
                          json={**body, "changes": ["telepathy"]})
    assert unknown.status_code == 404
    assert unknown.headers["Content-Type"] == "application/problem+json"
    ticked = client.post("/api/v1/admin/policies", headers=admin,
                         json={**body, "changes": ["camera"]})
    assert ticked.get_json()["changes"] == ["camera"]
    assert not _states(client, device)["camera"]["granted"]
