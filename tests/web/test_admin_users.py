"""The admin console's user administration over HTTP: find, create with a one-time password,
disable and enable, reset a password, change a role, see and end a user's sign-ins."""

from __future__ import annotations

import pytest

from tests.problems import assert_problem

PASSWORD = "correct horse battery"
USERS = "/api/v1/admin/users"


@pytest.fixture
def admin(actions):
    actions.create_user("root", role="admin")
    return actions.web_sign_in("root")


def sign_in(client, username, password=PASSWORD):
    return client.post("/api/v1/web/sign-in", json={"username": username, "password": password})


def test_find_matches_part_of_a_username_name_or_email_and_shows_disabled_users(
        client, actions, admin):
    actions.create_user("alice", display_name="Alice Wang", email="alice@example.cn")
    actions.create_user("bob", display_name="Bob Li")
    actions.create_user("percent", display_name="100% sure")
    found = lambda q: [u["username"] for u in client.get(USERS, query_string={"q": q},  # noqa: E731
                                                          headers=admin).get_json()["users"]]
    assert found("WANG") == ["alice"]
    assert found("example.cn") == ["alice"]
    assert found("%") == ["percent"]  # a wildcard is a letter like any other
    assert found("") == ["alice", "bob", "percent", "root"]
    client.post(f"{USERS}/{actions.svc_user('bob').id}/disable", headers=admin)
    (bob,) = [u for u in client.get(USERS, headers=admin).get_json()["users"]
              if u["username"] == "bob"]
    assert bob["disabled"] is True


def test_a_user_made_without_a_password_gets_a_one_time_password_shown_once(client, admin):
    made = client.post(USERS, headers=admin, json={"username": "carol"})
    assert made.status_code == 201
    password = made.get_json()["one_time_password"]
    assert made.get_json()["must_change_password"] is True
    browser = client.application.test_client()
    assert sign_in(browser, "carol", password).status_code == 200
    # Until it is replaced the account can do nothing else.
    assert browser.get("/api/v1/web/session").get_json()["user"]["must_change_password"]
    listed = client.get(USERS, headers=admin).get_data(as_text=True)
    assert password not in listed
    chosen = client.post(USERS, headers=admin, json={"username": "dan", "password": PASSWORD})
    assert chosen.get_json()["one_time_password"] is None


def test_a_disabled_user_is_signed_out_everywhere_and_cannot_sign_in_until_enabled(
        app, client, actions, admin):
    alice = actions.create_user("alice")
    browser = app.test_client()
    actions.web_sign_in("alice", client=browser)
    phone = actions.device_sign_in("alice")
    assert client.post(f"{USERS}/{alice.id}/disable", headers=admin).get_json()["disabled"]
    assert browser.get("/api/v1/web/session").status_code == 401
    refreshed = client.post("/api/v1/auth/refresh", json={"refresh_token": phone.refresh_token})
    assert refreshed.status_code == 401
    assert sign_in(app.test_client(), "alice").status_code == 401
    assert not client.post(f"{USERS}/{alice.id}/enable", headers=admin).get_json()["disabled"]
    assert sign_in(app.test_client(), "alice").status_code == 200


def test_an_administrator_cannot_disable_themself_nor_leave_the_gateway_without_one(
        client, actions, admin):
    root = actions.svc_user("root")
    assert_problem(client.post(f"{USERS}/{root.id}/disable", headers=admin), 409, "conflict")
    assert_problem(client.put(f"{USERS}/{root.id}/role", headers=admin, json={"role": "user"}),
                   409, "conflict")
    other = actions.create_user("second", role="admin")
    assert client.put(f"{USERS}/{root.id}/role", headers=admin,
                      json={"role": "user"}).status_code == 200
    # root is a user now, so the admin API is closed to it; "second" is the last admin.
    assert client.get(USERS, headers=admin).status_code == 403
    other_browser = client.application.test_client()
    headers = {"X-CSRF-Token": sign_in(other_browser, "second").get_json()["csrf_token"]}
    assert_problem(other_browser.post(f"{USERS}/{other.id}/disable", headers=headers),
                   409, "conflict")


def test_a_reset_password_replaces_the_old_one_and_signs_the_user_out(app, client, actions,
                                                                       admin):
    alice = actions.create_user("alice")
    browser = app.test_client()
    actions.web_sign_in("alice", client=browser)
    reset = client.post(f"{USERS}/{alice.id}/password-reset", headers=admin)
    password = reset.get_json()["one_time_password"]
    assert browser.get("/api/v1/web/session").status_code == 401
    assert sign_in(app.test_client(), "alice").status_code == 401
    fresh = app.test_client()
    assert sign_in(fresh, "alice", password).status_code == 200
    assert fresh.get("/api/v1/web/session").get_json()["user"]["must_change_password"]


def test_the_overview_shows_devices_sessions_and_sign_ins_and_ends_them(app, client, actions,
                                                                      admin):
    alice = actions.create_user("alice")
    browser = app.test_client()
    actions.web_sign_in("alice", client=browser)
    phone = actions.device_sign_in("alice")
    seen = client.get(f"{USERS}/{alice.id}", headers=admin).get_json()
    assert [d["id"] for d in seen["devices"]] == [phone.device_id]
    assert {s["action"] for s in seen["sign_ins"]} == {"browser.signed-in", "device.signed-in"}
    (session,) = seen["sessions"]
    ended = client.delete(f"{USERS}/{alice.id}/sessions/{session['handle']}", headers=admin)
    assert ended.status_code == 204
    assert browser.get("/api/v1/web/session").status_code == 401
    assert_problem(client.delete(f"{USERS}/{alice.id}/sessions/{session['handle']}",
                                 headers=admin), 404, "not-found")
    revoked = client.delete(f"{USERS}/{alice.id}/devices/{phone.device_id}", headers=admin)
    assert revoked.get_json()["revoked_at"]
    assert client.post("/api/v1/auth/refresh",
                       json={"refresh_token": phone.refresh_token}).status_code == 401


def test_changes_are_in_the_operation_log_with_who_made_them(app, client, actions, admin):
    from gateway.core import audit

    alice = actions.create_user("alice")
    client.post(f"{USERS}/{alice.id}/disable", headers=admin)
    client.post(f"{USERS}/{alice.id}/enable", headers=admin)
    client.post(f"{USERS}/{alice.id}/password-reset", headers=admin)
    client.put(f"{USERS}/{alice.id}/role", headers=admin, json={"role": "admin"})
    store = app.extensions["gateway"].store
    with store.read() as connection:
        done = [(o.action, o.actor, o.subject) for o in audit.recent(connection)
                if o.subject == alice.id]
    root = actions.svc_user("root").id
    assert [action for action, _, _ in done] == [
        "account.role-changed", "account.password-reset", "account.enabled", "account.disabled"]
    assert {(actor, subject) for _, actor, subject in done} == {(root, alice.id)}


def test_bad_input_changes_nothing(client, actions, admin):
    alice = actions.create_user("alice")
    assert_problem(client.put(f"{USERS}/{alice.id}/role", headers=admin,
                              json={"role": "owner"}), 422, "validation-failed")
    assert_problem(client.post(f"{USERS}/nobody/disable", headers=admin), 404, "not-found")
    assert client.get(f"{USERS}/{alice.id}", headers=admin).get_json()["user"]["role"] == "user"
