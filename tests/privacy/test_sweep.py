"""The housekeeper's sweep of ended flows (``gateway.privacy.sweep``): what has passed its
retention goes, in batches of bounded size, and nothing younger."""

from __future__ import annotations

from sqlalchemy import event, func, insert, select

from gateway.core.tokens import new_id
from gateway.enrollment.tables import enrollments
from gateway.identity.tables import used_device_proofs
from gateway.privacy.housekeeping import Housekeeper
from gateway.privacy.sweep import sweep_ended_flows
from gateway.qrlogin.tables import qr_login_tokens, qr_logins
from tests.qrlogin_support import DESKTOP


def count(store, table) -> int:
    with store.read() as connection:
        return connection.execute(select(func.count()).select_from(table)).scalar_one()


def test_ended_logins_go_with_their_tokens_once_past_their_retention(gateway, clock):
    for _ in range(3):
        gateway.qrlogin.browser.start(DESKTOP)
    clock.advance(minutes=59)  # ended (120 s) but within the hour they are kept
    assert sweep_ended_flows(gateway.store, clock, gateway.settings) == 0
    clock.advance(minutes=4)
    assert sweep_ended_flows(gateway.store, clock, gateway.settings) == 3
    assert count(gateway.store, qr_logins) == 0 and count(gateway.store, qr_login_tokens) == 0


def test_a_live_login_is_left_alone(gateway, clock):
    gateway.qrlogin.browser.start(DESKTOP)
    clock.advance(hours=2)
    live = gateway.qrlogin.browser.start(DESKTOP)
    assert sweep_ended_flows(gateway.store, clock, gateway.settings) == 1
    assert gateway.qrlogin.browser.status(live.login.id, live.browser_secret).state == "pending"


def test_rows_go_in_batches_of_bounded_size_each_its_own_transaction(gateway, clock):
    for _ in range(5):
        gateway.qrlogin.browser.start(DESKTOP)
    clock.advance(hours=2)
    deletes = []
    engine = gateway.store.engine

    def seen(conn, cursor, statement, parameters, context, executemany):
        if statement.lstrip().upper().startswith("DELETE FROM QR_LOGINS"):
            deletes.append(statement)

    event.listen(engine, "before_cursor_execute", seen)
    try:
        assert sweep_ended_flows(gateway.store, clock, gateway.settings, batch=2) == 5
    finally:
        event.remove(engine, "before_cursor_execute", seen)
    assert len(deletes) == 3  # 2 + 2 + 1
    assert count(gateway.store, qr_logins) == 0


def test_ended_offers_and_used_proofs_go_too(gateway, clock, people):
    alice = people.create_user("alice")
    now = clock.now()
    with gateway.store.write() as connection:
        connection.execute(insert(used_device_proofs).values(
            device_id=new_id(), jti="a" * 16, used_at=now))
    gateway.enrollment.offers.offer(user_id=alice.id, session_hash="0" * 64)
    clock.advance(hours=1, minutes=5)
    assert sweep_ended_flows(gateway.store, clock, gateway.settings) == 2
    assert count(gateway.store, enrollments) == 0 and count(gateway.store, used_device_proofs) == 0


def test_the_housekeepers_round_sweeps(gateway, clock):
    gateway.qrlogin.browser.start(DESKTOP)
    clock.advance(hours=2)
    assert Housekeeper(gateway).sweep_once() == 1
    assert count(gateway.store, qr_logins) == 0


def test_the_retention_setting_decides_how_long_ended_flows_stay(gateway, clock):
    from dataclasses import replace

    gateway.qrlogin.browser.start(DESKTOP)
    clock.advance(hours=2)
    longer = replace(gateway.settings, retain_ended_flow_hours=3)
    assert sweep_ended_flows(gateway.store, clock, longer) == 0
    clock.advance(hours=2)
    assert sweep_ended_flows(gateway.store, clock, longer) == 1
