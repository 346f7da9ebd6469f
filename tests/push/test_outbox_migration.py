"""Migration 0025 (the deliveries lose the foreign keys and indexes of their subscription
and device ids) keeps every row on the way up, and on the way down does what those
foreign keys' actions would have done meanwhile."""

from __future__ import annotations

from sqlalchemy import insert, inspect, select

from gateway.identity.tables import devices, users
from gateway.push.tables import deliveries, notifications


def _a_delivery(connection, now, *, subscription_id: str, device_id: str) -> None:
    connection.execute(insert(deliveries).values(
        notification_id="n1", subscription_id=subscription_id, user_id="u1",
        device_id=device_id, origin="https://push.example.net", state="delivered",
        attempts=1, next_attempt_at=now, expires_at=now, trimmed=False, updated_at=now))


def _setup(connection, now) -> None:
    connection.execute(insert(users).values(
        id="u1", username="alice", display_name="Alice", role="user", password_hash="x",
        must_change_password=False, created_at=now))
    connection.execute(insert(devices).values(
        id="d1", user_id="u1", app_device_id="a1", model="Pixel 9", os="Android",
        os_version="16", app_version="3.2.0", created_at=now, last_seen_at=now))
    connection.execute(insert(notifications).values(
        id="n1", sender_kind="admin", sender_id="a", request_hash="h", audience={},
        title="Report", body="Ready", ttl=60, urgency="normal", send_at=now, expires_at=now,
        created_at=now))


def _indexed(store) -> set[str]:
    return {column for index in inspect(store.engine).get_indexes("push_deliveries")
            for column in index["column_names"]}


def test_the_way_up_keeps_the_rows_and_drops_the_random_key_indexes(app, clock):
    store = app.extensions["gateway"].store
    store.downgrade("0022")
    assert {"subscription_id", "device_id"} <= _indexed(store)
    with store.write() as connection:
        _setup(connection, clock.now())
        _a_delivery(connection, clock.now(), subscription_id=None, device_id="d1")
    store.upgrade()
    assert not {"subscription_id", "device_id"} & _indexed(store)
    assert inspect(store.engine).get_foreign_keys("push_deliveries") and not [
        key for key in inspect(store.engine).get_foreign_keys("push_deliveries")
        if key["constrained_columns"][0] in ("subscription_id", "device_id")]
    with store.read() as connection:
        assert connection.execute(select(deliveries.c.device_id)).scalars().all() == ["d1"]


def test_the_way_down_forgets_removed_subscriptions_and_drops_rows_of_removed_devices(
        app, clock):
    store = app.extensions["gateway"].store
    with store.write() as connection:
        _setup(connection, clock.now())
        _a_delivery(connection, clock.now(), subscription_id="a-removed-one", device_id="d1")
        _a_delivery(connection, clock.now(), subscription_id=None, device_id="a-removed-one")
    store.downgrade("0022")
    with store.read() as connection:
        rows = connection.execute(select(deliveries.c.subscription_id,
                                         deliveries.c.device_id)).all()
    assert [tuple(row) for row in rows] == [(None, "d1")]
    store.upgrade()
