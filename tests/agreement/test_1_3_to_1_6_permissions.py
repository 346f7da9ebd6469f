"""Agreement 1.3 to 1.6 and 4: each permission is its own choice, and refusing one turns
off only its own function."""

import base64
import os
import re
from datetime import timedelta
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

from gateway import consent
from gateway.consent.purposes import Purpose
from tests.qrlogin_support import proof, start, token_of


@pytest.fixture
def alice(actions):
    actions.create_user("alice")
    return actions.device_sign_in()


def b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def subscription() -> dict:
    key = ec.generate_private_key(ec.SECP256R1()).public_key()
    point = key.public_bytes(Encoding.X962, PublicFormat.UncompressedPoint)
    return {"endpoint": "https://fcm.googleapis.com/fcm/send/abc123def456",
            "keys": {"p256dh": b64(point), "auth": b64(os.urandom(16))}}


def test_1_3_the_app_is_told_which_permissions_it_needs_and_why(client):
    body = client.get("/api/v1/purposes").get_json()
    text = str(body).lower()
    for needed in ("camera", "push", "location", "storage", "network"):
        assert needed in text


def login_by_code(client, device, clock):
    started = start(client)
    scanned = client.post("/api/v1/qr-logins/code", headers=device.headers,
                          json={"code": started["code"]})
    return started, scanned


def test_1_4_refusing_camera_keeps_typed_code_login(app, client, alice, actions, clock):
    actions.grant(alice, "camera", decision="refused")
    started, scanned = login_by_code(client, alice, clock)
    assert scanned.status_code == 200, scanned.get_json()
    # The desktop (this client holds its cookie) shows the number the phone must tap.
    number = client.get(f"/api/v1/qr-logins/{started['id']}").get_json()["number"]
    assert number in scanned.get_json()["choices"]
    confirmed = client.post(f"/api/v1/qr-logins/{started['id']}/confirm", headers=alice.headers,
                            json={"number": number,
                                  "proof": proof(alice, started["id"], number, clock)})
    assert confirmed.status_code == 200 and confirmed.get_json()["state"] == "confirmed"


def test_1_4_refusing_camera_keeps_opening_the_link_with_the_phones_own_camera(
        client, alice, actions):
    actions.grant(alice, "camera", decision="refused")
    started = start(client)
    scanned = client.post("/api/v1/qr-logins/scan", headers=alice.headers,
                          json={"token": token_of(started), "via": "link"})
    assert scanned.status_code == 200


def test_1_4_refusing_camera_turns_off_only_the_apps_own_scanner(client, alice, actions):
    actions.grant(alice, "camera", decision="refused")
    started = start(client)
    scanned = client.post("/api/v1/qr-logins/scan", headers=alice.headers,
                          json={"token": token_of(started), "via": "app_camera"})
    assert scanned.status_code == 403
    assert scanned.get_json()["purpose"] == "camera"
    assert client.get("/api/v1/me", headers=alice.headers).status_code == 200


def test_1_5_refusing_push_turns_off_only_notifications(client, alice, actions):
    actions.grant(alice, "push", decision="refused")
    refused = client.put("/api/v1/push/subscription", headers=alice.headers, json=subscription())
    assert refused.status_code == 403 and refused.get_json()["purpose"] == "push"
    assert client.get("/api/v1/devices", headers=alice.headers).status_code == 200
    started = start(client)
    assert client.post("/api/v1/qr-logins/scan", headers=alice.headers,
                       json={"token": token_of(started)}).status_code == 200


@pytest.mark.push_service
def test_1_5_withdrawing_push_removes_the_subscription_at_once(kit, client):
    # What push consent allowed is not kept once it is withdrawn (2.2): the subscription
    # goes in the withdrawal's own transaction, not at the next delivery.
    phone, _ = kit.device("bob")
    assert client.get("/api/v1/push/subscription", headers=phone.headers).status_code == 200
    assert client.delete("/api/v1/consents/push", headers=phone.headers).status_code == 200
    assert client.get("/api/v1/push/subscription", headers=phone.headers).status_code == 404


@pytest.mark.push_service
def test_1_5_a_phone_signed_out_keeps_no_subscription_and_gets_no_notifications(kit, client):
    # Signing out leaves the phone to whoever holds it next: its subscription goes with it.
    from sqlalchemy import select

    from gateway.push.tables import subscriptions

    phone, subscription = kit.device("bob")
    assert client.post("/api/v1/auth/sign-out", headers=phone.headers).status_code == 204
    with kit.svc.store.read() as connection:  # at once, not when a notification finds it
        assert connection.execute(select(subscriptions.c.id).where(
            subscriptions.c.device_id == phone.device_id)).all() == []
    kit.send("bob")
    kit.settle()
    assert subscription.messages == []


@pytest.mark.push_service
def test_1_5_push_consent_is_checked_again_for_every_notification(kit, actions):
    # A new agreement changes what push covers: the grant stops counting, though the
    # subscription stays until the user decides again; nothing is sent to it meanwhile.
    phone, subscription = kit.device("bob")
    kit.send("bob", title="Before the change")
    kit.settle()
    actions.publish_policy("2.0", changes=["push"])
    kit.send("bob", title="After the change")
    kit.settle()
    assert [m["title"] for m in subscription.messages] == ["Before the change"]


def test_1_6_a_new_function_has_no_consent_until_the_user_decides(app, alice):
    svc = app.extensions["gateway"]
    svc.catalogue = svc.catalogue.with_purpose(Purpose(
        "voice", "Microphone", "Ask questions about a report by voice.",
        "Voice questions", ("audio, processed on the server",)))
    with svc.store.read() as connection:
        assert not consent.is_granted(connection, svc.clock, user_id=alice.user_id,
                                      device_id=alice.device_id, purpose="voice")
        with pytest.raises(consent.ConsentRequired):
            consent.require(connection, svc.clock, svc.catalogue, user_id=alice.user_id,
                            device_id=alice.device_id, purpose="voice")


def test_4_pages_load_no_third_party_scripts_or_trackers():
    static = Path(__file__).parents[2] / "static"
    templates = Path(__file__).parents[2] / "gateway" / "web" / "templates"
    for page in templates.rglob("*.html"):
        html = page.read_text()
        for source in re.findall(r'<script[^>]*src="([^"]+)"', html):
            assert source.startswith("/"), f"{page.name} loads {source}"
        assert not re.search(r"<script(?![^>]*src=)[^>]*>", html), f"{page.name} inline script"
    for script in static.rglob("*.js"):
        # What the code calls, not what its comments cite (the vendored decoder cites papers).
        text = re.sub(r"/\*.*?\*/|(^|[\s;{}])//[^\n]*", r"\1", script.read_text(),
                      flags=re.S | re.M)
        assert not re.search(r"https?://(?!127\.0\.0\.1|localhost)[\w.-]+\.\w", text) or \
            "www.w3.org" in text, f"{script.name} talks to another host"


def _device_rows(app) -> list:
    from sqlalchemy import select

    from gateway.core.audit_tables import operations
    from gateway.enrollment.tables import enrollments
    from gateway.identity.tables import devices

    with app.extensions["gateway"].store.read() as connection:
        return (connection.execute(select(devices)).all()
                + connection.execute(select(enrollments.c.device)
                                     .where(enrollments.c.device.is_not(None))).all()
                + connection.execute(select(operations.c.ip)
                                     .where(operations.c.ip.is_not(None))).all())


def test_1_6_nothing_about_a_device_is_collected_before_a_policy_is_in_effect(
        app, client, actions, clock):
    from tests.problems import assert_problem
    from tests.support import device_description

    actions.create_user("alice")  # the operator makes accounts (1.1); a fresh store
    body = {"username": "alice", "password": "correct horse battery",
            "device": device_description()}
    refused = client.post("/api/v1/auth/sign-in", json=body)
    assert assert_problem(refused, 409)["type"].endswith(":no-policy-in-effect")
    # A version published for tomorrow is not in effect yet either.
    actions.publish_policy("1.0", effective_at=clock.now() + timedelta(days=1))
    assert client.post("/api/v1/auth/sign-in", json=body).status_code == 409
    assert _device_rows(app) == []
    clock.advance(days=1, seconds=1)
    assert client.post("/api/v1/auth/sign-in", json=body).status_code == 200
    assert _device_rows(app) != []


def test_1_6_no_phone_is_taken_in_by_scan_before_a_policy_is_in_effect(app, actions, clock):
    from gateway.core.useragent import Requester
    from gateway.identity.devices import DeviceDescription
    from tests.support import device_description

    key = ec.generate_private_key(ec.SECP256R1())
    svc = app.extensions["gateway"]
    user = actions.create_user("alice")
    offered = svc.enrollment.offers.offer(user_id=user.id, session_hash="s" * 64)
    with pytest.raises(consent.NoPolicyInEffect):
        svc.enrollment.phone.claim(
            token=None, code=offered.code, via="typed_code", decisions=[],
            device=DeviceDescription("phone-1", "Pixel 9", "Android", "16", "3.2.0",
                                     device_description(key=key)["public_key"]),
            where=Requester("unknown", "unknown", "198.51.100.0/24", None, None))
    assert _device_rows(app) == []


def test_1_5_the_push_notice_says_notifications_leave_the_server(client, alice):
    for language, told in (("en", ("Google, Apple, Mozilla or Microsoft", "leaves this server",
                                   "another country")),
                           ("zh", ("Google、Apple、Mozilla 或 Microsoft", "离开本服务器", "其他国家"))):
        text = client.get(f"/api/v1/consents/push/notice?lang={language}",
                          headers=alice.headers).get_json()["text"]
        assert all(part in text for part in told), text


@pytest.mark.parametrize(("host", "named"), [
    ("fcm.googleapis.com", "Google Firebase Cloud Messaging"),
    ("web.push.apple.com", "Apple Push Notification service"),
    ("updates.push.services.mozilla.com", "Mozilla Push Service"),
    ("wns2-par02p.notify.windows.com", "Microsoft Windows Push Notification Services"),
    ("push.example.com", "the push service at push.example.com"),
])
def test_1_5_the_privacy_centre_names_the_push_service_of_my_subscription(host, named):
    from gateway.push.allowlist import service_of

    assert service_of(host) == named
