"""Signing out through the OpenID Provider: RP-initiated logout (back only to a registered
address, with the state; confirmation without an ID token) and back-channel logout tokens
sent when the gateway session ends."""

from __future__ import annotations

import jwt
import pytest

from tests.oidc_support import (
    authorize_params,
    redeem_code,
    register,
    sign_in_for_code,
)

AFTER = "https://bi.example.com/logged-out"
BACKCHANNEL = "https://bi.example.com/oidc/backchannel-logout"


@pytest.fixture
def phone(actions):
    actions.create_user("alice", display_name="Alice Example")
    return actions.device_sign_in()


@pytest.fixture
def signed_in(app, client, phone, clock):
    """Alice signed in to a relying party through the gateway: (rp, tokens)."""
    rp = register(app.extensions["gateway"], logout_uris=[AFTER], backchannel_uri=BACKCHANNEL)
    code, _ = sign_in_for_code(client, app.test_client(), phone, clock, authorize_params(rp))
    tokens = redeem_code(app.test_client(), rp, code).get_json()
    return rp, tokens


@pytest.fixture
def delivered(app):
    """Back-channel logout POSTs, captured instead of sent: [(url, form)]."""
    sent = []
    gateway = app.extensions["gateway"]

    def post(url, form):
        sent.append((url, form))
        return 200

    # Set on the very Logout the identity reactions were bound to (build.py), so that the
    # sign-outs an administrator or a password change makes are captured too.
    object.__setattr__(gateway.oidc.logout, "post", post)
    return sent


def _userinfo(app, tokens):
    return app.test_client().get("/oidc/userinfo", headers={
        "Authorization": f"Bearer {tokens['access_token']}"})


def test_rp_initiated_logout_ends_the_session_and_goes_back_with_the_state(
        app, client, signed_in, delivered):
    rp, tokens = signed_in
    answer = client.get("/oidc/logout", query_string={
        "id_token_hint": tokens["id_token"], "post_logout_redirect_uri": AFTER, "state": "s-9"})
    assert answer.status_code == 302 and answer.headers["Location"] == f"{AFTER}?state=s-9"
    assert client.get("/api/v1/web/session").status_code == 401
    assert _userinfo(app, tokens).status_code == 401
    assert [url for url, _ in delivered] == [BACKCHANNEL]
    # Signed out already: the same hint goes straight back (nothing left to confirm).
    again = client.get("/oidc/logout", query_string={
        "id_token_hint": tokens["id_token"], "post_logout_redirect_uri": AFTER})
    assert again.status_code == 302 and again.headers["Location"] == AFTER


def test_an_unregistered_address_after_logout_gets_a_page_not_a_redirect(app, client, signed_in,
                                                                          delivered):
    _, tokens = signed_in
    answer = client.get("/oidc/logout", query_string={
        "id_token_hint": tokens["id_token"],
        "post_logout_redirect_uri": "https://evil.example.com/"})
    assert answer.status_code == 200 and "Location" not in answer.headers
    assert b"signed out" in answer.data


def test_without_an_id_token_the_user_confirms_first(app, client, signed_in, delivered):
    page = client.get("/oidc/logout")
    assert page.status_code == 200 and b'id="sign-out"' in page.data
    assert client.get("/api/v1/web/session").status_code == 200  # nothing ended yet
    assert client.post("/oidc/logout").status_code == 200
    assert client.get("/api/v1/web/session").status_code == 401


def test_a_foreign_id_token_hint_is_refused(client, signed_in):
    from cryptography.hazmat.primitives.asymmetric import ec

    # Signed as the gateway would, but with a key that is not in its JWKS.
    other = jwt.encode({"aud": "x"}, ec.generate_private_key(ec.SECP256R1()), algorithm="ES256")
    assert client.get("/oidc/logout", query_string={"id_token_hint": other}).status_code == 400


def test_signing_out_of_the_gateway_sends_a_logout_token(app, client, signed_in, delivered):
    rp, tokens = signed_in
    csrf = client.get("/api/v1/web/session").get_json()["csrf_token"]
    assert client.post("/api/v1/web/sign-out", headers={"X-CSRF-Token": csrf}).status_code == 204
    (url, form), = delivered
    assert url == BACKCHANNEL
    header = jwt.get_unverified_header(form["logout_token"])
    assert header["typ"] == "logout+jwt"
    claims = app.extensions["gateway"].signer.verify(form["logout_token"], audience=rp.client_id,
                                                     typ="logout+jwt")
    id_claims = jwt.decode(tokens["id_token"], options={"verify_signature": False})
    assert claims["sub"] == id_claims["sub"] and claims["sid"] == id_claims["sid"]
    assert "http://schemas.openid.net/event/backchannel-logout" in claims["events"]
    assert "nonce" not in claims
    assert _userinfo(app, tokens).status_code == 401


def test_signing_out_after_the_tokens_expired_still_ends_the_applications_session(
        app, client, signed_in, delivered, clock):
    rp, tokens = signed_in
    clock.advance(hours=2)  # the access token expired; the relying party's session did not
    csrf = client.get("/api/v1/web/session").get_json()["csrf_token"]
    assert client.post("/api/v1/web/sign-out", headers={"X-CSRF-Token": csrf}).status_code == 204
    (url, form), = delivered
    claims = app.extensions["gateway"].signer.verify(form["logout_token"], audience=rp.client_id,
                                                     typ="logout+jwt")
    id_claims = jwt.decode(tokens["id_token"], options={"verify_signature": False})
    assert url == BACKCHANNEL and claims["sid"] == id_claims["sid"]


def _alice(app):
    from gateway.identity.accounts import find_user
    return find_user(app.extensions["gateway"].store, "alice")


def test_an_admin_ending_the_session_ends_the_applications_sign_in(app, signed_in, delivered):
    rp, tokens = signed_in
    gateway = app.extensions["gateway"]
    user = _alice(app)
    session, = gateway.identity.administration.overview(user.id).sessions
    gateway.identity.administration.end_session(user.id, session.handle, actor="admin")
    assert _userinfo(app, tokens).status_code == 401
    (url, form), = delivered
    claims = gateway.signer.verify(form["logout_token"], audience=rp.client_id,
                                   typ="logout+jwt")
    id_claims = jwt.decode(tokens["id_token"], options={"verify_signature": False})
    assert url == BACKCHANNEL and claims["sid"] == id_claims["sid"]


@pytest.mark.parametrize("how", ["reset", "disable"])
def test_a_password_reset_or_disabling_ends_every_application_token(app, signed_in, delivered,
                                                                    how):
    rp, tokens = signed_in
    gateway = app.extensions["gateway"]
    user = _alice(app)
    if how == "reset":
        gateway.identity.administration.reset_password(user.id, actor="admin")
    else:
        gateway.identity.administration.set_disabled(user.id, True, actor="admin")
    assert _userinfo(app, tokens).status_code == 401
    assert not gateway.oidc.tokens.end_sign_in(user_id=user.id)  # none left alive
    claims = [gateway.signer.verify(form["logout_token"], audience=rp.client_id,
                                    typ="logout+jwt") for _, form in delivered]
    assert any("sid" not in c for c in claims)  # every session of the user at the client


def test_only_an_id_token_of_this_session_signs_out_without_asking(app, client, signed_in,
                                                                     phone):
    from datetime import timedelta

    from gateway.oidc import id_tokens, logout
    from gateway.oidc.signins import SignIn

    rp, tokens = signed_in
    gateway = app.extensions["gateway"]
    alice = _alice(app).id
    mallory = SignIn("mallory-id", 1, ("qr",), "acr", None)
    hints = {
        "another user's ID token": id_tokens.id_token(gateway.signer, client_id=rp.client_id,
                                                      sign_in=mallory, claims={}),
        "a logout token": logout.logout_token(gateway.signer, client_id=rp.client_id,
                                              user_id=alice, sid=None),
        "a device token": gateway.signer.issue({"sub": alice}, audience="companion",
                                               lifetime=timedelta(minutes=5), typ="at+jwt"),
        "an ID token for no client": gateway.signer.issue(
            {"sub": alice, "auth_time": 1}, audience="no-such-client",
            lifetime=timedelta(minutes=5)),
    }
    for what, hint in hints.items():
        page = client.get("/oidc/logout", query_string={
            "id_token_hint": hint, "post_logout_redirect_uri": AFTER})
        assert page.status_code == 200 and b'id="sign-out"' in page.data, what
        assert client.get("/api/v1/web/session").status_code == 200, what  # still signed in


def test_changing_the_password_elsewhere_ends_the_applications_sign_in(app, signed_in,
                                                                       delivered):
    from gateway.identity.password_change import Changer
    from tests.support import PASSWORD

    rp, tokens = signed_in
    gateway = app.extensions["gateway"]
    user = _alice(app)
    gateway.identity.password_changes.change_password(
        user.id, current=PASSWORD, new="a brand new passphrase 42", sign_out_others=True,
        by=Changer(session_hash="another-browser"))
    assert _userinfo(app, tokens).status_code == 401
    (url, form), = delivered
    claims = gateway.signer.verify(form["logout_token"], audience=rp.client_id,
                                   typ="logout+jwt")
    assert url == BACKCHANNEL and "sid" in claims
