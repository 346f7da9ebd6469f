import pytest

from gateway.core.errors import Forbidden, TokenInvalid
from gateway.identity import integrations


@pytest.fixture
def admin_headers(actions):
    actions.create_user("root", role="admin")
    return actions.web_sign_in("root")


def test_an_admin_creates_a_key_shown_once_and_stored_hashed(app, client, admin_headers):
    created = client.post("/api/v1/admin/integrations", headers=admin_headers,
                          json={"name": "bi-server", "scopes": ["reports:write"]})
    assert created.status_code == 201
    key = created.get_json()["key"]
    assert key.startswith("gwk_")
    listed = client.get("/api/v1/admin/integrations").get_json()
    assert "key" not in listed["integrations"][0]
    svc = app.extensions["gateway"]
    assert integrations.authenticate(svc.store, svc.clock, key, "reports:write").name == "bi-server"
    with pytest.raises(Forbidden):
        integrations.authenticate(svc.store, svc.clock, key, "push:send")


def test_a_revoked_key_stops_working_at_once(app, client, admin_headers):
    created = client.post("/api/v1/admin/integrations", headers=admin_headers,
                          json={"name": "bi-server", "scopes": ["push:send"]}).get_json()
    revoked = client.delete(f"/api/v1/admin/integrations/{created['id']}", headers=admin_headers)
    assert revoked.status_code == 200 and revoked.get_json()["revoked_at"]
    svc = app.extensions["gateway"]
    with pytest.raises(TokenInvalid):
        integrations.authenticate(svc.store, svc.clock, created["key"], "push:send")


def test_unknown_scopes_and_taken_names_are_refused(client, admin_headers):
    bad = client.post("/api/v1/admin/integrations", headers=admin_headers,
                      json={"name": "x", "scopes": ["everything"]})
    assert bad.status_code == 400
    client.post("/api/v1/admin/integrations", headers=admin_headers,
                json={"name": "bi", "scopes": ["push:send"]})
    taken = client.post("/api/v1/admin/integrations", headers=admin_headers,
                        json={"name": "bi", "scopes": ["push:send"]})
    assert taken.status_code == 409


def test_users_cannot_manage_keys(client, actions):
    actions.create_user("alice")
    headers = actions.web_sign_in("alice")
    assert client.post("/api/v1/admin/integrations", headers=headers,
                       json={"name": "x", "scopes": ["push:send"]}).status_code == 403


def test_the_scopes_are_explained_in_the_reader_s_language(client, admin_headers):
    from gateway.core.catalogues import translate

    english = client.get("/api/v1/admin/integrations",
                         headers={"Accept-Language": "en"}).get_json()["scopes"]
    chinese = client.get("/api/v1/admin/integrations",
                         headers={"Accept-Language": "zh-CN"}).get_json()["scopes"]
    assert english == integrations.SCOPES
    assert chinese == {scope: translate("zh", meaning)
                       for scope, meaning in integrations.SCOPES.items()}
    assert chinese["push:send"] != english["push:send"]
