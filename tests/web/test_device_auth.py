import jwt
import pytest

from tests.support import device_description


@pytest.fixture
def alice(actions):
    actions.ensure_policy()  # devices sign in only once a notice exists (agreement 1.6)
    return actions.create_user("alice")


def test_sign_in_registers_the_device_and_returns_tokens(client, actions, alice):
    device = actions.device_sign_in()
    me = client.get("/api/v1/me", headers=device.headers)
    assert me.status_code == 200
    assert me.get_json()["username"] == "alice"
    devices = client.get("/api/v1/devices", headers=device.headers).get_json()["devices"]
    assert [d["model"] for d in devices] == ["Pixel 9"]
    assert devices[0]["current"] and devices[0]["has_key"]


def test_the_access_token_is_an_es256_jwt_with_kid_audience_and_15_minutes(client, actions, alice):
    device = actions.device_sign_in()
    header = jwt.get_unverified_header(device.access_token)
    claims = jwt.decode(device.access_token, options={"verify_signature": False})
    assert header["alg"] == "ES256" and header["kid"]
    assert claims["aud"] == "gateway"
    assert claims["exp"] - claims["iat"] == 900
    jwks = client.get("/.well-known/jwks.json").get_json()
    assert header["kid"] in [key["kid"] for key in jwks["keys"]]


def test_signing_in_again_from_the_same_app_updates_the_device(client, actions, alice):
    actions.device_sign_in()
    device = actions.device_sign_in()
    assert len(client.get("/api/v1/devices", headers=device.headers).get_json()["devices"]) == 1


def test_a_wrong_password_is_refused_without_saying_which_part(client, alice):
    for username in ("alice", "nobody"):
        response = client.post("/api/v1/auth/sign-in", json={
            "username": username, "password": "wrong password", "device": device_description()})
        assert response.status_code == 401
        assert response.get_json()["type"].endswith("invalid-credentials")


def test_refresh_rotates_the_refresh_token(client, actions, alice):
    device = actions.device_sign_in()
    first = client.post("/api/v1/auth/refresh", json={"refresh_token": device.refresh_token})
    assert first.status_code == 200
    rotated = first.get_json()
    assert rotated["refresh_token"] != device.refresh_token
    again = client.post("/api/v1/auth/refresh", json={"refresh_token": rotated["refresh_token"]})
    assert again.status_code == 200


def test_reusing_a_refresh_token_revokes_the_whole_family(client, actions, alice):
    device = actions.device_sign_in()
    rotated = client.post("/api/v1/auth/refresh",
                          json={"refresh_token": device.refresh_token}).get_json()
    replay = client.post("/api/v1/auth/refresh", json={"refresh_token": device.refresh_token})
    assert replay.status_code == 401
    assert replay.get_json()["type"].endswith("token-reused")
    # The thief's copy and the honest newer token are both dead now.
    honest = client.post("/api/v1/auth/refresh", json={"refresh_token": rotated["refresh_token"]})
    assert honest.status_code == 401
    me = client.get("/api/v1/me", headers={"Authorization": f"Bearer {rotated['access_token']}"})
    assert me.status_code == 401


def test_the_access_token_expires_with_the_clock(client, actions, alice, clock):
    device = actions.device_sign_in()
    clock.advance(minutes=15)
    response = client.get("/api/v1/me", headers=device.headers)
    assert response.status_code == 401
    assert response.get_json()["type"].endswith("token-expired")


def test_the_refresh_token_expires_after_its_lifetime(client, actions, alice, clock):
    device = actions.device_sign_in()
    clock.advance(days=30)
    response = client.post("/api/v1/auth/refresh", json={"refresh_token": device.refresh_token})
    assert response.status_code == 401
    assert response.get_json()["type"].endswith("token-expired")


def test_a_revoked_device_loses_its_access_and_refresh_tokens(client, actions, alice):
    phone = actions.device_sign_in(device_id="phone-0001")
    tablet = actions.device_sign_in(device_id="tablet-0002")
    response = client.delete(f"/api/v1/devices/{tablet.device_id}", headers=phone.headers)
    assert response.status_code == 200 and response.get_json()["revoked_at"]
    assert client.get("/api/v1/me", headers=tablet.headers).status_code == 401
    refresh = client.post("/api/v1/auth/refresh", json={"refresh_token": tablet.refresh_token})
    assert refresh.status_code == 401
    assert client.get("/api/v1/me", headers=phone.headers).status_code == 200


def test_another_users_device_cannot_be_revoked(client, actions, alice):
    actions.create_user("bob")
    bobs = actions.device_sign_in("bob", device_id="bob-phone-1")
    alices = actions.device_sign_in("alice")
    response = client.delete(f"/api/v1/devices/{bobs.device_id}", headers=alices.headers)
    assert response.status_code == 404
    assert client.get("/api/v1/me", headers=bobs.headers).status_code == 200


def test_sign_out_ends_this_sign_in_only(client, actions, alice):
    phone = actions.device_sign_in(device_id="phone-0001")
    tablet = actions.device_sign_in(device_id="tablet-0002")
    assert client.post("/api/v1/auth/sign-out", headers=phone.headers).status_code == 204
    assert client.get("/api/v1/me", headers=phone.headers).status_code == 401
    assert client.get("/api/v1/me", headers=tablet.headers).status_code == 200


def test_a_malformed_device_key_is_refused_and_nothing_is_stored(client, actions, alice):
    body = {"username": "alice", "password": "correct horse battery",
            "device": {**device_description(), "public_key": {
                "kty": "EC", "crv": "P-256", "x": "A" * 43, "y": "A" * 43}}}
    response = client.post("/api/v1/auth/sign-in", json=body)
    assert response.status_code == 400
    assert response.get_json()["field"] == "public_key"
    other = actions.device_sign_in(device_id="phone-9999")
    assert len(client.get("/api/v1/devices", headers=other.headers).get_json()["devices"]) == 1


def test_changing_the_password_needs_the_current_one(client, actions, alice):
    device = actions.device_sign_in()
    wrong = client.post("/api/v1/me/password", headers=device.headers,
                        json={"current_password": "nope", "new_password": "a much longer one"})
    assert wrong.status_code == 401
    right = client.post("/api/v1/me/password", headers=device.headers, json={
        "current_password": "correct horse battery", "new_password": "a much longer one"})
    assert right.status_code == 204
    actions.device_sign_in(password="a much longer one")


@pytest.mark.parametrize("header", [
    {}, {"Authorization": "Basic abc"}, {"Authorization": "Bearer "},
    {"Authorization": "Bearer not.a.jwt"},
])
def test_calls_without_a_valid_bearer_token_are_refused(client, header):
    response = client.get("/api/v1/me", headers=header)
    assert response.status_code == 401
    assert response.mimetype == "application/problem+json"


def test_sign_in_is_rate_limited_per_account(app, client, alice):
    app.extensions["gateway"].settings = app.extensions["gateway"].settings.replace(
        sign_in_limit="3 per minute")
    body = {"username": "alice", "password": "wrong", "device": device_description()}
    answers = [client.post("/api/v1/auth/sign-in", json=body) for _ in range(4)]
    assert [answer.status_code for answer in answers] == [401, 401, 401, 429]
    # The app can pace itself: each answer says how many attempts are left.
    assert [answer.headers["X-RateLimit-Remaining"] for answer in answers[:3]] == ["2", "1", "0"]
    limited = client.post("/api/v1/auth/sign-in", json=body)
    assert limited.mimetype == "application/problem+json"
    assert int(limited.headers["Retry-After"]) > 0


def test_the_account_limit_holds_across_client_addresses(app, client, alice):
    app.extensions["gateway"].settings = app.extensions["gateway"].settings.replace(
        sign_in_limit="2 per minute")
    body = {"username": "alice", "password": "wrong", "device": device_description()}
    statuses = [
        client.post("/api/v1/auth/sign-in", json=body,
                    environ_base={"REMOTE_ADDR": f"10.0.0.{n}"}).status_code
        for n in range(3)
    ]
    assert statuses == [401, 401, 429]
