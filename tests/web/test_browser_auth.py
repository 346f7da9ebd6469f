import pytest


@pytest.fixture
def alice(actions):
    return actions.create_user("alice")


def session_cookie(client):
    return client.get_cookie("__Host-gw_session")


def test_sign_in_sets_a_host_only_httponly_lax_cookie(client, alice):
    response = client.post("/api/v1/web/sign-in",
                           json={"username": "alice", "password": "correct horse battery"})
    assert response.status_code == 200
    cookie = response.headers["Set-Cookie"]
    assert cookie.startswith("__Host-gw_session=")
    for attribute in ("Secure", "HttpOnly", "SameSite=Lax", "Path=/"):
        assert attribute in cookie
    assert "Domain" not in cookie


def test_the_session_tells_who_is_signed_in_and_its_csrf_token(client, actions, alice):
    headers = actions.web_sign_in()
    body = client.get("/api/v1/web/session").get_json()
    assert body["user"]["username"] == "alice"
    assert body["csrf_token"] == headers["X-CSRF-Token"]


def test_sign_in_makes_a_new_session_id_and_ends_the_old_one(client, actions, alice):
    actions.web_sign_in()
    before = session_cookie(client).value
    actions.web_sign_in()
    after = session_cookie(client).value
    assert before != after
    client.set_cookie("__Host-gw_session", before)
    assert client.get("/api/v1/web/session").status_code == 401


def test_state_changes_without_the_csrf_token_are_refused(client, actions, alice):
    actions.web_sign_in()
    for headers in ({}, {"X-CSRF-Token": "forged"}):
        response = client.post("/api/v1/web/sign-out", headers=headers)
        assert response.status_code == 403
        assert response.get_json()["type"].endswith("csrf-failed")
    assert client.get("/api/v1/web/session").status_code == 200


def test_sign_out_with_the_csrf_token_ends_the_session(client, actions, alice):
    headers = actions.web_sign_in()
    assert client.post("/api/v1/web/sign-out", headers=headers).status_code == 204
    assert client.get("/api/v1/web/session").status_code == 401


def test_the_session_expires(client, actions, alice, clock):
    actions.web_sign_in()
    clock.advance(hours=12)
    assert client.get("/api/v1/web/session").status_code == 401


def test_admin_endpoints_need_an_admin(client, actions, alice):
    actions.create_user("root", role="admin")
    headers = actions.web_sign_in("alice")
    assert client.get("/api/v1/admin/users").status_code == 403
    headers = actions.web_sign_in("root")
    created = client.post("/api/v1/admin/users", headers=headers, json={
        "username": "carol", "password": "long enough password", "groups": ["finance"]})
    assert created.status_code == 201
    assert created.get_json()["groups"] == ["finance"]
    names = [u["username"] for u in client.get("/api/v1/admin/users").get_json()["users"]]
    assert names == ["alice", "carol", "root"]
    regroup = client.put(f"/api/v1/admin/users/{created.get_json()['id']}/groups",
                         headers=headers, json={"groups": ["sales", "finance"]})
    assert regroup.get_json()["groups"] == ["finance", "sales"]


def test_a_taken_username_is_a_conflict(client, actions, alice):
    actions.create_user("root", role="admin")
    headers = actions.web_sign_in("root")
    response = client.post("/api/v1/admin/users", headers=headers,
                           json={"username": "alice", "password": "long enough password"})
    assert response.status_code == 409
    assert response.mimetype == "application/problem+json"


def test_a_plain_http_deployment_uses_a_plain_cookie_name(app, settings, clock):
    from gateway import create_app
    from tests.support import Actions

    http_app = create_app(settings.replace(public_url="http://127.0.0.1:8000"), clock=clock)
    client = http_app.test_client()
    Actions(http_app, client).create_user("dave")
    response = client.post("/api/v1/web/sign-in",
                           json={"username": "dave", "password": "correct horse battery"})
    assert response.headers["Set-Cookie"].startswith("gw_session=")
    assert "Secure" not in response.headers["Set-Cookie"]
    http_app.extensions["gateway"].store.dispose()
