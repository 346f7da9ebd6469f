"""Agreement 5 (and 1.7) for the applications the operator registers with the OpenID
Provider: an application learns about the user only what the scopes of the sign-in release,
and where the operator asks the user first (or the application asks for it), nothing goes
back to it until the user allows it."""

import jwt
import pytest

from tests.oidc_support import (
    authorize_params,
    phone_confirms,
    pkce,
    query_of,
    redeem_code,
    register,
    sign_in_for_code,
)


@pytest.fixture
def phone(actions):
    actions.create_user("alice", display_name="Alice Example", email="alice@example.com",
                        phone="+86 138 0000 3333", groups=("finance",))
    return actions.device_sign_in()


def test_5_an_application_gets_only_what_the_scopes_of_the_sign_in_release(
        app, client, phone, clock):
    rp = register(app.extensions["gateway"])  # it may ask for every scope
    verifier, challenge = pkce()
    code, _ = sign_in_for_code(client, app.test_client(), phone, clock,
                               authorize_params(rp, challenge, scope="openid email"))
    tokens = redeem_code(app.test_client(), rp, code, verifier).get_json()
    info = app.test_client().get("/oidc/userinfo", headers={
        "Authorization": f"Bearer {tokens['access_token']}"}).get_json()
    assert info == {"sub": phone.user_id, "email": "alice@example.com", "email_verified": False}
    told = jwt.decode(tokens["id_token"], options={"verify_signature": False})
    assert told["email"] == "alice@example.com"
    assert not {"name", "preferred_username", "phone_number", "groups"} & set(told)


def test_5_an_application_that_asks_first_gets_nothing_when_the_user_refuses(
        app, client, phone, clock):
    rp = register(app.extensions["gateway"], consent=True, name="Metabase")
    first = client.get("/oidc/authorize", query_string=authorize_params(rp))
    request_id = query_of(first.headers["Location"])["oidc"]
    clock.advance(seconds=1)
    phone_confirms(client, app.test_client(), phone, clock, request_id)
    page = client.get(f"/oidc/continue/{request_id}")
    assert page.status_code == 200, page.headers.get("Location")  # asked, not sent back
    assert b"Metabase" in page.data and b"bi.example.com" in page.data
    csrf = client.get("/api/v1/web/session").get_json()["csrf_token"]
    refused = client.post(f"/oidc/continue/{request_id}",
                          data={"csrf_token": csrf, "decision": "deny"})
    answer = query_of(refused.headers["Location"])
    assert answer["error"] == "access_denied" and "code" not in answer
