"""What fuzzing the API found, each kept fixed: the gateway reads requests as strictly as
its OpenAPI document describes them, and no id in a path can overflow the database."""

from __future__ import annotations

import pytest

from tests.problems import assert_problem
from tests.push_support import push_settings
from tests.qrlogin_support import start


@pytest.fixture
def settings(settings):
    return push_settings(settings)


@pytest.fixture
def admin(actions):
    actions.create_user("root", role="admin")
    return actions.web_sign_in("root")


@pytest.mark.parametrize("alert_id", [str(2**31), str(2**63 - 1), "9" * 40])
def test_an_id_too_large_for_any_id_column_is_not_found(client, admin, alert_id):
    # It used to reach the driver: an OverflowError on SQLite, a DataError on PostgreSQL.
    assert_problem(client.post(f"/api/v1/admin/push/alerts/{alert_id}/resolve", headers=admin),
                   404)


def test_the_document_states_the_bound_of_integer_path_parameters(client):
    document = client.get("/openapi.json").get_json()
    operation = document["paths"]["/api/v1/admin/push/alerts/{alert_id}/resolve"]["post"]
    [parameter] = [p for p in operation["parameters"] if p["name"] == "alert_id"]
    assert parameter["schema"] == {"type": "integer", "minimum": 0, "maximum": 2**31 - 1}


@pytest.mark.parametrize("ttl", [False, True, "60", 60.5, None])
def test_a_body_value_of_another_json_type_is_refused_not_converted(client, admin, ttl):
    # JSON false is not the number 0, nor "60" the number 60: the schema says integer.
    body = assert_problem(client.put("/api/v1/admin/push/topics/news", headers=admin,
                                     json={"title": "News", "ttl": ttl}), 422)
    assert [e["field"] for e in body["errors"]] == ["ttl"]
    assert client.get("/api/v1/admin/push/topics").get_json()["topics"] == []


def test_a_whole_number_written_with_a_fraction_of_zero_is_an_integer(client, admin):
    # JSON Schema's "integer" is any number without a fractional part: 60.0 and 6e1 too.
    for name, ttl in (("a", "60.0"), ("b", "6e1")):
        response = client.put(f"/api/v1/admin/push/topics/{name}", headers=admin,
                              data=f'{{"title": "News", "ttl": {ttl}}}',
                              content_type="application/json")
        assert response.status_code == 200 and response.get_json()["ttl"] == 60


def test_a_date_time_in_the_body_must_be_written_as_one(client, actions):
    actions.create_user("alice")
    actions.publish_policy()
    phone = actions.device_sign_in()
    shown = client.get("/api/v1/consents/camera/notice", headers=phone.headers).get_json()
    decision = {"purpose": "camera", "decision": "granted", "language": shown["language"],
                "policy_version": shown["policy_version"], "notice_hash": shown["hash"]}
    body = assert_problem(client.post("/api/v1/consents", headers=phone.headers,
                                      json={**decision, "client_time": 1764331200}), 422)
    assert [e["field"] for e in body["errors"]] == ["client_time"]
    accepted = client.post("/api/v1/consents", headers=phone.headers,
                           json={**decision, "client_time": "2026-11-28T12:00:00Z"})
    assert accepted.status_code == 201, accepted.get_json()


@pytest.mark.parametrize("before", ["0.5", "1764331200", "yesterday"])
def test_a_date_time_in_the_query_must_be_written_as_one(client, admin, before):
    body = assert_problem(client.get(f"/api/v1/admin/push/notifications?before={before}"), 422)
    assert [e["field"] for e in body["errors"]] == ["before"]
    found = client.get("/api/v1/admin/push/notifications?before=2026-11-28T12:00:00Z")
    assert found.status_code == 200, found.get_json()


def test_text_with_a_nul_character_is_refused_before_it_reaches_the_store(client, admin):
    # PostgreSQL cannot hold U+0000 in text: it used to answer 500 there.
    body = assert_problem(client.post("/api/v1/qr-logins", json={"nonce": "a\x00b"}), 422)
    assert body["errors"] == [{"field": "nonce", "code": "string_nul",
                               "message": "text may not contain the NUL character (U+0000)"}]
    sent = {"audience": {"kind": "users", "users": ["root", "x\x00"]}, "title": "Hello"}
    body = assert_problem(client.post("/api/v1/admin/push/notifications", headers=admin,
                                      json=sent), 422)
    assert [e["field"] for e in body["errors"]] == ["audience.users.1"]
    assert client.get("/api/v1/admin/push/notifications").get_json()["notifications"] == []


def test_a_nul_character_in_the_query_or_the_path_is_refused(client, actions):
    actions.create_user("alice")
    phone = actions.device_sign_in()
    body = assert_problem(client.get("/api/v1/consents/history?purpose=cam%00era",
                                     headers=phone.headers), 422)
    assert [e["field"] for e in body["errors"]] == ["purpose"]
    assert_problem(client.delete("/api/v1/consents/cam%00era", headers=phone.headers), 404)
    assert_problem(client.get("/api/v1/reports/sales%00q3"), 404)


def test_an_event_stream_matches_the_event_schema_of_the_document(client, clock):
    import schemathesis

    started = start(client)
    clock.advance(seconds=300)  # over: the stream sends the final state and ends
    response = client.get(f"/api/v1/qr-logins/{started['id']}/events")
    assert response.mimetype == "text/event-stream" and b"event: expired" in response.data
    schema = schemathesis.openapi.from_dict(client.get("/openapi.json").get_json())
    assert schema["/api/v1/qr-logins/{login_id}/events"]["GET"].is_valid_response(response)
