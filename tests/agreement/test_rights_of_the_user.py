"""The user's rights: export everything, delete the account, revoke devices."""

import pytest
from sqlalchemy import inspect, select

from gateway.push.tables import deliveries, subscriptions
from gateway.schema import metadata


@pytest.fixture
def alice(actions):
    actions.create_user("alice", email="alice@example.com", groups=("finance",))
    return actions.device_sign_in()


def test_rights_export_contains_my_account_devices_and_activity(client, alice):
    response = client.get("/api/v1/me/export", headers=alice.headers)
    assert response.status_code == 200
    document = response.get_json()
    assert document["account"]["email"] == "alice@example.com"
    assert document["account"]["groups"] == ["finance"]
    assert [d["model"] for d in document["devices"]] == ["Pixel 9"]
    assert any(op["action"] == "device.signed-in" for op in document["activity"])
    assert "password_hash" not in str(document)


def test_rights_export_holds_nothing_of_another_user(client, actions, alice):
    actions.create_user("bob", email="bob@example.com")
    actions.device_sign_in("bob", device_id="bobs-phone-1")
    document = client.get("/api/v1/me/export", headers=alice.headers).get_json()
    assert "bob" not in str(document).lower()


def test_rights_deletion_needs_the_password(client, alice):
    response = client.post("/api/v1/me/delete", headers=alice.headers, json={"password": "nope"})
    assert response.status_code == 401
    assert client.get("/api/v1/me", headers=alice.headers).status_code == 200


def personal_values(app, values):
    """Every (table, column) in which any of *values* still appears."""
    found = []
    store = app.extensions["gateway"].store
    with store.read() as connection:
        for table in metadata.sorted_tables:
            for row in connection.execute(select(table)):
                for column, value in row._mapping.items():
                    if any(v in str(value) for v in values):
                        found.append((table.name, column))
    return found


def test_rights_deletion_leaves_no_personal_data_in_any_table(app, client, actions, alice):
    actions.create_user("bob")
    actions.device_sign_in("bob", device_id="bobs-phone-1")
    client.patch("/api/v1/me", headers=alice.headers, json={"phone": "+86 138 0000 1111"})
    response = client.post("/api/v1/me/delete", headers=alice.headers,
                           json={"password": "correct horse battery"})
    assert response.status_code == 200
    parts = response.get_json()["parts"]
    assert parts["account"] == 1 and parts["devices.removed"] == 1
    assert personal_values(app, ["alice", "alice@example.com", "+86 138 0000 1111",
                                 "phone-0001"]) == []
    # Bob is untouched, and Alice's tokens are dead.
    assert personal_values(app, ["bob"]) != []
    assert client.get("/api/v1/me", headers=alice.headers).status_code == 401


def test_rights_deletion_is_idempotent(app, alice):
    from gateway.privacy import rights

    svc = app.extensions["gateway"]
    erasures = svc.reactions.erasures
    assert rights.delete_account(svc.store, svc.clock, alice.user_id, erasures)["account"] == 1
    assert rights.delete_account(svc.store, svc.clock, alice.user_id, erasures) == {"account": 0}


def test_rights_every_table_is_covered_by_the_schema(app):
    names = set(inspect(app.extensions["gateway"].store.engine).get_table_names())
    assert set(metadata.tables) <= names


def test_rights_export_carries_consents_with_receipts_sign_ins_and_previews(client, actions, alice):
    import jwt

    actions.grant(alice, "camera")
    document = client.get("/api/v1/me/export", headers=alice.headers).get_json()
    (decision,) = document["consents"]
    assert decision["purpose"] == "camera" and decision["decision"] == "granted"
    assert jwt.get_unverified_header(decision["receipt"])["alg"] == "ES256"
    assert [s["action"] for s in document["sign_ins"]] == ["device.signed-in"]
    assert document["previews"] == []


def push_rows(app, table, user_id: str) -> list:
    with app.extensions["gateway"].store.read() as connection:
        return connection.execute(select(table).where(table.c.user_id == user_id)).all()


@pytest.mark.push_service
def test_rights_my_push_data_is_exported_and_erased_with_the_account(app, client, kit):
    phone, _ = kit.device("carol")
    kit.send("carol")
    kit.drain()
    document = client.get("/api/v1/me/export", headers=phone.headers).get_json()
    assert [s["device_id"] for s in document["push"]["subscriptions"]] == [phone.device_id]
    assert [d["state"] for d in document["push"]["deliveries"]] == ["delivered"]
    response = client.post("/api/v1/me/delete", headers=phone.headers,
                           json={"password": "correct horse battery"})
    assert response.status_code == 200
    assert response.get_json()["parts"]["push_deliveries.removed"] == 1
    assert push_rows(app, deliveries, phone.user_id) == []
    assert push_rows(app, subscriptions, phone.user_id) == []


@pytest.mark.push_service
def test_rights_revoking_a_device_removes_its_push_subscription(app, client, kit):
    lost, _ = kit.device("carol")
    kept, _ = kit.device("carol")
    assert client.delete(f"/api/v1/devices/{lost.device_id}",
                         headers=kept.headers).status_code == 200
    assert [row.device_id for row in push_rows(app, subscriptions, kept.user_id)] == [
        kept.device_id]


@pytest.fixture
def everything(app, client, actions, clock, kit):
    """Alice has used every function (``tests.privacy.lifecycle_support.everything``)."""
    from tests.privacy.lifecycle_support import everything

    return everything(app, actions, client, clock, kit)[0]


@pytest.fixture
def settings(settings):
    from tests.privacy.lifecycle_support import with_partner

    return with_partner(settings)


@pytest.mark.push_service
def test_rights_the_export_holds_what_every_function_kept(client, everything):
    document = client.get("/api/v1/me/export", headers=everything.headers).get_json()
    for section in ("qr_logins", "browser_sessions", "notices_served", "enrollments",
                    "policy_acknowledgements", "reports_owned", "preview_links",
                    "preview_grants", "locations", "disclosures", "device_sign_ins",
                    "application_sign_ins", "application_tokens"):
        assert document[section], section
    assert document["qr_logins"][0]["browser"] == "Firefox 133"
    (subscription,) = document["push"]["subscriptions"]
    assert subscription["endpoint"].startswith("http")
    assert subscription["push_service"] == "the push service at 127.0.0.1"  # the test's own


@pytest.mark.push_service
def test_rights_deletion_leaves_no_name_beside_my_random_id(app, client, everything):
    from gateway.push.tables import notifications
    from gateway.qrlogin.tables import qr_logins

    response = client.post("/api/v1/me/delete", headers=everything.headers,
                           json={"password": "correct horse battery"})
    assert response.status_code == 200
    with app.extensions["gateway"].store.read() as connection:
        audiences = connection.execute(select(notifications.c.audience)).scalars().all()
        logins = connection.execute(select(qr_logins)).all()
    assert audiences and all("alice" not in str(a) for a in audiences)
    assert [row for row in logins if row.user_id == everything.user_id] == []
