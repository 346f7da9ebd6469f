"""Agreement 1.1: account information is managed by the user."""

import pytest


@pytest.fixture
def alice(actions):
    actions.create_user("alice")
    return actions.device_sign_in()


def test_1_1_the_user_changes_display_name_email_and_phone(client, alice):
    response = client.patch("/api/v1/me", headers=alice.headers, json={
        "display_name": "Alice A.", "email": "alice@example.com", "phone": "+86 138 0000 0000"})
    assert response.status_code == 200
    me = client.get("/api/v1/me", headers=alice.headers).get_json()
    assert (me["display_name"], me["email"], me["phone"]) == (
        "Alice A.", "alice@example.com", "+86 138 0000 0000")


@pytest.mark.parametrize("change", [{"email": "not-an-email"}, {"phone": "call me"},
                                    {"display_name": ""}, {"role": "admin"}])
def test_1_1_invalid_profile_values_are_refused_and_nothing_changes(client, alice, change):
    response = client.patch("/api/v1/me", headers=alice.headers, json=change)
    assert response.status_code == 422
    me = client.get("/api/v1/me", headers=alice.headers).get_json()
    assert me["display_name"] == "alice" and me["role"] == "user"


def test_1_1_changing_the_password_can_sign_out_the_other_devices(client, actions, alice):
    tablet = actions.device_sign_in(device_id="tablet-0002")
    response = client.post("/api/v1/me/password", headers=alice.headers, json={
        "current_password": "correct horse battery", "new_password": "another long secret",
        "sign_out_other_devices": True})
    assert response.status_code == 204
    assert client.get("/api/v1/me", headers=tablet.headers).status_code == 401
    assert client.get("/api/v1/me", headers=alice.headers).status_code == 200
