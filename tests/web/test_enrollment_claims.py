"""Scan to connect a phone over HTTP: what a claim may and may not touch.

The attack this proves closed: someone who photographed the desktop's QR code claims it
anonymously, naming the user's existing phone and sending consent decisions. Nothing a
claim carries may have any effect before the desktop approves; a denied, expired or
superseded claim leaves the ledger, the devices and the push subscriptions as they were;
and no claim can take over an existing device without that device's own proof.
"""

from __future__ import annotations

import uuid

import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import ec
from sqlalchemy import func, select

from gateway import consent
from gateway.core.clock import epoch
from gateway.enrollment.tables import enrollments
from gateway.identity.tables import devices
from gateway.privacy.tables import device_locations
from gateway.push.tables import subscriptions
from tests.problems import assert_problem
from tests.support import device_description
from tests.web.test_enrollment_api import API, offer

REPORT = {"model": "Pixel 9", "os": "Android", "os_version": "16", "app_version": "3.2.0",
          "position": {"latitude": 31.230416, "longitude": 121.473701, "accuracy_m": 8,
                       "precision": "precise"}}


pytestmark = pytest.mark.push_service


@pytest.fixture
def phone(kit, actions):
    """Alice's existing phone: push granted and subscribed, location refused."""
    actions.publish_policy()
    device, _ = kit.device("alice", "alice-phone-0001")
    actions.grant(device, "location", decision="refused")
    return device


@pytest.fixture
def desktop(actions, phone):
    return actions.web_sign_in()


def notice(client, purpose):
    found = next(p for p in client.get("/api/v1/purposes").get_json()["purposes"]
                 if p["name"] == purpose)
    return found["notice"]


def decisions(client, **chosen):
    return [{"purpose": purpose, "decision": decision,
             "policy_version": notice(client, purpose)["policy_version"],
             "notice_hash": notice(client, purpose)["hash"]}
            for purpose, decision in chosen.items()]


def attack_body(client, offered, device_id, key=None, **extra):
    """What the attacker sends: location granted, push refused, the public notices' hashes."""
    return {"token": offered["qr"].rsplit("/", 1)[1], "via": "link",
            "device": device_description(device_id, key or ec.generate_private_key(
                ec.SECP256R1())),
            "consents": decisions(client, location="granted", push="refused"), **extra}


def proof(key, device_id, clock, **changes):
    claims = {"aud": "enrollment", "act": "enroll", "sub": device_id,
              "iat": epoch(clock.now()), "jti": uuid.uuid4().hex, **changes}
    return jwt.encode(claims, key, algorithm="ES256")


def snapshot(app):
    """The ledger, the devices and the subscriptions, as rows."""
    with app.extensions["gateway"].store.read() as connection:
        return {
            "ledger": [(e.device_id, e.purpose, e.decision) for e in consent.history(
                connection, user_id=_alice(connection))],
            "devices": connection.execute(select(devices).order_by(devices.c.id)).all(),
            "subscriptions": connection.execute(
                select(subscriptions).order_by(subscriptions.c.device_id)).all(),
        }


def _alice(connection):
    from gateway.identity.tables import users

    return connection.execute(select(users.c.id).where(users.c.username == "alice")).scalar()


def phone_consents(client, phone):
    body = client.get("/api/v1/consents", headers=phone.headers).get_json()
    return {p["purpose"]: p["state"] for p in body["purposes"]}


def gps_stored(app):
    with app.extensions["gateway"].store.read() as connection:
        return connection.execute(select(func.count()).select_from(device_locations)).scalar()


def test_a_claim_naming_the_users_phone_is_refused_and_its_consents_stay(app, client, desktop,
                                                                         phone):
    before = snapshot(app)
    consents_before = phone_consents(client, phone)
    offered = offer(client, desktop)
    claimed = app.test_client().post(f"{API}/claim",
                                     json=attack_body(client, offered, "alice-phone-0001"))
    client.post(f"{API}/{offered['id']}/deny", headers=desktop, json={})

    assert consents_before["push"] == "granted" and consents_before["location"] == "refused"
    assert phone_consents(client, phone) == consents_before
    assert client.get("/api/v1/push/subscription", headers=phone.headers).status_code == 200
    report = client.post("/api/v1/devices/current/report", headers=phone.headers, json=REPORT)
    assert report.get_json()["dropped"] == ["position"] and gps_stored(app) == 0
    assert snapshot(app) == before
    assert_problem(claimed, 409, "enrollment-device-known")  # refused outright, offer untouched


@pytest.mark.parametrize("end", ["deny", "expire", "claimed-twice", "wrong-number"])
def test_a_claim_that_is_not_approved_leaves_no_trace(app, client, desktop, clock, end):
    before = snapshot(app)
    offered = offer(client, desktop)
    claimed = app.test_client().post(f"{API}/claim",
                                     json=attack_body(client, offered, "attacker-phone-01"))
    assert claimed.status_code == 201, claimed.get_json()
    assert snapshot(app) == before  # nothing before approval
    if end == "deny":
        client.post(f"{API}/{offered['id']}/deny", headers=desktop, json={})
    elif end == "expire":
        clock.advance(120)
    elif end == "claimed-twice":
        app.test_client().post(f"{API}/claim", json=attack_body(client, offered, "second-01"))
    else:
        number = claimed.get_json()["number"]
        client.post(f"{API}/{offered['id']}/approve", headers=desktop,
                    json={"number": 10 if number != 10 else 11})
    assert client.get(f"{API}/{offered['id']}").get_json()["state"] in ("denied", "expired")
    assert snapshot(app) == before
    with app.extensions["gateway"].store.read() as connection:
        row = connection.execute(select(enrollments.c.device_id)).one()
    assert row.device_id is None  # no device id was ever handed out


def test_approval_records_the_phones_decisions_for_the_new_device(app, client, desktop, phone,
                                                                   clock):
    before = snapshot(app)
    offered = offer(client, desktop)
    new_phone = app.test_client()
    claimed = new_phone.post(f"{API}/claim",
                             json=attack_body(client, offered, "alice-phone-0002")).get_json()
    clock.advance(5)
    approved_at = clock.now()
    client.post(f"{API}/{offered['id']}/approve", headers=desktop,
                json={"number": claimed["number"]})
    tokens = new_phone.post(claimed["tokens_url"],
                            headers={"X-Enrollment-Secret": claimed["claim_secret"]}).get_json()
    new_id = tokens["device_id"]
    after = snapshot(app)
    assert new_id != phone.device_id
    assert after["ledger"] == before["ledger"] + [(new_id, "location", "granted"),
                                                  (new_id, "push", "refused")]
    assert after["subscriptions"] == before["subscriptions"]
    old = [d for d in after["devices"] if d.id == phone.device_id]
    assert old == [d for d in before["devices"] if d.id == phone.device_id]
    assert phone_consents(client, phone)["location"] == "refused"
    with app.extensions["gateway"].store.read() as connection:
        recorded = consent.history(connection, user_id=_alice(connection), device_id=new_id)
    assert {(e.method, e.server_time) for e in recorded} == {("enrollment", approved_at)}


def test_the_phone_itself_may_reconnect_with_a_proof_and_keeps_its_key(app, client, desktop,
                                                                       phone, clock):
    offered = offer(client, desktop)
    body = attack_body(client, offered, "alice-phone-0001", key=phone.key,
                       device_proof=proof(phone.key, "alice-phone-0001", clock))
    body["consents"] = decisions(client, location="granted")
    claimed = app.test_client().post(f"{API}/claim", json=body)
    assert claimed.status_code == 201, claimed.get_json()
    assert phone_consents(client, phone)["location"] == "refused"  # not before approval
    client.post(f"{API}/{offered['id']}/approve", headers=desktop,
                json={"number": claimed.get_json()["number"]})
    assert phone_consents(client, phone)["location"] == "granted"
    with app.extensions["gateway"].store.read() as connection:
        assert connection.execute(select(func.count()).select_from(devices)).scalar() == 1


@pytest.mark.parametrize("how, status, slug", [
    ("another key signs", 403, "device-proof-invalid"),
    ("for another device", 403, "device-proof-invalid"),
    ("stale", 403, "device-proof-invalid"),
    ("a new key", 400, "invalid-request"),
])
def test_a_proof_that_does_not_check_out_changes_nothing(app, client, desktop, phone, clock,
                                                         how, status, slug):
    before = snapshot(app)
    offered = offer(client, desktop)
    other = ec.generate_private_key(ec.SECP256R1())
    signer = other if how == "another key signs" else phone.key
    changes = {"sub": "alice-phone-0002"} if how == "for another device" else {}
    if how == "stale":
        changes["iat"] = epoch(clock.now()) - 120
    body = attack_body(client, offered, "alice-phone-0001",
                       key=other if how == "a new key" else phone.key,
                       device_proof=proof(signer, "alice-phone-0001", clock, **changes))
    assert_problem(app.test_client().post(f"{API}/claim", json=body), status, slug)
    assert client.get(f"{API}/{offered['id']}").get_json()["state"] == "offered"
    assert snapshot(app) == before


def test_a_device_registered_between_claim_and_approval_is_not_taken_over(app, client, desktop,
                                                                           actions):
    offered = offer(client, desktop)
    claimed = app.test_client().post(f"{API}/claim",
                                     json=attack_body(client, offered, "alice-phone-0003"))
    later = actions.device_sign_in(device_id="alice-phone-0003", client=app.test_client())
    before = snapshot(app)
    assert_problem(client.post(f"{API}/{offered['id']}/approve", headers=desktop,
                        json={"number": claimed.get_json()["number"]}),
            409, "enrollment-device-known")
    assert client.get(f"{API}/{offered['id']}").get_json()["state"] == "denied"
    assert snapshot(app) == before
    assert client.get("/api/v1/me", headers=later.headers).status_code == 200
