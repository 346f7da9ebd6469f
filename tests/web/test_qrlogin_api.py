"""Scan to log in over HTTP: the desktop's and the phone's calls, errors, streams, pages."""

from __future__ import annotations

import io
import json
import re
import threading

import jwt
import pytest
import zxingcpp
from PIL import Image, ImageDraw

from gateway.core import audit
from gateway.web.headers import CSP
from tests.problems import assert_problem
from tests.qrlogin_support import proof, start, token_of

API = "/api/v1/qr-logins"


@pytest.fixture
def phone(actions):
    actions.create_user("alice", display_name="Alice Example")
    return actions.device_sign_in()


def scan(client, phone, started, **body):
    response = client.post(f"{API}/scan", headers=phone.headers,
                           json={"token": token_of(started), **body})
    assert response.status_code == 200, response.get_json()
    return response.get_json()


def confirm(client, phone, login_id, clock, number=None):
    number = number or client.get(f"{API}/{login_id}").get_json()["number"]
    return client.post(f"{API}/{login_id}/confirm", headers=phone.headers,
                       json={"number": number, "proof": proof(phone, login_id, number, clock)})


def qr_cookie(client):
    return client.get_cookie("__Host-gw_qr")


def svg_to_image(svg: str) -> Image.Image:
    """Rasterise the gateway's SVG (runs of dark modules) as a camera would see it."""
    size = int(re.search(r'viewBox="0 0 (\d+) \d+"', svg).group(1))
    image = Image.new("L", (size * 8, size * 8), 255)
    draw = ImageDraw.Draw(image)
    for x, y, width in re.findall(r"M(\d+) (\d+)h(\d+)", svg):
        x, y, width = int(x), int(y), int(width)
        draw.rectangle([x * 8, y * 8, (x + width) * 8 - 1, y * 8 + 7], fill=0)
    return image


def decode(image: Image.Image) -> str:
    return [found.text for found in zxingcpp.read_barcodes(image)][0]


def test_start_gives_a_short_link_a_code_and_an_httponly_strict_cookie(client):
    response = client.post(API, json={})
    assert response.status_code == 201
    body = response.get_json()
    cookie = next(c for c in response.headers.getlist("Set-Cookie") if "gw_qr" in c)
    for attribute in ("HttpOnly", "SameSite=Strict", "Secure", "Path=/"):
        assert attribute in cookie
    secret = qr_cookie(client).value
    assert secret not in json.dumps(body)
    assert re.fullmatch(r"https://gateway\.test/q/[A-Za-z0-9_-]{24}", body["qr"])
    assert re.fullmatch(r"[B-Z]{4}-[B-Z]{4}", body["code"])
    assert body["state"] == "pending" and body["expires_in"] == 120 and body["rotates_in"] == 30
    for url in (body["qr_png_url"], body["qr_svg_url"], *body["wait"].values()):
        assert token_of(body) not in url and secret not in url


def test_start_says_how_often_the_code_changes_so_the_page_need_not_know(client, clock):
    started = start(client)
    assert started["rotates_every"] == 30
    clock.advance(started["rotates_in"] + started["rotates_every"])
    assert client.get(f"{API}/{started['id']}").get_json()["rotation"] == 2


def test_the_png_and_svg_decode_to_the_link(client):
    started = start(client)
    png = client.get(started["qr_png_url"])
    svg = client.get(started["qr_svg_url"])
    assert png.mimetype == "image/png" and svg.mimetype == "image/svg+xml"
    assert png.headers["Cache-Control"] == "no-store"
    assert decode(Image.open(io.BytesIO(png.data))) == started["qr"]
    assert decode(svg_to_image(svg.get_data(as_text=True))) == started["qr"]


def test_the_code_is_redrawn_every_thirty_seconds_and_old_ones_stop_working(
        client, phone, clock):
    started = start(client)
    clock.advance(30)
    redrawn = decode(Image.open(io.BytesIO(client.get(started["qr_png_url"]).data)))
    assert redrawn != started["qr"] and redrawn.startswith("https://gateway.test/q/")
    assert client.get(f"{API}/{started['id']}").get_json()["rotation"] == 1
    clock.advance(6)
    old = client.post(f"{API}/scan", headers=phone.headers, json={"token": token_of(started)})
    assert_problem(old, 410, "qr-token-replaced")
    assert scan(client, phone, {"qr": redrawn})["state"] == "scanned"


def test_the_whole_flow_signs_the_browser_in_and_hands_over_a_verifiable_assertion(
        app, client, phone, clock):
    app.extensions["gateway"].settings = app.extensions["gateway"].settings.replace(
        return_urls=("https://bi.example.com/sso",))
    started = start(client, return_to="https://bi.example.com/sso", state="xyz", nonce="n-1")
    scanned = scan(client, phone, started)
    assert scanned["requester"]["browser"] == "Chrome 131"
    assert scanned["requester"]["os"] == "Windows"
    assert len(scanned["choices"]) == 3 and scanned["warning"] is None
    status = client.get(f"{API}/{started['id']}").get_json()
    assert status["state"] == "scanned" and status["number"] in scanned["choices"]
    assert confirm(client, phone, started["id"], clock).get_json()["state"] == "confirmed"

    redeemed = client.post(f"{API}/{started['id']}/redeem",
                           headers={"X-CSRF-Token": started["csrf_token"]})
    assert redeemed.status_code == 200, redeemed.get_json()
    body = redeemed.get_json()
    assert body["return_url"] == "https://bi.example.com/sso" and body["return_state"] == "xyz"
    assert client.get("/api/v1/web/session").get_json()["method"] == "qr"
    assert qr_cookie(client) is None

    # What the BI server does: verify with the published JWKS.
    jwks = jwt.PyJWKSet.from_dict(client.get("/.well-known/jwks.json").get_json())
    kid = jwt.get_unverified_header(body["assertion"])["kid"]
    key = next(k for k in jwks.keys if k.key_id == kid)
    claims = jwt.decode(body["assertion"], key, algorithms=["ES256"], audience="bi-server",
                        issuer="https://gateway.test", options={"verify_exp": False})
    assert claims["sub"] == phone.user_id and claims["amr"] == ["qr"]
    assert claims["nonce"] == "n-1" and claims["preferred_username"] == "alice"


def test_a_return_url_outside_the_allowlist_is_refused_and_nothing_starts(client):
    response = client.post(API, json={"return_to": "https://evil.example.com/steal"})
    assert_problem(response, 400, "invalid-request")
    assert response.get_json()["field"] == "return_to"
    assert qr_cookie(client) is None


def test_watching_or_redeeming_needs_the_starting_browsers_cookie(app, client, phone, clock):
    started = start(client)
    scan(client, phone, started)
    confirm(client, phone, started["id"], clock)
    stranger = app.test_client()
    for response in (stranger.get(f"{API}/{started['id']}"),
                     stranger.get(f"{API}/{started['id']}/events"),
                     stranger.get(started["qr_svg_url"]),
                     stranger.post(f"{API}/{started['id']}/redeem",
                                   headers={"X-CSRF-Token": started["csrf_token"]})):
        assert_problem(response, 401, "qr-login-browser-unknown")
    stranger.set_cookie("__Host-gw_qr", "someone else's secret")
    assert_problem(stranger.get(f"{API}/{started['id']}"), 403, "qr-login-other-browser")
    assert_problem(client.get(f"{API}/nosuchlogin"), 404, "qr-login-not-found")


def test_redeeming_needs_the_csrf_token_and_works_once(client, phone, clock):
    started = start(client)
    scan(client, phone, started)
    confirm(client, phone, started["id"], clock)
    assert_problem(client.post(f"{API}/{started['id']}/redeem"), 403, "csrf-failed")
    headers = {"X-CSRF-Token": started["csrf_token"]}
    cookie = qr_cookie(client).value
    assert client.post(f"{API}/{started['id']}/redeem", headers=headers).status_code == 200
    client.set_cookie("__Host-gw_qr", cookie)
    assert_problem(client.post(f"{API}/{started['id']}/redeem", headers=headers), 409,
            "qr-login-wrong-state")


def test_an_expired_login_says_so_everywhere(client, phone, clock):
    started = start(client)
    clock.advance(120)
    assert client.get(f"{API}/{started['id']}").get_json()["state"] == "expired"
    assert_problem(client.get(started["qr_svg_url"]), 410, "qr-login-expired")
    assert_problem(client.post(f"{API}/scan", headers=phone.headers,
                        json={"token": token_of(started)}), 410, "qr-login-expired")


def test_a_wrong_number_denies_and_says_why(client, phone, clock):
    started = start(client)
    scanned = scan(client, phone, started)
    number = client.get(f"{API}/{started['id']}").get_json()["number"]
    wrong = next(n for n in scanned["choices"] if n != number)
    response = client.post(f"{API}/{started['id']}/confirm", headers=phone.headers,
                           json={"number": wrong,
                                 "proof": proof(phone, started["id"], wrong, clock)})
    assert_problem(response, 409, "qr-login-wrong-number")
    assert client.get(f"{API}/{started['id']}").get_json()["state"] == "denied"


def test_the_phone_can_deny(client, phone):
    started = start(client)
    scan(client, phone, started)
    denied = client.post(f"{API}/{started['id']}/deny", headers=phone.headers, json={})
    assert denied.get_json() == {"id": started["id"], "state": "denied"}


def test_replayed_and_forged_proofs_are_refused(client, phone, clock):
    started = start(client)
    scan(client, phone, started)
    number = client.get(f"{API}/{started['id']}").get_json()["number"]
    url = f"{API}/{started['id']}/confirm"
    assert_problem(client.post(url, headers=phone.headers, json={"number": number}), 403,
            "device-proof-required")
    forged = jwt.encode({"aud": "qr-login", "rid": started["id"], "num": number,
                         "act": "confirm", "iat": 0, "jti": "x" * 16}, None, algorithm="none")
    assert_problem(client.post(url, headers=phone.headers, json={"number": number, "proof": forged}),
            403, "device-proof-invalid")
    made = proof(phone, started["id"], number, clock, jti="only-once-00001")
    assert client.post(url, headers=phone.headers,
                       json={"number": number, "proof": made}).status_code == 200
    second = start(client)
    scan(client, phone, second)
    n2 = client.get(f"{API}/{second['id']}").get_json()["number"]
    replay = proof(phone, second["id"], n2, clock, jti="only-once-00001")
    assert_problem(client.post(f"{API}/{second['id']}/confirm", headers=phone.headers,
                        json={"number": n2, "proof": replay}), 403, "device-proof-replayed")


def test_the_apps_camera_needs_consent_but_the_link_does_not(app, client, phone, actions):
    started = start(client)
    body = assert_problem(client.post(f"{API}/scan", headers=phone.headers,
                               json={"token": token_of(started), "via": "app_camera"}),
                   403, "consent-required")
    assert body["purpose"] == "camera"
    actions.decide(phone, "camera", "refused")
    assert scan(client, phone, started, via="link")["state"] == "scanned"


def test_the_typed_code_scans_and_locks_after_wrong_tries(client, phone):
    started = start(client)
    code = started["code"]
    wrong = code[:5] + ("B" if code[5] != "B" else "C") + code[6:]
    for _ in range(5):
        assert_problem(client.post(f"{API}/code", headers=phone.headers, json={"code": wrong}), 404,
                "code-not-found")
    assert_problem(client.post(f"{API}/code", headers=phone.headers, json={"code": code}), 403,
            "code-locked")


def test_typed_codes_are_rate_limited_per_device(client, phone):
    for _ in range(10):
        client.post(f"{API}/code", headers=phone.headers, json={"code": "BBBB-BBBB"})
    assert_problem(client.post(f"{API}/code", headers=phone.headers, json={"code": "BBBB-BBBB"}), 429,
            "rate-limited")


def test_starting_is_rate_limited_per_address(client):
    remaining = [int(client.post(API, json={}).headers["X-RateLimit-Remaining"])
                 for _ in range(30)]
    assert remaining == list(range(29, -1, -1))  # the page can tell how many starts are left
    limited = client.post(API, json={})
    assert_problem(limited, 429, "rate-limited")
    assert int(limited.headers["Retry-After"]) > 0


@pytest.mark.parametrize("path, body, status", [
    ("scan", {"token": "short"}, 422),
    ("scan", {"token": "A" * 24, "via": "carrier pigeon"}, 422),
    ("scan", {"token": "A" * 24}, 404),
    ("code", {"code": ""}, 422),
    ("nosuchlogin/confirm", {"number": 42}, 404),
    ("nosuchlogin/confirm", {"number": 7}, 422),
    ("nosuchlogin/deny", {}, 404),
])
def test_bad_phone_input_gets_a_clear_problem(client, phone, path, body, status):
    response = client.post(f"{API}/{path}", headers=phone.headers, json=body)
    assert response.status_code == status
    assert response.mimetype == "application/problem+json"


def test_the_phone_calls_need_a_signed_in_device(client):
    started = start(client)
    assert_problem(client.post(f"{API}/scan", json={"token": token_of(started)}), 401,
            "unauthenticated")


def frames_of(response):
    """The SSE answer as a sequence of (event, data) and ("comment", text)."""
    for chunk in response.response:
        text = chunk.decode() if isinstance(chunk, bytes) else chunk
        event = re.search(r"^event: (\w+)$", text, re.M)
        data = re.search(r"^data: (.*)$", text, re.M)
        yield (event.group(1), json.loads(data.group(1))) if event else ("comment", text)


def test_events_stream_the_states_and_end_when_the_login_is_decided(client, phone, clock):
    started = start(client)
    response = client.get(started["wait"]["events"], buffered=False)
    assert response.mimetype == "text/event-stream"
    assert response.headers["Cache-Control"] == "no-store"
    frames = frames_of(response)
    assert next(frames) == ("pending", {"state": "pending", "number": None, "reason": None,
                                        "expires_at": "2026-11-28T12:02:00Z",
                                        "rotation": 0})
    scan(client, phone, started)
    event, data = next(frames)
    assert event == "scanned" and 10 <= data["number"] <= 99
    confirm(client, phone, started["id"], clock)
    assert next(frames)[0] == "confirmed"
    assert list(frames) == []
    everything = json.dumps(data)
    assert token_of(started) not in everything and started["code"] not in everything


def test_events_of_an_expired_login_say_expired_and_end(client, clock):
    started = start(client)
    clock.advance(121)
    frames = list(frames_of(client.get(started["wait"]["events"], buffered=False)))
    assert [event for event, _ in frames] == ["expired"]


def test_the_long_poll_answers_when_the_state_changes(app, client, phone):
    started = start(client)
    bus = app.extensions["gateway"].events
    channel = f"qrlogin:{started['id']}"
    answers = []
    poller = threading.Thread(target=lambda: answers.append(
        client.get(f"{started['wait']['poll']}?known=pending&seconds=20").get_json()))
    poller.start()
    while not bus.subscribers(channel):  # the poll is waiting
        poller.join(0.01)
    scanner = app.test_client()
    scanner.post(f"{API}/scan", headers=phone.headers, json={"token": token_of(started)})
    poller.join(10)
    assert answers and answers[0]["state"] == "scanned" and answers[0]["number"]


def test_the_long_poll_answers_at_once_when_the_state_already_differs(client, phone):
    started = start(client)
    scan(client, phone, started)
    answer = client.get(f"{started['wait']['poll']}?known=pending").get_json()
    assert answer["state"] == "scanned"


def test_the_audit_log_records_the_sign_in_without_secrets(app, client, phone, clock):
    started = start(client)
    scan(client, phone, started)
    confirm(client, phone, started["id"], clock)
    client.post(f"{API}/{started['id']}/redeem", headers={"X-CSRF-Token": started["csrf_token"]})
    with app.extensions["gateway"].store.read() as connection:
        entries = audit.recent(connection)
    actions = [entry.action for entry in entries]
    assert "qrlogin.confirmed" in actions and "qrlogin.redeemed" in actions
    logged = json.dumps([entry.details for entry in entries])
    for secret in (token_of(started), started["code"], started["csrf_token"]):
        assert secret not in logged


def test_the_access_log_keeps_route_templates_not_tokens(app, client, phone, clock):
    started = start(client)
    client.get(f"/q/{token_of(started)}")
    written = json.dumps(app.extensions["gateway"].access_log.read(clock.now().date()))
    assert "/q/<token>" in written and token_of(started) not in written


def test_the_pages_are_served_with_the_strict_policy(client):
    for path in ("/login", "/q/sometoken", "/app/code"):
        response = client.get(path)
        assert response.status_code == 200 and response.mimetype == "text/html"
        assert response.headers["Referrer-Policy"] == "no-referrer"
        assert "script-src 'self'" in response.headers["Content-Security-Policy"]
    assert client.get("/login").headers["Content-Security-Policy"] == CSP


def test_the_login_page_may_post_the_assertion_to_the_return_urls_only(app, client):
    svc = app.extensions["gateway"]
    svc.settings = svc.settings.replace(return_urls=("https://bi.example.com/sso",))
    policy = client.get("/login").headers["Content-Security-Policy"]
    assert "form-action 'self' https://bi.example.com;" in policy


def test_the_status_matches_its_schema_before_and_after_the_scan(client, phone):
    from gateway.web.qrlogin import StatusOut

    started = start(client)
    pending = client.get(f"{API}/{started['id']}").get_json()
    assert StatusOut.model_validate(pending).model_dump(mode="json") == pending
    scan(client, phone, started)
    scanned = client.get(f"{API}/{started['id']}").get_json()
    assert StatusOut.model_validate(scanned).model_dump(mode="json") == scanned
    assert scanned["rotates_at"] is None and scanned["number"]


def test_a_polled_status_sees_each_move_at_once(client, phone, clock):
    started = start(client)
    url = f"{API}/{started['id']}"
    assert client.get(url).get_json()["state"] == "pending"  # now held in memory
    scan(client, phone, started)
    assert client.get(url).get_json()["state"] == "scanned"
    confirm(client, phone, started["id"], clock)
    assert client.get(url).get_json()["state"] == "confirmed"


def test_the_computer_learns_why_a_login_was_denied(client, phone, clock):
    refused = start(client)
    scan(client, phone, refused)
    client.post(f"{API}/{refused['id']}/deny", headers=phone.headers, json={})
    assert client.get(f"{API}/{refused['id']}").get_json()["reason"] == "refused"
    mistaken = start(client)
    scan(client, phone, mistaken)
    right = client.get(f"{API}/{mistaken['id']}").get_json()["number"]
    wrong = confirm(client, phone, mistaken["id"], clock, number=right % 90 + 10)
    assert_problem(wrong, 409, "qr-login-wrong-number")
    status = client.get(f"{API}/{mistaken['id']}").get_json()
    assert (status["state"], status["reason"]) == ("denied", "wrong-number")
