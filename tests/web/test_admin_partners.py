"""The partner systems as the administration lists them: terms, webhook host, whose consent
covers the current terms and whose is stale after a change, and the disclosures made."""

from __future__ import annotations

import pytest

from gateway import create_app
from gateway.privacy import partners
from tests.problems import assert_problem
from tests.support import Actions

TERMS = {"webhook_url": "https://crm.example/hook", "fields": ["username", "email"],
         "recipient": "CRM Ltd", "contact": "privacy@crm.example", "purpose": "support"}


@pytest.fixture
def gateway(settings, clock):
    app = create_app(settings.replace(partners=("crm", "erp")), clock=clock)
    client = app.test_client()
    actions = Actions(app, client)
    actions.create_user("root", role="admin")
    yield app, client, actions, actions.web_sign_in("root")
    app.extensions["gateway"].store.dispose()


def listed(client, admin, name="crm", **headers) -> dict:
    body = client.get("/api/v1/admin/partners", headers={**admin, **headers}).get_json()
    return {p["name"]: p for p in body["partners"]}[name] | {"_list": body}


def test_each_partner_is_listed_with_its_terms_and_webhook_host(gateway):
    app, client, actions, admin = gateway
    assert client.put("/api/v1/admin/partners/crm", headers=admin, json=TERMS).status_code == 204
    crm = listed(client, admin)
    assert (crm["recipient"], crm["contact"], crm["purpose"]) == (
        "CRM Ltd", "privacy@crm.example", "support")
    assert crm["fields"] == ["email", "username"] and crm["webhook_host"] == "crm.example"
    assert crm["complete"] and crm["configured"]
    erp = listed(client, admin, "erp")
    assert not erp["complete"] and erp["recipient"] is None and erp["fields"] == []
    zh = listed(client, admin, **{"Accept-Language": "zh-CN"})["_list"]
    assert zh["field_names"]["email"] == "电子邮箱"
    assert set(zh["purpose_names"]) == set(zh["purposes"])


def test_changing_the_terms_makes_the_current_grants_stale(gateway):
    app, client, actions, admin = gateway
    client.put("/api/v1/admin/partners/crm", headers=admin, json=TERMS)
    actions.create_user("alice")
    alice = actions.device_sign_in("alice")
    actions.grant(alice, "partner_sharing:crm")
    crm = listed(client, admin)
    assert (crm["grants"], crm["stale_grants"]) == (1, 0)
    client.put("/api/v1/admin/partners/crm", headers=admin,
               json={**TERMS, "fields": ["username", "email", "phone"]})
    crm = listed(client, admin)
    assert (crm["grants"], crm["stale_grants"]) == (0, 1)
    # Saving the same terms again changes nothing.
    actions.grant(alice, "partner_sharing:crm")
    client.put("/api/v1/admin/partners/crm", headers=admin,
               json={**TERMS, "fields": ["username", "email", "phone"]})
    assert (listed(client, admin)["grants"], listed(client, admin)["stale_grants"]) == (1, 0)


def test_disclosures_are_counted_with_the_newest_listed(gateway):
    app, client, actions, admin = gateway
    client.put("/api/v1/admin/partners/crm", headers=admin, json=TERMS)
    actions.create_user("alice")
    alice = actions.device_sign_in("alice")
    actions.grant(alice, "partner_sharing:crm")
    svc = app.extensions["gateway"]
    for _ in range(7):
        partners.share(svc.store, svc.clock, svc.catalogue, partner="crm", user_id=alice.user_id,
                       reason="support", send=lambda url, body: 204)
    crm = listed(client, admin)
    assert crm["disclosures"] == 7 and len(crm["recent"]) == 5
    assert crm["recent"][0] == {**crm["recent"][0], "outcome": "delivered",
                                "fields": ["email", "username"]}
    assert "alice" not in str(crm["recent"])  # the list says what went, not about whom


def test_a_purpose_off_the_list_is_refused_naming_the_field(gateway):
    app, client, actions, admin = gateway
    response = client.put("/api/v1/admin/partners/crm", headers=admin,
                          json={**TERMS, "purpose": "advertising"})
    problem = assert_problem(response, 422)
    assert any(e["field"] == "purpose" for e in problem["errors"])


def test_the_page_is_for_admins_only(gateway):
    app, client, actions, admin = gateway
    assert client.get("/admin/partners").status_code == 200
    actions.create_user("alice")
    actions.web_sign_in("alice")
    assert client.get("/admin/partners").status_code == 403
