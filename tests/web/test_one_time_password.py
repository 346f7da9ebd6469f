"""A one-time password (the first admin's, from ``flask init``) is good for one thing:
choosing a real password. Until then every sign-in made with it, browser or device, may
change the password, ask who it is and sign out, and gets ``password-change-required``
from everything else (the authorisation matrix checks every endpoint; these tests follow
the whole way through)."""

from __future__ import annotations

import pytest

ONE_TIME = "one-time-secret"
NEW = "my very own password"


@pytest.fixture
def admin(actions):
    return actions.create_user("root", password=ONE_TIME, role="admin", must_change_password=True)


def refused(response) -> bool:
    return (response.status_code == 403
            and response.get_json()["type"].endswith("password-change-required"))


def change(client, csrf: dict, current: str = ONE_TIME, new: str = NEW):
    return client.post("/api/v1/web/password", headers=csrf,
                       json={"current_password": current, "new_password": new})


def test_a_browser_with_a_one_time_password_may_only_change_it(client, actions, admin):
    csrf = actions.web_sign_in("root", ONE_TIME)
    session = client.get("/api/v1/web/session")
    assert session.status_code == 200 and session.get_json()["user"]["must_change_password"]
    assert refused(client.post("/api/v1/admin/integrations", headers=csrf,
                               json={"name": "bi", "scopes": ["push:send"]}))
    assert refused(client.get("/api/v1/admin/users"))

    changed = change(client, csrf)
    assert changed.status_code == 200, changed.get_json()
    assert changed.get_json()["user"]["must_change_password"] is False
    created = client.post("/api/v1/admin/integrations", headers=csrf,
                          json={"name": "bi", "scopes": ["push:send"]})
    assert created.status_code == 201, created.get_json()


def test_signing_in_twice_with_it_does_not_help(app, client, actions, admin):
    first, second = app.test_client(), app.test_client()
    actions.web_sign_in("root", ONE_TIME, client=first)
    csrf = actions.web_sign_in("root", ONE_TIME, client=second)
    assert refused(first.get("/api/v1/admin/users")) and refused(second.get("/api/v1/admin/users"))
    assert change(second, csrf).status_code == 200
    # Whoever else used the one-time password is signed out by the change, not promoted.
    assert first.get("/api/v1/admin/users").status_code == 401
    assert second.get("/api/v1/admin/users").status_code == 200


def test_the_one_time_password_stops_working_once_changed(client, actions, admin):
    csrf = actions.web_sign_in("root", ONE_TIME)
    assert change(client, csrf).status_code == 200
    assert client.post("/api/v1/web/sign-in",
                       json={"username": "root", "password": ONE_TIME}).status_code == 401
    assert client.post("/api/v1/web/sign-in",
                       json={"username": "root", "password": NEW}).status_code == 200


def test_the_change_needs_the_current_password_a_new_one_and_the_csrf_token(
        client, actions, admin):
    csrf = actions.web_sign_in("root", ONE_TIME)
    assert change(client, csrf, current="wrong password").status_code == 401
    assert change(client, csrf, new=ONE_TIME).status_code == 400  # the same again
    assert change(client, csrf, new="short").status_code == 422
    assert change(client, {}).get_json()["type"].endswith("csrf-failed")
    assert refused(client.get("/api/v1/admin/users"))


def test_a_device_with_a_one_time_password_may_only_change_it(client, actions, admin):
    browser = actions.web_sign_in("root", ONE_TIME)  # noqa: F841  (signed in beforehand)
    phone = actions.device_sign_in("root", ONE_TIME)
    me = client.get("/api/v1/me", headers=phone.headers)
    assert me.status_code == 200 and me.get_json()["must_change_password"]
    assert refused(client.get("/api/v1/devices", headers=phone.headers))
    assert refused(client.post("/api/v1/qr-logins/code", headers=phone.headers,
                               json={"code": "000000"}))

    changed = client.post("/api/v1/me/password", headers=phone.headers,
                          json={"current_password": ONE_TIME, "new_password": NEW})
    assert changed.status_code == 204, changed.get_json()
    assert client.get("/api/v1/devices", headers=phone.headers).status_code == 200
    # The browser that signed in with the one-time password is out.
    assert client.get("/api/v1/web/session").status_code == 401


def test_a_device_with_a_one_time_password_can_sign_out(client, actions, admin):
    phone = actions.device_sign_in("root", ONE_TIME)
    assert client.post("/api/v1/auth/sign-out", headers=phone.headers).status_code == 204
    assert client.get("/api/v1/me", headers=phone.headers).status_code == 401


def test_an_ordinary_password_change_keeps_the_other_sign_ins(app, client, actions):
    actions.create_user("alice")
    other = app.test_client()
    actions.web_sign_in(client=other)
    csrf = actions.web_sign_in()
    assert change(client, csrf, current="correct horse battery").status_code == 200
    assert other.get("/api/v1/web/session").status_code == 200
