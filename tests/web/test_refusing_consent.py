"""Refusing a consent "will only prevent you from using the corresponding function"
(agreement 1.4, 1.5): with every consent refused, everything that needs no purpose works,
and what needs one answers consent-required.

Add a function to these tables with one line: its method, path and body, where "{name}"
is filled from the context (the refusing device's tokens, or what ``given`` set up).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import pytest

from tests.support import device_description


@dataclass(frozen=True)
class Call:
    method: str
    path: str
    body: dict | None = None
    expect: int = 200
    given: Callable[[dict], dict] | None = None  # set-up; returns more "{name}" values


def typed_code(context: dict) -> dict:
    """A desktop browser (another client) starts a QR login; the phone types its code."""
    started = context["app"].test_client().post("/api/v1/qr-logins", json={})
    assert started.status_code == 201, started.get_json()
    return {"code": started.get_json()["code"], "token": started.get_json()["qr"].rsplit("/", 1)[1]}


PASSWORD = "correct horse battery"
WORKS_WITHOUT_CONSENT = {
    "sign-in": Call("POST", "/api/v1/auth/sign-in", {
        "username": "alice", "password": PASSWORD, "device": device_description()}),
    "token refresh": Call("POST", "/api/v1/auth/refresh", {"refresh_token": "{refresh_token}"}),
    "browser sign-in": Call("POST", "/api/v1/web/sign-in",
                            {"username": "alice", "password": PASSWORD}),
    "profile": Call("GET", "/api/v1/me"),
    "device list": Call("GET", "/api/v1/devices"),
    "permission settings": Call("GET", "/api/v1/consents"),
    "consent history": Call("GET", "/api/v1/consents/history"),
    "permissions explained": Call("GET", "/api/v1/purposes"),
    "policy": Call("GET", "/api/v1/policy"),
    "typed-code login": Call("POST", "/api/v1/qr-logins/code", {"code": "{code}"},
                             given=typed_code),
    "QR login opened by the phone's own camera app": Call(
        "POST", "/api/v1/qr-logins/scan", {"token": "{token}", "via": "link"}, given=typed_code),
}
NEEDS_CONSENT = {
    "camera": Call("POST", "/api/v1/qr-logins/scan", {"token": "{token}", "via": "app_camera"},
                   expect=403, given=typed_code),
}


@pytest.fixture
def refused_everything(app, actions):
    """Alice's phone, having refused every purpose of the catalogue."""
    actions.create_user("alice", password=PASSWORD)
    device = actions.device_sign_in()
    for purpose in app.extensions["gateway"].catalogue:
        actions.grant(device, purpose.name, "refused")
    states = actions.client.get("/api/v1/consents", headers=device.headers).get_json()
    assert {p["state"] for p in states["purposes"]} == {"refused"}
    return device


def fill(value, names: dict):
    if isinstance(value, str):
        return value.format(**names)
    if isinstance(value, dict):
        return {key: fill(item, names) for key, item in value.items()}
    return value


def call(app, client, device, entry: Call):
    rule = entry.path.split("{")[0].rstrip("/")
    if not any(r.rule.startswith(rule) for r in app.url_map.iter_rules()):
        pytest.skip(f"{entry.path} has not landed yet")
    names = {"refresh_token": device.refresh_token, "app": app}
    if entry.given:
        names.update(entry.given(names))
    return client.open(fill(entry.path, names), method=entry.method, headers=device.headers,
                       json=fill(entry.body, names) if entry.body is not None else None)


@pytest.mark.parametrize("name", WORKS_WITHOUT_CONSENT)
def test_with_every_consent_refused_this_still_works(app, client, refused_everything, name):
    entry = WORKS_WITHOUT_CONSENT[name]
    response = call(app, client, refused_everything, entry)
    assert response.status_code == entry.expect, (name, response.get_json())


@pytest.mark.parametrize("purpose", NEEDS_CONSENT)
def test_a_function_needing_a_refused_consent_names_the_purpose(
        app, client, refused_everything, purpose):
    response = call(app, client, refused_everything, NEEDS_CONSENT[purpose])
    assert response.status_code == 403
    assert response.get_json()["type"].endswith("consent-required")
    assert response.get_json()["purpose"] == purpose
