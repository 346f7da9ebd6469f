"""A browser session's CSRF token is stored only as its hash, like every other secret, and
the token still guards every state change (also after the page reloads and asks again)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import column, insert, inspect, select, table

from gateway.core.store.types import UTCDateTime
from gateway.core.tokens import digest
from gateway.identity.tables import users, web_sessions


@pytest.fixture
def alice(actions):
    return actions.create_user("alice")


def _stored_sessions(app) -> list[dict]:
    with app.extensions["gateway"].store.read() as connection:
        return [dict(row._mapping) for row in connection.execute(select(web_sessions))]


def test_the_store_keeps_the_hash_of_the_csrf_token_not_the_token(app, actions, alice):
    token = actions.web_sign_in()["X-CSRF-Token"]
    [row] = _stored_sessions(app)
    assert token not in [str(value) for value in row.values()]
    assert row["csrf_hash"] == digest(token)


def test_the_token_told_again_after_a_reload_still_guards_state_changes(client, actions,
                                                                       alice):
    signed_in = actions.web_sign_in()["X-CSRF-Token"]
    told_again = client.get("/api/v1/web/session").get_json()["csrf_token"]
    assert told_again == signed_in
    for wrong in ({}, {"X-CSRF-Token": "forged"}, {"X-CSRF-Token": digest(signed_in)}):
        assert client.post("/api/v1/web/sign-out", headers=wrong).status_code == 403
    assert client.post("/api/v1/web/sign-out",
                       headers={"X-CSRF-Token": told_again}).status_code == 204


def test_each_session_has_its_own_token(app, actions, alice):
    first = actions.web_sign_in(client=app.test_client())["X-CSRF-Token"]
    second = actions.web_sign_in(client=app.test_client())["X-CSRF-Token"]
    assert first != second
    assert sorted(row["csrf_hash"] for row in _stored_sessions(app)) == sorted(
        (digest(first), digest(second)))


def test_the_migration_hashes_stored_tokens_and_ends_the_sessions_they_belong_to(app, clock):
    before = table("web_sessions", *(column(name) for name in (
        "id_hash", "user_id", "csrf_token", "method")),
        column("created_at", UTCDateTime()), column("expires_at", UTCDateTime()))
    store = app.extensions["gateway"].store
    store.downgrade("0002")
    assert "csrf_token" in [c["name"] for c in inspect(store.engine).get_columns("web_sessions")]
    with store.write() as connection:
        connection.execute(insert(users).values(
            id="u1", username="alice", display_name="Alice", role="user",
            password_hash="x", created_at=clock.now(), must_change_password=False))
        connection.execute(insert(before).values(
            id_hash="h1", user_id="u1", csrf_token="plain-token", method="password",
            created_at=clock.now(), expires_at=clock.now() + timedelta(hours=1)))
    store.upgrade()
    [row] = _stored_sessions(app)
    assert row["csrf_hash"] == digest("plain-token") and row["revoked_at"] is not None
