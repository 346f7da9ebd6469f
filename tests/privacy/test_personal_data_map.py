"""The personal-data map (agreement 2.2 and the rights of the user): it covers every
column that refers to a person, the export holds every row about the user, and deleting
the account leaves no row from which they could be found again."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import Column, ForeignKey, MetaData, String, Table

from gateway.build import personal_data
from gateway.core.settings import Settings
from gateway.schema import metadata
from tests.privacy import lifecycle_support as support

pytestmark = pytest.mark.push_service


@pytest.fixture
def settings(settings):
    return support.with_partner(settings)


def test_every_column_about_a_person_is_in_the_map():
    assert support.uncovered(personal_data()) == []


def test_the_map_names_real_columns_and_settings():
    fields = {f.name for f in Settings.__dataclass_fields__.values()}
    for holding in personal_data():
        assert holding.table.name in metadata.tables
        assert holding.covered <= set(holding.table.columns.keys()), holding.table.name
        assert holding.kept, holding.table.name
        assert {c.setting for c in holding.retention} <= fields


def test_a_column_the_map_forgets_is_found():
    extra = Table("scratch", MetaData(), Column("id", String, primary_key=True),
                  Column("owner", ForeignKey("users.id")), Column("email", String))
    assert support.referring_columns(extra) == ["owner"]
    assert support.telling_columns(extra) == ["email"]


# Columns whose values point at one person (quasi-identifiers such as the model included).
IDENTIFYING = ("username", "display_name", "email", "phone", "app_device_id", "model",
               "last_ip", "latitude", "longitude", "wifi_bssid", "wifi_ssid", "endpoint",
               "public_key", "audience")


def _device_ids(dumped, user_id):
    return {row["id"] for row in dumped.get("devices", ())}


def test_the_export_holds_every_row_about_the_user(app, client, actions, clock, kit):
    phone, _ = support.everything(app, actions, client, clock, kit)
    svc = app.extensions["gateway"]
    dumped = support.dump(svc.store, phone.user_id, set())
    dumped = support.dump(svc.store, phone.user_id, _device_ids(dumped, phone.user_id))
    # Every function left its rows.
    for table in ("qr_logins", "enrollments", "preview_grants", "preview_links", "reports",
                  "push_subscriptions", "push_deliveries", "device_locations", "web_sessions",
                  "notices_served", "policy_acknowledgements", "disclosures", "consent_events",
                  "operations", "token_families", "push_inbox_messages", "oidc_codes",
                  "oidc_tokens"):
        assert dumped.get(table), table
    document = client.get("/api/v1/me/export", headers=phone.headers).get_json()
    data_map = personal_data()
    missing = []
    for table, rows in dumped.items():
        holdings = data_map.of(table)
        assert holdings and holdings[0].section, f"{table} is not exported"
        secret = set().union(*(h.secret for h in holdings))
        section = json.dumps(document[holdings[0].section], ensure_ascii=False)
        for row in rows:
            for name, value in row.items():
                if name in secret:
                    continue
                missing += [(table, name, leaf) for leaf in support.leaves(value)
                            if leaf not in section and leaf != phone.user_id]
    assert missing == [], "\n".join(map(str, missing))


def test_deleting_the_account_leaves_nothing_that_finds_the_user_again(
        app, client, actions, clock, kit):
    phone, _ = support.everything(app, actions, client, clock, kit)
    svc = app.extensions["gateway"]
    before = support.dump(svc.store, phone.user_id, set())
    device_ids = _device_ids(before, phone.user_id)
    before = support.dump(svc.store, phone.user_id, device_ids)
    assert before.get("push_inbox_messages")  # her inbox goes too (checked below)
    data_map = personal_data()
    # What says who she is: the identifying values of her rows that Bob's do not share.
    hers = {leaf for rows in before.values() for row in rows for name in IDENTIFYING
            if name in row for leaf in support.leaves(row[name])}
    bob, _ = kit.device("bob", device_id="bobs-phone-0001")
    common = {leaf for rows in support.dump(svc.store, bob.user_id, {bob.device_id}).values()
              for row in rows for value in row.values() for leaf in support.leaves(value)}
    telling = {leaf for leaf in hers - common if len(leaf) >= 3}
    assert {"alice", "alice@example.com", "Alice-Home-5G", "alice-phone-4242"} <= telling
    response = client.post("/api/v1/me/delete", headers=phone.headers,
                           json={"password": "correct horse battery"})
    assert response.status_code == 200, response.get_json()
    after = support.dump(svc.store, phone.user_id, device_ids)
    # Only pseudonymous evidence still refers to her random ids ...
    kept = {h.table.name for h in data_map if h.erasure == "keep"}
    assert set(after) <= kept, set(after) - kept
    # ... and no row anywhere holds what would say who she was.
    found = sorted({(table, leaf) for table, leaf in support.values(svc.store)
                    if leaf in telling})
    assert found == [], "\n".join(map(str, found))
