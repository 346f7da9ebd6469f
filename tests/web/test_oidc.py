"""The OpenID Provider over HTTP: discovery, the code flow through the desktop login page
and the phone, the token and userinfo endpoints, and every error the specifications name."""

from __future__ import annotations

import threading

import jwt
import pytest
from authlib.oidc.discovery import OpenIDProviderMetadata

from gateway.core import audit
from gateway.core.clock import epoch
from gateway.oidc.id_tokens import half_hash
from tests.oidc_support import (
    authorize_params,
    phone_confirms,
    pkce,
    query_of,
    redeem_code,
    register,
    sign_in_for_code,
)

ISSUER = "https://gateway.test"


@pytest.fixture
def phone(actions):
    actions.create_user("alice", display_name="Alice Example", email="alice@example.com")
    return actions.device_sign_in()


@pytest.fixture
def phone_client(app):
    return app.test_client()


@pytest.fixture
def rp(app):
    return register(app.extensions["gateway"])


def verify(app, id_token: str, audience: str) -> dict:
    header = jwt.get_unverified_header(id_token)
    keys = app.test_client().get("/.well-known/jwks.json").get_json()["keys"]
    jwk = next(key for key in keys if key["kid"] == header["kid"])
    # The gateway runs on the test's clock, so expiry is checked against it, not now.
    claims = jwt.decode(id_token, jwt.PyJWK(jwk).key, algorithms=["ES256"], audience=audience,
                        issuer=ISSUER, options={"verify_exp": False, "verify_iat": False})
    assert claims["exp"] > epoch(app.extensions["gateway"].clock.now())
    return claims


def test_discovery_names_the_issuer_and_every_endpoint(client):
    body = client.get("/.well-known/openid-configuration").get_json()
    metadata = OpenIDProviderMetadata(body)
    # Authlib's checks of OpenID Connect Discovery 1.0, but one: the gateway signs with its
    # ES256 key only, where Discovery asks every provider to offer RS256 as well.
    for name in dir(metadata):
        if name.startswith("validate_") and name != "validate_id_token_signing_alg_values_supported":
            getattr(metadata, name)()
    assert body["issuer"] == ISSUER
    assert body["authorization_endpoint"] == f"{ISSUER}/oidc/authorize"
    assert body["jwks_uri"] == f"{ISSUER}/.well-known/jwks.json"
    assert body["id_token_signing_alg_values_supported"] == ["ES256"]
    assert body["code_challenge_methods_supported"] == ["S256"]
    # Left out, both would say the gateway fetches request objects (Discovery 1.0, 3).
    assert body["request_parameter_supported"] is False
    assert body["request_uri_parameter_supported"] is False


def test_the_whole_flow_gives_a_verified_id_token_and_userinfo(app, client, phone_client, phone,
                                                                rp, clock):
    verifier, challenge = pkce()
    params = authorize_params(rp, challenge)
    code, scanned = sign_in_for_code(client, phone_client, phone, clock, params)
    assert scanned["application"] == "Superset at bi.example.com"
    answer = redeem_code(app.test_client(), rp, code, verifier)
    assert answer.status_code == 200, answer.get_json()
    tokens = answer.get_json()
    assert "refresh_token" not in tokens  # no offline_access asked for
    claims = verify(app, tokens["id_token"], rp.client_id)
    assert claims["nonce"] == "n-1" and claims["sub"] == phone.user_id
    assert claims["amr"] == ["qr", "hwk"] and claims["acr"].endswith("phone-key")
    assert claims["auth_time"] <= claims["iat"]
    assert claims["at_hash"] == half_hash(tokens["access_token"])
    assert jwt.get_unverified_header(tokens["id_token"])["kid"] in {
        key["kid"] for key in client.get("/.well-known/jwks.json").get_json()["keys"]}
    info = app.test_client().get("/oidc/userinfo", headers={
        "Authorization": f"Bearer {tokens['access_token']}"}).get_json()
    assert info == {"sub": phone.user_id, "name": "Alice Example", "preferred_username": "alice",
                    "email": "alice@example.com", "email_verified": False, "groups": []}
    app.extensions["gateway"].oidc.clients.revoke(rp.client_id, None)
    assert app.test_client().get("/oidc/userinfo", headers={
        "Authorization": f"Bearer {tokens['access_token']}"}).status_code == 401


def test_of_fifty_concurrent_redemptions_of_one_code_over_http_one_gets_tokens(
        app, client, phone_client, phone, rp, clock):
    verifier, challenge = pkce()
    code, _ = sign_in_for_code(client, phone_client, phone, clock, authorize_params(rp, challenge))
    answers, barrier = [], threading.Barrier(50)

    def redeem():
        own = app.test_client()
        barrier.wait()
        answers.append(redeem_code(own, rp, code, verifier))

    threads = [threading.Thread(target=redeem) for _ in range(50)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    statuses = sorted(answer.status_code for answer in answers)
    assert statuses == [200] + [400] * 49, statuses
    assert {answer.get_json()["error"] for answer in answers
            if answer.status_code == 400} == {"invalid_grant"}


def test_client_secret_post_works_too_and_every_token_is_logged(app, client, phone_client, phone,
                                                                 rp, clock):
    code, _ = sign_in_for_code(client, phone_client, phone, clock, authorize_params(rp))
    answer = redeem_code(app.test_client(), rp, code, how="post")
    assert answer.status_code == 200, answer.get_json()
    with app.extensions["gateway"].store.read() as connection:
        issued = [op for op in audit.for_actor(connection, phone.user_id)
                  if op.action == "oidc.token-issued"]
    assert len(issued) == 1 and issued[0].subject == rp.client_id


def test_a_signed_in_browser_goes_straight_back_with_a_code(app, client, phone_client, phone, rp,
                                                            clock):
    sign_in_for_code(client, phone_client, phone, clock, authorize_params(rp))
    again = client.get("/oidc/authorize", query_string=authorize_params(rp, nonce="n-2"))
    assert again.status_code == 302 and "code=" in again.headers["Location"]


def test_prompt_login_and_max_age_ask_for_a_new_sign_in(app, client, phone_client, phone, rp,
                                                        clock):
    sign_in_for_code(client, phone_client, phone, clock, authorize_params(rp))
    forced = client.get("/oidc/authorize",
                        query_string=authorize_params(rp, nonce="n-2", prompt="login"))
    assert forced.headers["Location"].startswith("/login?oidc=")
    request_id = query_of(forced.headers["Location"])["oidc"]
    # The old session does not answer the waiting request: back to the login page.
    assert client.get(f"/oidc/continue/{request_id}").headers["Location"].startswith("/login")
    clock.advance(seconds=120)
    aged = client.get("/oidc/authorize", query_string=authorize_params(rp, nonce="n-3", max_age="60"))
    assert aged.headers["Location"].startswith("/login?oidc=")
    fresh = client.get("/oidc/authorize",
                       query_string=authorize_params(rp, nonce="n-4", max_age="600"))
    assert "code=" in fresh.headers["Location"]


@pytest.mark.parametrize("max_age", ["0", "1"])
def test_a_small_max_age_is_met_by_the_sign_in_made_for_the_request(app, client, phone_client,
                                                                      phone, rp, clock, max_age):
    first = client.get("/oidc/authorize", query_string=authorize_params(rp, max_age=max_age))
    request_id = query_of(first.headers["Location"])["oidc"]
    clock.advance(seconds=1)
    phone_confirms(client, phone_client, phone, clock, request_id)
    clock.advance(seconds=5)  # the user took a while on the way back
    back = client.get(f"/oidc/continue/{request_id}")
    assert back.status_code == 302 and "code=" in back.headers["Location"]


def test_prompt_none_without_a_session_answers_login_required(client, rp):
    answer = client.get("/oidc/authorize", query_string=authorize_params(rp, prompt="none"))
    assert answer.status_code == 302
    assert query_of(answer.headers["Location"])["error"] == "login_required"


def test_an_unknown_client_or_redirect_uri_gets_a_page_never_a_redirect(client, rp):
    unknown = client.get("/oidc/authorize",
                         query_string={**authorize_params(rp), "client_id": "nobody"})
    assert unknown.status_code == 400 and "Location" not in unknown.headers
    assert b"not registered" in unknown.data
    elsewhere = client.get("/oidc/authorize", query_string=authorize_params(
        rp, redirect_uri="https://evil.example.com/cb"))
    assert elsewhere.status_code == 400 and "Location" not in elsewhere.headers
    prefix = client.get("/oidc/authorize", query_string=authorize_params(
        rp, redirect_uri=rp.redirect_uri + "/more"))
    assert prefix.status_code == 400 and "Location" not in prefix.headers


@pytest.mark.parametrize(("extra", "error"), [
    ({"request": "eyJhbGciOiJub25lIn0.e30."}, "request_not_supported"),
    ({"request_uri": "https://bi.example.com/request.jwt"}, "request_uri_not_supported"),
    ({"registration": "{}"}, "registration_not_supported"),
    ({"max_age": "soon"}, "invalid_request"),  # else no sign-in would ever meet it
    ({"max_age": "-1"}, "invalid_request"),
    ({"nonce": "n" * 257}, "invalid_request"),  # longer than a code keeps
    ({"nonce": "a\x00b"}, "invalid_request"),  # no text column holds U+0000
    ({"scope": "profile", "max_age": "soon"}, "invalid_request"),  # OAuth alone, too
])
def test_a_request_the_provider_cannot_honour_goes_back_with_the_error_named(client, rp, extra,
                                                                            error):
    answer = client.get("/oidc/authorize", query_string=authorize_params(rp, **extra))
    assert answer.status_code == 302
    assert answer.headers["Location"].startswith(rp.redirect_uri)
    got = query_of(answer.headers["Location"])
    assert got["error"] == error and got["state"] == "st-1"


def test_a_client_id_no_client_could_have_is_an_unknown_client(app, client, rp):
    for client_id in ("a\x00b", "x" * 65):
        page = client.get("/oidc/authorize",
                          query_string={**authorize_params(rp), "client_id": client_id})
        assert page.status_code == 400 and "Location" not in page.headers
        token = client.post("/oidc/token", data={
            "grant_type": "authorization_code", "code": "c", "client_id": client_id,
            "client_secret": "s", "redirect_uri": rp.redirect_uri})
        assert token.get_json()["error"] == "invalid_client"


def test_a_public_client_must_use_pkce_s256(app, client):
    public = register(app.extensions["gateway"], public=True, name="Desktop app")
    plain = client.get("/oidc/authorize", query_string=authorize_params(public))
    assert query_of(plain.headers["Location"])["error"] == "invalid_request"
    _verifier, challenge = pkce()
    weak = client.get("/oidc/authorize", query_string=authorize_params(
        public, code_challenge=challenge, code_challenge_method="plain"))
    assert query_of(weak.headers["Location"])["error"] == "invalid_request"


@pytest.mark.parametrize("case", ["missing", "wrong"])
def test_a_missing_or_wrong_verifier_is_invalid_grant(app, client, phone_client, phone, clock,
                                                      case):
    public = register(app.extensions["gateway"], public=True, name="Desktop app")
    verifier, challenge = pkce()
    code, _ = sign_in_for_code(client, phone_client, phone, clock,
                               authorize_params(public, challenge))
    answer = redeem_code(app.test_client(), public, code,
                         None if case == "missing" else verifier[:-2] + "xx")
    assert answer.status_code == 400 and answer.get_json()["error"] == "invalid_grant"
    # The code is spent: the right verifier afterwards gets nothing either.
    again = redeem_code(app.test_client(), public, code, verifier)
    assert again.get_json()["error"] == "invalid_grant"


def test_a_reused_or_expired_code_is_invalid_grant(app, client, phone_client, phone, rp, clock):
    code, _ = sign_in_for_code(client, phone_client, phone, clock, authorize_params(rp))
    first = redeem_code(app.test_client(), rp, code).get_json()
    second = redeem_code(app.test_client(), rp, code)
    assert second.status_code == 400 and second.get_json()["error"] == "invalid_grant"
    # Whoever presented it twice may have stolen it: the tokens issued for it end.
    info = app.test_client().get("/oidc/userinfo", headers={
        "Authorization": f"Bearer {first['access_token']}"})
    assert info.status_code == 401
    late, _ = sign_in_for_code(client, phone_client, phone, clock,
                               authorize_params(rp, nonce="n-2", prompt="login"))
    clock.advance(seconds=61)
    assert redeem_code(app.test_client(), rp, late).get_json()["error"] == "invalid_grant"


def test_a_wrong_secret_is_invalid_client(app, client, phone_client, phone, rp, clock):
    code, _ = sign_in_for_code(client, phone_client, phone, clock, authorize_params(rp))
    rp.secret = "gws_wrong"
    answer = redeem_code(app.test_client(), rp, code)
    assert answer.status_code == 401 and answer.get_json()["error"] == "invalid_client"


def test_userinfo_refuses_a_missing_or_unknown_token(client):
    assert client.get("/oidc/userinfo").status_code == 401
    answer = client.get("/oidc/userinfo", headers={"Authorization": "Bearer nope"})
    assert answer.status_code == 401 and answer.get_json()["error"] == "invalid_token"
    assert "invalid_token" in answer.headers["WWW-Authenticate"]


def test_the_phone_names_the_application_and_a_plain_login_names_none(
        app, client, phone_client, phone, rp, clock):
    first = client.get("/oidc/authorize", query_string=authorize_params(rp))
    request_id = query_of(first.headers["Location"])["oidc"]
    scanned = phone_confirms(client, phone_client, phone, clock, request_id)
    assert scanned["application"] == "Superset at bi.example.com"
    other = app.test_client()
    plain = phone_confirms(other, phone_client, phone, clock, None)
    assert plain["application"] is None


def test_the_admin_registers_a_client_whose_secret_is_shown_once(app, client, actions):
    actions.create_user("root", role="admin")
    headers = actions.web_sign_in("root")
    made = client.post("/api/v1/admin/oidc-clients", headers=headers, json={
        "name": "Grafana", "redirect_uris": ["https://grafana.example.com/login/generic_oauth"],
        "scopes": ["openid", "profile", "groups"], "consent": True})
    assert made.status_code == 201, made.get_json()
    body = made.get_json()
    assert body["client_secret"].startswith("gws_") and body["consent"] is True
    listed = client.get("/api/v1/admin/oidc-clients").get_json()
    assert listed["issuer"] == ISSUER
    assert body["client_secret"] not in str(listed)  # stored hashed, never shown again
    bad = client.post("/api/v1/admin/oidc-clients", headers=headers, json={
        "name": "Other", "redirect_uris": ["http://grafana.example.com/cb"], "scopes": ["openid"]})
    assert bad.status_code == 400 and bad.mimetype == "application/problem+json"
    gone = client.delete(f"/api/v1/admin/oidc-clients/{body['client_id']}", headers=headers)
    assert gone.get_json()["revoked_at"] is not None
    refused = client.get("/oidc/authorize", query_string={
        "response_type": "code", "client_id": body["client_id"], "scope": "openid"})
    assert refused.status_code == 400 and "Location" not in refused.headers


def test_with_consent_on_the_user_is_asked_and_may_refuse(app, client, phone_client, phone,
                                                          clock):
    rp = register(app.extensions["gateway"], consent=True, name="Metabase")
    first = client.get("/oidc/authorize", query_string=authorize_params(rp))
    request_id = query_of(first.headers["Location"])["oidc"]
    clock.advance(seconds=1)
    phone_confirms(client, phone_client, phone, clock, request_id)
    page = client.get(f"/oidc/continue/{request_id}")
    assert page.status_code == 200 and b"Metabase" in page.data
    assert "https://bi.example.com" in page.headers["Content-Security-Policy"]
    csrf = client.get("/api/v1/web/session").get_json()["csrf_token"]
    refused = client.post(f"/oidc/continue/{request_id}",
                          data={"csrf_token": csrf, "decision": "deny"})
    assert query_of(refused.headers["Location"])["error"] == "access_denied"
    with app.extensions["gateway"].store.read() as connection:
        decided = [op for op in audit.for_actor(connection, phone.user_id)
                   if op.action.startswith("oidc.consent")]
    assert [(op.action, op.subject) for op in decided] == [("oidc.consent-refused", rp.client_id)]


def test_offline_access_gives_a_refresh_token_that_rotates(app, client, phone_client, phone, rp,
                                                           clock):
    params = authorize_params(rp, scope="openid profile offline_access")
    code, _ = sign_in_for_code(client, phone_client, phone, clock, params)
    first = redeem_code(app.test_client(), rp, code).get_json()
    assert first["refresh_token"]

    def refresh(token, **extra):
        return app.test_client().post("/oidc/token", data={
            "grant_type": "refresh_token", "refresh_token": token,
            "client_id": rp.client_id, "client_secret": rp.secret, **extra})

    wider = refresh(first["refresh_token"], scope="openid profile email")
    assert wider.status_code == 400 and wider.get_json()["error"] == "invalid_scope"
    # Refused before it was used: the token still works, for the scope granted or less.
    narrower = refresh(first["refresh_token"], scope="openid offline_access")
    assert narrower.status_code == 200, narrower.get_json()
    assert narrower.get_json()["scope"] == "openid offline_access"
    first = narrower.get_json()
    second = refresh(first["refresh_token"])
    assert second.status_code == 200, second.get_json()
    assert second.get_json()["refresh_token"] != first["refresh_token"]
    replayed = refresh(first["refresh_token"])
    assert replayed.status_code == 400 and replayed.get_json()["error"] == "invalid_grant"
    # The replay ended the whole line: the newest refresh token is revoked too.
    assert refresh(second.get_json()["refresh_token"]).get_json()["error"] == "invalid_grant"


def test_a_replayed_nonce_is_refused_with_invalid_request(app, client, phone_client, phone, rp,
                                                          clock):
    sign_in_for_code(client, phone_client, phone, clock, authorize_params(rp, nonce="once"))
    again = client.get("/oidc/authorize", query_string=authorize_params(rp, nonce="once"))
    assert again.status_code == 302
    answer = query_of(again.headers["Location"])
    assert answer["error"] == "invalid_request" and answer["state"] == "st-1"


def test_without_the_password_fallback_a_password_session_must_scan(app, client, actions, rp):
    app.extensions["gateway"].settings = app.extensions["gateway"].settings.replace(
        oidc_password_fallback=False)
    actions.create_user("bob")
    actions.web_sign_in("bob")
    answer = client.get("/oidc/authorize", query_string=authorize_params(rp))
    assert answer.headers["Location"].startswith("/login?oidc=")
    page = client.get(answer.headers["Location"])
    assert b'id="password-link"' not in page.data


def test_with_the_password_fallback_a_password_session_says_pwd(app, client, actions, rp):
    actions.create_user("bob")
    actions.web_sign_in("bob")
    answer = client.get("/oidc/authorize", query_string=authorize_params(rp))
    code = query_of(answer.headers["Location"])["code"]
    tokens = redeem_code(app.test_client(), rp, code).get_json()
    claims = jwt.decode(tokens["id_token"], options={"verify_signature": False})
    assert claims["amr"] == ["pwd"] and claims["acr"].endswith("password")


def test_prompt_none_answers_consent_required_and_prompt_consent_asks(app, client, phone_client,
                                                                      phone, rp, clock):
    sign_in_for_code(client, phone_client, phone, clock, authorize_params(rp))
    asking = register(app.extensions["gateway"], consent=True, name="Metabase")
    silent = client.get("/oidc/authorize",
                        query_string=authorize_params(asking, prompt="none", state="s-1",
                                                      nonce="n-5"))
    assert silent.status_code == 302
    assert silent.headers["Location"].startswith(asking.redirect_uri)
    answer = query_of(silent.headers["Location"])
    assert answer["error"] == "consent_required" and answer["state"] == "s-1"
    # A client without a consent screen still gets one when the request says prompt=consent.
    asked = client.get("/oidc/authorize",
                       query_string=authorize_params(rp, prompt="consent", nonce="n-6"))
    assert asked.headers["Location"].startswith("/oidc/continue/")
    page = client.get(asked.headers["Location"])
    assert page.status_code == 200 and b'name="decision"' in page.data


def test_authorization_requests_are_rate_limited_per_address(client, rp):
    from gateway.web.oidc import AUTHORIZE_LIMIT

    allowed = int(AUTHORIZE_LIMIT.split()[0])
    for number in range(allowed):  # GET and POST count together
        params = authorize_params(rp, nonce=f"n-{number}")
        answer = (client.post("/oidc/authorize", data=params) if number % 2 else
                  client.get("/oidc/authorize", query_string=params))
        assert answer.status_code == 302
    for limited in (client.get("/oidc/authorize", query_string=authorize_params(rp, nonce="n-a")),
                    client.post("/oidc/authorize", data=authorize_params(rp, nonce="n-b"))):
        assert limited.status_code == 429 and int(limited.headers["Retry-After"]) > 0


def test_the_authorization_endpoint_takes_its_parameters_posted_too(app, client, phone_client,
                                                                     phone, rp, clock):
    # OpenID Connect Core 3.1.2.1: the authorization endpoint supports GET and POST.
    verifier, challenge = pkce()
    first = client.post("/oidc/authorize", data=authorize_params(rp, challenge))
    assert first.status_code == 302 and first.headers["Location"].startswith("/login?oidc=")
    request_id = query_of(first.headers["Location"])["oidc"]
    clock.advance(seconds=1)
    phone_confirms(client, phone_client, phone, clock, request_id)
    back = client.get(f"/oidc/continue/{request_id}")
    answer = query_of(back.headers["Location"])
    assert answer["state"] == "st-1"
    tokens = redeem_code(app.test_client(), rp, answer["code"], verifier).get_json()
    assert verify(app, tokens["id_token"], rp.client_id)["nonce"] == "n-1"
    again = client.post("/oidc/authorize", data=authorize_params(rp, nonce="n-2"))
    assert again.headers["Location"].startswith(rp.redirect_uri) and "code=" in again.headers[
        "Location"]
    elsewhere = client.post("/oidc/authorize", data=authorize_params(
        rp, redirect_uri="https://evil.example.com/cb"))
    assert elsewhere.status_code == 400 and "Location" not in elsewhere.headers
