"""Writing a policy version from the administration: both languages required (the refusal
names the missing field), what it would change and whom it would ask again, published
versions read in each reader's language, and the first agreement in both."""

from __future__ import annotations

import pytest

from gateway import consent
from gateway.consent import first_policy
from tests.problems import assert_problem
from tests.support import Actions, both_json

TEXTS = {"zh": {"summary": "位置信息保存更久", "text": "协议第二版。"},
         "en": {"summary": "Positions kept longer", "text": "The agreement, second version."}}


@pytest.fixture
def admin(actions):
    actions.create_user("root", role="admin")
    return actions.web_sign_in("root")


@pytest.mark.parametrize("language, part", [("zh", "text"), ("en", "text"), ("zh", "summary"),
                                            ("en", "summary")])
def test_publishing_is_refused_while_a_language_lacks_its_text_naming_the_field(
        client, admin, language, part):
    texts = {code: dict(words) for code, words in TEXTS.items()}
    texts[language][part] = "  "
    response = client.post("/api/v1/admin/policies", headers=admin,
                           json={"version": "2.0", "texts": texts})
    problem = assert_problem(response, 400, "invalid-request")
    assert problem["field"] == f"texts.{language}.{part}"
    assert client.get("/api/v1/policies").get_json()["policies"] == []  # nothing published


def test_a_language_left_out_altogether_is_refused_too(client, admin):
    response = client.post("/api/v1/admin/policies", headers=admin,
                           json={"version": "2.0", "texts": {"en": TEXTS["en"]}})
    problem = assert_problem(response, 400)
    assert problem["field"] == "texts.zh.text"
    assert "Chinese" in problem["detail"]


def test_the_refusal_is_told_in_the_admins_language(client, admin):
    response = client.post("/api/v1/admin/policies", json={"version": "2.0", "texts": {}},
                           headers={**admin, "Accept-Language": "zh-CN"})
    assert "中文" in assert_problem(response, 400)["detail"]


def test_a_published_version_is_read_in_each_readers_language(client, admin):
    published = client.post("/api/v1/admin/policies", headers=admin,
                            json={"version": "2.0", "texts": TEXTS})
    assert published.status_code == 201, published.get_json()
    zh = client.get("/api/v1/policy?lang=zh-CN").get_json()
    en = client.get("/api/v1/policy", headers={"Accept-Language": "en-GB"}).get_json()
    assert (zh["language"], zh["text"], zh["summary"]) == ("zh", "协议第二版。", "位置信息保存更久")
    assert (en["language"], en["text"]) == ("en", "The agreement, second version.")
    assert zh["texts"] == en["texts"] and set(zh["texts"]) == {"zh", "en"}
    assert zh["text_hash"] == en["text_hash"]  # one version, one record of both languages
    listed = client.get("/api/v1/policies?lang=zh").get_json()["policies"]
    assert listed[0]["text"] == "协议第二版。"


def test_the_first_agreement_is_in_both_languages(app, client):
    svc = app.extensions["gateway"]
    first_policy.publish_first(svc.store, svc.clock, svc.catalogue)
    zh = client.get("/api/v1/policy?lang=zh").get_json()
    en = client.get("/api/v1/policy?lang=en").get_json()
    assert zh["text"] == first_policy.CHINESE and en["text"] == first_policy.ENGLISH
    assert (zh["summary"], en["summary"]) == ("首个版本", "First version")
    with svc.store.read() as connection:
        assert consent.verify_texts(connection) == []


def test_the_preview_names_the_changes_partners_and_users_asked_again(
        app, client, actions, settings, clock):
    actions.publish_policy()
    actions.create_user("alice")
    alice = actions.device_sign_in("alice")
    actions.grant(alice, "camera")
    actions.create_user("bob")
    bob = actions.device_sign_in("bob")
    actions.grant(bob, "camera", decision="refused")
    actions.grant(bob, "push")
    actions.create_user("root", role="admin")
    admin = actions.web_sign_in("root")
    preview = client.post("/api/v1/admin/policies/preview", headers=admin,
                          json={"version": "2.0", "changes": ["camera"]})
    assert preview.status_code == 200, preview.get_json()
    found = preview.get_json()
    assert found["changes"] == ["camera"] and found["computed"] == []
    # Alice granted the camera, Bob refused it: both decided, both are asked again; only
    # Alice loses a permission meanwhile. Bob's push grant is untouched.
    assert (found["users_asked_again"], found["users_losing_grants"]) == (2, 1)
    assert {(n["purpose"], n["language"]) for n in found["notices"]} == {
        ("camera", "zh"), ("camera", "en")}
    assert all("2.0" in n["text"] for n in found["notices"])
    nothing = client.post("/api/v1/admin/policies/preview", headers=admin, json={}).get_json()
    assert (nothing["changes"], nothing["users_asked_again"]) == ([], 0)
    unknown = client.post("/api/v1/admin/policies/preview", headers=admin,
                          json={"changes": ["telepathy"]})
    assert_problem(unknown, 404)


def test_the_preview_counts_what_publishing_then_asks_again(client, actions):
    actions.publish_policy()
    actions.create_user("alice")
    alice = actions.device_sign_in("alice")
    actions.grant(alice, "location")
    actions.create_user("root", role="admin")
    admin = actions.web_sign_in("root")
    before = client.post("/api/v1/admin/policies/preview", headers=admin,
                         json={"version": "2.0", "changes": ["location"]}).get_json()
    assert before["users_losing_grants"] == 1
    client.post("/api/v1/admin/policies", headers=admin, json={
        "version": "2.0", "texts": both_json("Location", "Agreement 2.0"),
        "changes": ["location"]})
    states = {s["purpose"]: s for s in client.get(
        "/api/v1/consents", headers=alice.headers).get_json()["purposes"]}
    assert not states["location"]["granted"] and states["location"]["needs_decision"]
    # Alice's grant is stale now: a later version asks her again only once she decides.
    after = client.get("/api/v1/admin/policies/changes", headers=admin).get_json()
    assert after == {"changes": [], "users_asked_again": 0, "users_losing_grants": 0}


def test_the_preview_names_a_partner_whose_sharing_it_changes(app_with_partner):
    app, client = app_with_partner
    actions = Actions(app, client)
    actions.publish_policy()
    actions.create_user("root", role="admin")
    admin = actions.web_sign_in("root")
    found = client.post("/api/v1/admin/policies/preview", headers=admin,
                        json={"changes": ["partner_sharing:crm"]}).get_json()
    assert found["partners"] == ["crm"]


@pytest.fixture
def app_with_partner(settings, clock):
    from gateway import create_app

    app = create_app(settings.replace(partners=("crm",)), clock=clock)
    yield app, app.test_client()
    app.extensions["gateway"].store.dispose()


def test_the_admin_page_is_for_admins_only(client, actions, admin):
    assert client.get("/admin/policies").status_code == 200
    actions.create_user("alice")
    actions.web_sign_in("alice")
    assert client.get("/admin/policies").status_code == 403


def test_the_api_is_documented(client):
    document = client.get("/openapi.json").get_json()
    assert "post" in document["paths"]["/api/v1/admin/policies/preview"]
    schemas = document["components"]["schemas"]
    assert "texts" in schemas["NewPolicyIn"]["properties"]
    assert "users_asked_again" in schemas["PolicyChangesOut"]["properties"]
