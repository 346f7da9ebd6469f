"""Scan to connect a phone over HTTP: the desktop's and the phone's calls and their errors."""

from __future__ import annotations

import io
import json
import re

import pytest
import zxingcpp
from PIL import Image

from tests.problems import assert_problem
from tests.support import device_description

API = "/api/v1/enrollments"


@pytest.fixture
def desktop(actions):
    """Alice signed in on the desktop; returns the CSRF header."""
    actions.create_user("alice", display_name="Alice Example")
    actions.publish_policy()
    return actions.web_sign_in()


def offer(client, desktop):
    response = client.post(API, headers=desktop, json={})
    assert response.status_code == 201, response.get_json()
    return response.get_json()


def camera_decision(client):
    camera = next(p for p in client.get("/api/v1/purposes").get_json()["purposes"]
                  if p["name"] == "camera")
    return {"purpose": "camera", "decision": "granted",
            "policy_version": camera["notice"]["policy_version"],
            "notice_hash": camera["notice"]["hash"]}


def claim_body(client, offered, **changes):
    from cryptography.hazmat.primitives.asymmetric import ec

    body = {"token": offered["qr"].rsplit("/", 1)[1], "via": "app_camera",
            "device": device_description("phone-new-1", ec.generate_private_key(ec.SECP256R1())),
            "consents": [camera_decision(client)]}
    body.update(changes)
    return {k: v for k, v in body.items() if v is not None}


def test_offering_needs_a_signed_in_browser_and_its_csrf_token(client, actions, desktop):
    assert_problem(client.post(API, json={}), 403, "csrf-failed")
    stranger = client.application.test_client()
    assert_problem(stranger.post(API, json={}), 401, "unauthenticated")


def test_the_qr_code_decodes_to_a_link_on_this_server(client, desktop):
    offered = offer(client, desktop)
    assert re.fullmatch(r"https://gateway\.test/c/[A-Za-z0-9_-]{24}", offered["qr"])
    png = client.get(offered["qr_png_url"])
    found = zxingcpp.read_barcodes(Image.open(io.BytesIO(png.data)))
    assert [f.text for f in found] == [offered["qr"]]
    assert offered["state"] == "offered" and re.fullmatch(r"[B-Z]{4}-[B-Z]{4}", offered["code"])


def test_the_whole_flow_connects_the_phone(app, client, desktop):
    offered = offer(client, desktop)
    phone = app.test_client()
    claimed = phone.post(f"{API}/claim", json=claim_body(client, offered))
    assert claimed.status_code == 201, claimed.get_json()
    body = claimed.get_json()
    secret = {"X-Enrollment-Secret": body["claim_secret"]}
    status = client.get(f"{API}/{offered['id']}").get_json()
    assert status["state"] == "claimed" and status["phone"]["model"] == "Pixel 9"
    assert body["number"] in status["choices"] and body["claim_secret"] not in json.dumps(status)
    assert phone.get(f"{API}/{offered['id']}/phone", headers=secret).get_json()["state"] == \
        "claimed"
    approved = client.post(f"{API}/{offered['id']}/approve", headers=desktop,
                           json={"number": body["number"]})
    assert approved.get_json()["state"] == "approved"
    tokens = phone.post(body["tokens_url"], headers=secret)
    assert tokens.status_code == 200, tokens.get_json()
    bearer = {"Authorization": f"Bearer {tokens.get_json()['access_token']}"}
    assert phone.get("/api/v1/me", headers=bearer).get_json()["username"] == "alice"
    consents = phone.get("/api/v1/consents", headers=bearer).get_json()["purposes"]
    assert next(p for p in consents if p["purpose"] == "camera")["state"] == "granted"
    assert_problem(phone.post(body["tokens_url"], headers=secret), 409, "enrollment-wrong-state")


def test_the_phone_waits_with_its_cookie_and_others_are_refused(app, client, desktop):
    offered = offer(client, desktop)
    phone = app.test_client()
    body = phone.post(f"{API}/claim", json=claim_body(client, offered)).get_json()
    assert phone.get(f"{API}/{offered['id']}/phone").status_code == 200  # the cookie
    assert_problem(app.test_client().get(f"{API}/{offered['id']}/phone"), 401,
            "enrollment-claim-unknown")
    assert_problem(app.test_client().post(body["tokens_url"]), 401, "enrollment-claim-unknown")


def test_another_session_cannot_see_or_approve_the_offer(app, client, actions, desktop):
    offered = offer(client, desktop)
    other = app.test_client()
    headers = actions.web_sign_in(client=other)
    assert_problem(other.get(f"{API}/{offered['id']}"), 403, "enrollment-other-session")
    assert_problem(other.post(f"{API}/{offered['id']}/approve", headers=headers, json={"number": 42}),
            403, "enrollment-other-session")


def test_a_second_claim_ends_the_offer_for_both_phones(app, client, desktop):
    offered = offer(client, desktop)
    first = app.test_client().post(f"{API}/claim", json=claim_body(client, offered))
    assert first.status_code == 201
    second = app.test_client().post(f"{API}/claim", json=claim_body(client, offered))
    assert_problem(second, 409, "enrollment-claimed-twice")
    assert client.get(f"{API}/{offered['id']}").get_json()["state"] == "denied"


@pytest.mark.parametrize("change, status, slug", [
    ({"device": None}, 422, "validation-failed"),
    ({"code": "BCDF-GHJK"}, 422, "validation-failed"),  # both a token and a code
    ({"token": "A" * 24}, 404, "qr-token-unknown"),
    ({"consents": []}, 403, "consent-required"),  # the app's camera, no camera decision
    ({"device": {**device_description("phone-x-1"), "public_key": {
        "kty": "EC", "crv": "P-256", "x": "A" * 43, "y": "A" * 43}}}, 400, "invalid-request"),
    ({"device": device_description("phone-x-2")}, 400, "invalid-request"),  # no key
])
def test_a_bad_claim_gets_a_clear_problem_and_changes_nothing(app, client, desktop, change,
                                                              status, slug):
    offered = offer(client, desktop)
    response = app.test_client().post(f"{API}/claim", json=claim_body(client, offered, **change))
    assert_problem(response, status, slug)
    assert client.get(f"{API}/{offered['id']}").get_json()["state"] == "offered"


def test_the_desktop_event_stream_shows_the_claiming_phone(app, client, desktop):
    offered = offer(client, desktop)
    response = client.get(offered["wait"]["events"], buffered=False)
    frames = iter(response.response)
    assert next(frames).decode().startswith("retry: 1000\nevent: offered")
    body = app.test_client().post(f"{API}/claim", json=claim_body(client, offered)).get_json()
    claimed = next(frames).decode()
    assert claimed.startswith("event: claimed") and "Pixel 9" in claimed
    assert body["claim_secret"] not in claimed and offered["qr"].rsplit("/", 1)[1] not in claimed
    client.post(f"{API}/{offered['id']}/deny", headers=desktop, json={})
    assert next(frames).decode().startswith("event: denied")
    assert list(frames) == []


def test_an_expired_offer_says_so(app, client, desktop, clock):
    offered = offer(client, desktop)
    clock.advance(120)
    assert client.get(f"{API}/{offered['id']}").get_json()["state"] == "expired"
    assert_problem(app.test_client().post(f"{API}/claim", json=claim_body(client, offered)), 410,
            "enrollment-expired")


def test_the_pages_are_served(client, actions):
    assert client.get("/connect").headers["Location"] == "/sign-in?next=%2Fconnect"
    actions.create_user("alice")
    actions.web_sign_in("alice")  # /connect is a signed-in browser's page
    for path in ("/connect", "/c/sometoken", "/app/connect"):
        response = client.get(path)
        assert response.status_code == 200 and response.mimetype == "text/html"
        assert response.headers["Referrer-Policy"] == "no-referrer"
