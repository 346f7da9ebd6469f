"""What happens around a delivery: withdrawal in the middle of a fan-out, device
revocation and sign-out, quiet hours, topic opt-outs, key rotation, crash recovery by
lease, receipts, idempotency, and the SSRF rule enforced again when sending."""

from __future__ import annotations

import asyncio
from dataclasses import replace
from datetime import timedelta

import pytest

from gateway import create_app
from gateway.push import alerts, history, notifications, vapid
from gateway.push.errors import IdempotencyConflict
from gateway.push.notifications import Audience, Draft
from tests.push_support import PushKit, push_settings
from tests.pushservice import PushService, Reply

SCRAPE_TOKEN = "s" * 32


@pytest.fixture
def settings(settings):
    return push_settings(settings, metrics_token=SCRAPE_TOKEN)


@pytest.fixture
def service(clock):
    with PushService(clock) as running:
        yield running


@pytest.fixture
def kit(app, client, service, clock):
    return PushKit(app, client, service, clock)


def _partly(worker, claims: int = 1) -> None:
    """Claim, send and record *claims* rounds only, as a worker interrupted would."""
    async def run():
        async with worker.session():
            worker.expand_due()
            for _ in range(claims):
                await worker.deliver(worker.claim())
                worker.flush()
    asyncio.run(run())


def test_withdrawing_consent_mid_fan_out_suppresses_the_rest(kit, service):
    alice, alice_sub = kit.device("alice")
    _, bob_sub = kit.device("bob")
    sent = [kit.send("alice", "bob", title=f"Update {n}") for n in range(6)]
    worker = kit.worker(options=replace(kit.worker().options, concurrency=2))
    _partly(worker)
    requests_before = alice_sub.requests
    # One claim: a message per sending slot and those made ready ahead.
    assert service.total_requests == worker.capacity(2) == 4
    kit.actions.grant(alice, "push", "withdrawn")
    kit.drain()
    assert alice_sub.requests == requests_before
    assert bob_sub.requests == 6
    rows = [row for n in sent for row in kit.deliveries(n) if row.user_id == alice.user_id]
    suppressed = [row for row in rows if row.state == "suppressed"]
    assert len(suppressed) == 6 - requests_before
    assert all(row.reason == "push consent withdrawn" for row in suppressed)
    assert kit.client.get("/api/v1/push/subscription",
                          headers=alice.headers).status_code in (401, 403, 404)


def _withdraw_after_encrypting(kit, worker, phones, *, batch: int, only=None,
                               client=None) -> dict:
    """Make the *batch*-th encryption of *worker* end with a withdrawal of push consent
    (``DELETE /api/v1/consents/push`` through *client*, answered 200) by each of *phones*
    with a message in that batch (or by *only*): its messages are claimed (``sending``)
    and encrypted, not yet sent.
    Returns what is known once it answered: the devices and the requests each had had."""
    encrypt, seen, known = worker.encrypt, [0], {}

    async def encrypt_then_withdraw(messages):
        bodies = await encrypt(messages)
        seen[0] += 1
        if seen[0] == batch:
            mine = {m.job.device_id for m in messages}
            for device, sub in only or [p for p in phones if p[0].device_id in mine]:
                response = (client or kit.client).delete("/api/v1/consents/push",
                                                       headers=device.headers)
                assert response.status_code == 200 and response.get_json()["withdrawn"]
                known[device.device_id] = (sub, sub.requests)
        return bodies

    worker.encrypt = encrypt_then_withdraw
    return known


@pytest.mark.parametrize("instance", ["the worker's", "another"])
def test_no_push_leaves_after_the_withdrawal_answered_even_if_already_claimed(
        kit, service, settings, clock, instance):
    (alice, alice_sub), (bob, bob_sub) = phones = [kit.device(n) for n in ("alice", "bob")]
    notification = kit.send("alice", "bob")
    worker = kit.worker()
    # Another instance on the same store and keys: nothing in the worker's process hears
    # of the withdrawal, only the store knows.
    other = create_app(settings, clock=clock) if instance == "another" else kit.app
    answered = _withdraw_after_encrypting(kit, worker, phones, batch=1, only=phones[:1],
                                          client=other.test_client())

    async def run():
        async with worker.session():
            worker.expand_due()
            messages = worker.claim()
            assert {m.job.device_id for m in messages} == {alice.device_id, bob.device_id}
            await worker.deliver(messages)
            worker.flush()
    asyncio.run(run())

    assert answered[alice.device_id] == (alice_sub, 0)
    assert alice_sub.requests == 0 and bob_sub.requests == 1
    rows = {row.device_id: row for row in kit.deliveries(notification)}
    assert rows[alice.device_id].state == "suppressed"
    assert rows[alice.device_id].reason == "push consent withdrawn before sending"
    assert rows[bob.device_id].state == "delivered"
    if other is not kit.app:
        other.extensions["gateway"].store.dispose()


def test_withdrawing_mid_fan_out_lets_no_claimed_push_arrive_late(kit, service):
    phones = [kit.device(f"user{n}") for n in range(8)]
    sent = [kit.send(*(f"user{n}" for n in range(8)), title=f"Update {n}") for n in range(3)]
    worker = kit.worker(options=replace(kit.worker().options, concurrency=4))
    # The third batch: the fan-out is under way, earlier messages are delivered or in flight.
    answered = _withdraw_after_encrypting(kit, worker, phones, batch=3)
    kit.drain()

    assert answered, "no withdrawal happened mid-fan-out"
    late = {device_id: sub.requests - before for device_id, (sub, before) in answered.items()}
    assert late == dict.fromkeys(answered, 0)
    rows = [row for n in sent for row in kit.deliveries(n)]
    assert not [row for row in rows if row.state in ("queued", "sending", "retrying")]
    withdrawn = [row for row in rows if row.device_id in answered and row.state != "delivered"]
    assert withdrawn and all(row.state == "suppressed" for row in withdrawn)
    assert service.total_requests == sum(row.state == "delivered" for row in rows)


def test_revoking_the_device_removes_its_subscription_and_queue(kit, service):
    alice, sub = kit.device("alice")
    other, _ = kit.device("alice")
    notification = kit.send("alice")
    kit.worker().expand_due()
    response = kit.client.delete(f"/api/v1/devices/{alice.device_id}", headers=other.headers)
    assert response.status_code == 200
    kit.drain()
    rows = {row.device_id: row for row in kit.deliveries(notification)}
    assert rows[alice.device_id].state == "pruned" and sub.requests == 0
    assert rows[other.device_id].state == "delivered"


def test_signing_out_removes_the_subscription(kit, service):
    alice, sub = kit.device("alice")
    assert kit.client.post("/api/v1/auth/sign-out", headers=alice.headers).status_code == 204
    kit.send("alice")
    kit.drain()
    assert sub.requests == 0 and kit.deliveries() == []


@pytest.mark.parametrize("from_browser", [False, True])
def test_a_password_change_that_signs_the_other_devices_out_removes_their_subscriptions(
        kit, service, from_browser):
    mine, _ = kit.device("alice")
    other, sub = kit.device("alice")
    change = {"current_password": "correct horse battery",
              "new_password": "another long password", "sign_out_other_devices": True}
    if from_browser:
        response = kit.client.post("/api/v1/web/password", json=change,
                                   headers=kit.actions.web_sign_in("alice"))
    else:
        response = kit.client.post("/api/v1/me/password", json=change, headers=mine.headers)
    assert response.status_code in (200, 204), response.get_json()
    kit.send("alice")
    kit.drain()
    assert sub.requests == 0
    assert other.device_id not in {row.device_id for row in kit.deliveries()}


def test_quiet_hours_hold_normal_messages_and_let_urgent_ones_through(kit, service):
    alice, sub = kit.device("alice")
    # 12:00 UTC is 13:00 in Berlin: inside 12:30-14:00, which ends at 13:00 UTC.
    hours = {"starts": "12:30", "ends": "14:00", "timezone": "Europe/Berlin"}
    response = kit.client.put("/api/v1/push/quiet-hours", headers=alice.headers, json=hours)
    assert response.status_code == 200
    normal = kit.send("alice", title="Weekly digest")
    urgent = kit.send("alice", title="Server down", urgency="high")
    short = kit.send("alice", title="Soon stale", ttl=600)
    kit.drain()
    assert [m["title"] for m in sub.messages] == ["Server down"]
    assert kit.states(short) == {"expired": 1}
    [held] = kit.deliveries(normal)
    assert held.state == "queued" and held.next_attempt_at == kit.clock.now() + timedelta(hours=1)
    kit.settle()
    assert kit.states(normal) == {"delivered": 1} and kit.states(urgent) == {"delivered": 1}


def test_a_user_who_opted_out_of_a_topic_gets_none_of_it(kit, service, actions):
    alice, alice_sub = kit.device("alice")
    _, bob_sub = kit.device("bob")
    root = actions.create_user("boss", role="admin")
    headers = actions.web_sign_in("boss")
    kit.client.put("/api/v1/admin/push/topics/reports", headers=headers,
                   json={"title": "Reports", "ttl": 3600, "urgency": "low"})
    assert kit.client.put("/api/v1/push/topics/reports/opt-out",
                          headers=alice.headers).status_code == 204
    notification = kit.send(kind="topic", topic="reports")
    kit.drain()
    assert alice_sub.requests == 0 and len(bob_sub.messages) == 1
    assert bob_sub.headers[0]["Urgency"] == "low" and bob_sub.headers[0]["TTL"] == "3600"
    with kit.svc.store.read() as connection:
        assert notifications.get(connection, notification).skipped == {"opted_out": 1}
    assert root


def test_rotation_keeps_old_subscriptions_working_and_retiring_asks_them_to_resubscribe(
        kit, service):
    old_key = kit.key
    alice, alice_sub = kit.device("alice")
    wrap = kit.app.extensions["gateway"].push.wrap
    vapid.rotate(kit.svc.store, kit.clock, wrap, actor=None)
    new_key = kit.key
    _, bob_sub = kit.device("bob")
    kit.send("alice", "bob")
    kit.drain()
    assert service.refusals == []
    assert f"k={old_key}" in alice_sub.headers[0]["Authorization"]
    assert f"k={new_key}" in bob_sub.headers[0]["Authorization"]
    old_kid = next(k.kid for k in _keys(kit) if k.public_key == old_key)
    vapid.retire(kit.svc.store, kit.clock, old_kid, actor=None)
    status = kit.client.get("/api/v1/push/subscription", headers=alice.headers).get_json()
    assert status["resubscribe"] is True and status["current_key"] == new_key
    waiting = kit.send("alice")
    kit.drain()
    assert kit.states(waiting) == {"retrying": 1} and alice_sub.requests == 1
    renewed = service.subscribe(new_key)
    assert kit.client.put("/api/v1/push/subscription", headers=alice.headers,
                          json=renewed.as_json()).status_code == 200
    kit.settle()
    assert kit.states(waiting) == {"delivered": 1} and len(renewed.messages) == 1


def _keys(kit):
    with kit.svc.store.read() as connection:
        return vapid.list_keys(connection)


def test_a_claim_lost_in_a_crash_is_sent_after_its_lease(kit, service):
    _, sub = kit.device("alice")
    notification = kit.send("alice")
    crashed = kit.worker()
    crashed.expand_due()
    assert len(crashed.claim()) == 1  # ... and the process dies before sending
    fresh = kit.worker(options=crashed.options)
    kit.drain()
    assert kit.states(notification) == {"sending": 1} and sub.requests == 0
    kit.clock.advance(fresh.lease.total_seconds())
    kit.drain()
    [row] = kit.deliveries(notification)
    assert row.state == "delivered" and row.attempts == 2 and service.duplicates() == 0


def test_a_send_not_recorded_before_a_crash_is_sent_again_once(kit, service):
    for index in range(3):
        kit.device(f"user{index}")
    notification = kit.send("user0", "user1", "user2")
    crashed = kit.worker()

    async def send_without_recording():
        async with crashed.session():
            crashed.expand_due()
            await crashed.deliver(crashed.claim())
    asyncio.run(send_without_recording())
    kit.clock.advance(crashed.lease.total_seconds())
    kit.worker(options=crashed.options)
    kit.drain()
    assert kit.states(notification) == {"delivered": 3}
    assert service.duplicates() == 3


def test_the_service_worker_receipt_marks_a_delivery_displayed(kit, service):
    _, sub = kit.device("alice")
    notification = kit.send("alice")
    kit.drain()
    receipt = sub.messages[0]["receipt"]
    assert kit.client.post("/api/v1/push/receipts", json={"receipt": receipt}).status_code == 204
    forged = receipt[:-2] + ("AA" if not receipt.endswith("AA") else "BB")
    answer = kit.client.post("/api/v1/push/receipts", json={"receipt": forged})
    assert answer.status_code == 401 and answer.mimetype == "application/problem+json"
    with kit.svc.store.read() as connection:
        progress = history.progress(connection, [notification])[notification]
    assert progress["displayed"] == 1 and progress["states"]["delivered"] == 1


def test_the_same_idempotency_key_creates_nothing_new(kit):
    draft = Draft(audience=Audience("everyone"), title="Hello", idempotency_key="bi-42")
    first, replayed = notifications.accept(kit.svc.store, kit.clock, draft, sender_kind="admin",
                                           sender_id="x")
    again, replayed_again = notifications.accept(kit.svc.store, kit.clock, draft,
                                                 sender_kind="admin", sender_id="x")
    assert first.id == again.id and not replayed and replayed_again
    with pytest.raises(IdempotencyConflict):
        notifications.accept(kit.svc.store, kit.clock, replace(draft, title="Other"),
                             sender_kind="admin", sender_id="x")


@pytest.mark.parametrize("host", ["127.0.0.1", "localhost"])
def test_an_endpoint_that_resolves_to_a_private_address_is_never_called(kit, service, host):
    _, sub = kit.device("alice")
    sub.endpoint = sub.endpoint.replace("127.0.0.1", host)
    kit.client.put("/api/v1/push/subscription", headers=_.headers, json=sub.as_json())
    notification = kit.send("alice")
    kit.worker(options=replace(kit.worker().options, allow_insecure_local=False))
    kit.drain()
    [row] = kit.deliveries(notification)
    assert row.state == "failed" and sub.requests == 0
    with kit.svc.store.read() as connection:
        assert [a.kind for a in alerts.open_alerts(connection)] == ["unsafe-endpoint"]


def test_metrics_count_outcomes_by_origin_and_time_sends(kit, service):
    kit.device("alice")
    kit.device("bob", script=(Reply(410),))
    kit.send("alice", "bob")
    kit.drain()
    text = kit.client.get("/metrics", headers={"Authorization": f"Bearer {SCRAPE_TOKEN}"}
                          ).get_data(as_text=True)
    origin = service.origin
    assert f'gateway_push_deliveries_total{{origin="{origin}",outcome="delivered"}} 1.0' in text
    assert f'gateway_push_deliveries_total{{origin="{origin}",outcome="pruned"}} 1.0' in text
    assert f'gateway_push_send_latency_seconds_count{{origin="{origin}"}} 2.0' in text
    assert 'gateway_push_queue_depth{state="queued"} 0.0' in text


def test_expansion_goes_chunk_by_chunk_and_resumes_where_a_crash_left_it(kit, service):
    from gateway.push import expansion

    subs = [kit.device(f"user{index}")[1] for index in range(5)]
    notification = kit.send(*[f"user{index}" for index in range(5)])
    assert expansion.expand(kit.svc.store, kit.clock, notification, chunk=2) == 2
    with kit.svc.store.read() as connection:
        halfway = notifications.get(connection, notification)
    assert halfway.expanded_at is None and halfway.expanded_cursor and halfway.recipients == 2
    # ... the worker dies here; the next one resumes at the cursor.
    kit.drain()
    assert kit.states(notification) == {"delivered": 5}
    assert [len(s.messages) for s in subs] == [1] * 5 and service.duplicates() == 0
    with kit.svc.store.read() as connection:
        done = notifications.get(connection, notification)
    assert done.expanded_at is not None and done.recipients == 5
    assert expansion.expand(kit.svc.store, kit.clock, notification) is None
