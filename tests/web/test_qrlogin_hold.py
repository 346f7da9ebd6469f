"""A phone that opens a login's link while signed out holds the login while it signs in:
the code on the screen rotates meanwhile, the hold does not, and it still needs the number."""

from __future__ import annotations

import pytest

from gateway.core.qrcodes import ROTATION
from gateway.qrlogin.logins import LIFETIME
from tests.problems import assert_problem
from tests.qrlogin_support import start, token_of

API = "/api/v1/qr-logins"
SIGNING_IN = ROTATION * 3  # a new user choosing a password takes a while


@pytest.fixture
def started(client):
    return start(client)


def hold(client, token):
    return client.post(f"{API}/hold", json={"token": token})


def test_a_hold_taken_before_signing_in_scans_after_the_code_has_rotated(
        client, actions, clock, started):
    held = hold(client, token_of(started))
    assert held.status_code == 200
    assert held.get_json()["expires_in"] == int(LIFETIME.total_seconds())
    clock.advance(SIGNING_IN.total_seconds())
    actions.create_user("alice")
    phone = actions.device_sign_in()
    # The token alone has been replaced by now...
    assert_problem(client.post(f"{API}/scan", headers=phone.headers,
                               json={"token": token_of(started)}), 410, "qr-token-replaced")
    # ...the hold taken on it has not.
    scanned = client.post(f"{API}/scan", headers=phone.headers,
                          json={"hold": held.get_json()["hold"]})
    assert scanned.status_code == 200, scanned.get_json()
    assert scanned.get_json()["id"] == started["id"] and len(scanned.get_json()["choices"]) == 3
    assert client.get(f"{API}/{started['id']}").get_json()["state"] == "scanned"


def test_taking_a_hold_changes_nothing_the_computer_sees(client, started):
    hold(client, token_of(started))
    assert client.get(f"{API}/{started['id']}").get_json()["state"] == "pending"


def test_no_hold_on_a_replaced_code_nor_after_the_login_ended(client, clock, started):
    clock.advance((ROTATION * 2).total_seconds())
    assert_problem(hold(client, token_of(started)), 410, "qr-token-replaced")
    fresh = start(client)
    clock.advance(LIFETIME.total_seconds() + 1)
    assert hold(client, token_of(fresh)).status_code in (409, 410)


def test_a_hold_lasts_no_longer_than_its_login(client, actions, clock, started):
    held = hold(client, token_of(started)).get_json()["hold"]
    clock.advance(LIFETIME.total_seconds() + 1)
    actions.create_user("alice")
    phone = actions.device_sign_in()
    answer = client.post(f"{API}/scan", headers=phone.headers, json={"hold": held})
    assert answer.status_code == 410, answer.get_json()


@pytest.mark.parametrize("forged", [
    "0123456789abcdef0123456789abcdef.AAAAAAAAAAAAAAAAAAAAAAAA",
    "nothing-like-a-hold-at-all.x",
])
def test_a_forged_hold_is_unknown(client, actions, started, forged):
    actions.create_user("alice")
    phone = actions.device_sign_in()
    assert_problem(client.post(f"{API}/scan", headers=phone.headers, json={"hold": forged}),
                   404, "qr-token-unknown")


def test_a_scan_sends_a_token_or_a_hold_not_both_nor_neither(client, actions, started):
    actions.create_user("alice")
    phone = actions.device_sign_in()
    held = hold(client, token_of(started)).get_json()["hold"]
    for body in ({}, {"token": token_of(started), "hold": held}):
        assert_problem(client.post(f"{API}/scan", headers=phone.headers, json=body),
                       422, "validation-failed")
