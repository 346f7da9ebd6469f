"""Helpers the OpenID Provider's tests share: a registered relying party, PKCE pairs, and
the whole authorization code flow driven over HTTP (the browser on one test client, the
phone confirming with its device key on another)."""

from __future__ import annotations

import base64
import hashlib
import secrets
from dataclasses import dataclass
from urllib.parse import parse_qs, urlsplit

from tests.qrlogin_support import proof, start, token_of

REDIRECT = "https://bi.example.com/oauth-authorized/gateway"
QR = "/api/v1/qr-logins"


@dataclass
class RelyingParty:
    client_id: str
    secret: str | None
    redirect_uri: str = REDIRECT


def register(gateway, *, public=False, consent=False, scopes=None, **fields) -> RelyingParty:
    client, secret = gateway.oidc.clients.register(
        name=fields.pop("name", "Superset"), redirect_uris=fields.pop("redirect_uris", [REDIRECT]),
        scopes=scopes or ["openid", "profile", "email", "phone", "groups", "offline_access"],
        public=public, consent=consent, **fields)
    return RelyingParty(client.id, secret, client.redirect_uris[0])


def pkce() -> tuple[str, str]:
    """A code verifier and its S256 challenge."""
    verifier = secrets.token_urlsafe(48)
    challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest())
    return verifier, challenge.rstrip(b"=").decode()


def query_of(location: str) -> dict:
    return {name: values[0] for name, values in parse_qs(urlsplit(location).query).items()}


def authorize_params(rp: RelyingParty, challenge: str | None = None, **extra) -> dict:
    params = {"response_type": "code", "client_id": rp.client_id, "redirect_uri": rp.redirect_uri,
              "scope": "openid profile email groups", "state": "st-1", "nonce": "n-1"}
    if challenge:
        params.update(code_challenge=challenge, code_challenge_method="S256")
    params.update(extra)
    return {name: value for name, value in params.items() if value is not None}


def phone_confirms(browser, phone_client, phone, clock, request_id: str) -> dict:
    """Start the QR login for the waiting request *request_id* in *browser*, scan and
    confirm it on the phone, redeem it; returns the phone's scan answer."""
    started = start(browser, **({"oidc": request_id} if request_id else {}))
    scanned = phone_client.post(f"{QR}/scan", headers=phone.headers,
                                json={"token": token_of(started), "via": "link"}).get_json()
    number = browser.get(f"{QR}/{started['id']}").get_json()["number"]
    confirmed = phone_client.post(f"{QR}/{started['id']}/confirm", headers=phone.headers, json={
        "number": number, "proof": proof(phone, started["id"], number, clock)})
    assert confirmed.status_code == 200, confirmed.get_json()
    redeemed = browser.post(f"{QR}/{started['id']}/redeem",
                            headers={"X-CSRF-Token": started["csrf_token"]})
    assert redeemed.status_code == 200, redeemed.get_json()
    return scanned


def sign_in_for_code(browser, phone_client, phone, clock, params: dict) -> tuple[str, dict]:
    """The whole front channel: authorize, the login page, the phone, back to the client.
    Returns the code and the phone's scan answer."""
    first = browser.get("/oidc/authorize", query_string=params)
    assert first.status_code == 302, first.data
    assert first.headers["Location"].startswith("/login?oidc="), first.headers["Location"]
    request_id = query_of(first.headers["Location"])["oidc"]
    clock.advance(seconds=1)  # the sign-in comes after the request (prompt=login counts on it)
    scanned = phone_confirms(browser, phone_client, phone, clock, request_id)
    back = browser.get(f"/oidc/continue/{request_id}")
    assert back.status_code == 302, back.data
    answer = query_of(back.headers["Location"])
    assert back.headers["Location"].startswith(params["redirect_uri"]), back.headers["Location"]
    assert answer.get("state") == params.get("state")
    return answer["code"], scanned


def redeem_code(client, rp: RelyingParty, code: str, verifier: str | None = None,
                how: str = "basic"):
    form = {"grant_type": "authorization_code", "code": code, "redirect_uri": rp.redirect_uri}
    if verifier:
        form["code_verifier"] = verifier
    headers = {}
    if rp.secret is None:
        form["client_id"] = rp.client_id
    elif how == "basic":
        pair = base64.b64encode(f"{rp.client_id}:{rp.secret}".encode()).decode()
        headers["Authorization"] = f"Basic {pair}"
    else:
        form.update(client_id=rp.client_id, client_secret=rp.secret)
    return client.post("/oidc/token", data=form, headers=headers)
