"""The delivery worker against a local push service that checks VAPID and decrypts every
message: each answer's outcome, retries on the fake clock, consent at dispatch."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta
from email.utils import format_datetime

import pytest
from sqlalchemy import delete

from gateway.push import alerts
from gateway.push.tables import subscriptions
from tests.push_support import SUBJECT
from tests.pushservice import HANG, Reply

pytestmark = pytest.mark.push_service


def test_a_201_is_delivered_encrypted_signed_and_with_explicit_headers(kit, service):
    _, sub = kit.device("alice")
    notification = kit.send("alice", url="/app/", collapse_key="q3-report", ttl=3600,
                            urgency="high")
    kit.drain()
    assert kit.states(notification) == {"delivered": 1}
    assert service.refusals == []
    [message] = sub.messages
    assert message["title"] == "Quarterly report ready" and message["body"] == "Revenue is up 4 %"
    assert message["notification"] == notification and message["receipt"]
    headers = sub.headers[0]
    assert headers["TTL"] == "3600" and headers["Urgency"] == "high"
    assert headers["Topic"] == "q3-report"
    assert headers["Content-Encoding"] == "aes128gcm"


def test_the_vapid_header_is_signed_once_per_key_and_push_service(kit, service):
    for index in range(12):
        kit.device(f"user{index}")
    kit.send(*[f"user{index}" for index in range(12)])
    worker = kit.worker()
    kit.drain()
    assert sum(len(s.messages) for s in service.subscriptions.values()) == 12
    assert worker.headers.signed == 1


def test_a_device_without_current_push_consent_gets_no_request_at_all(kit, service):
    _, consenting = kit.device("alice")
    _, refusing = kit.device("bob", consent=False)
    notification = kit.send("alice", "bob")
    kit.drain()
    assert kit.states(notification) == {"delivered": 1}
    assert consenting.requests == 1 and refusing.requests == 0


def test_consent_made_stale_after_enqueue_suppresses_at_dispatch(kit, service):
    _, sub = kit.device("alice")
    notification = kit.send("alice")
    kit.worker().expand_due()
    assert kit.states(notification) == {"queued": 1}
    kit.actions.publish_policy(version="2.0", changes=["push"], summary="Push now covers more")
    kit.drain()
    [row] = kit.deliveries(notification)
    assert row.state == "suppressed" and "consent" in row.reason
    assert sub.requests == 0


def test_a_subscription_removed_under_a_queued_delivery_prunes_it_unsent(kit, service):
    """The outbox keeps no foreign key to its subscription (gateway.push.tables): a claim
    finds it gone by itself, whoever removed it."""
    _, gone = kit.device("alice")
    _, kept = kit.device("alice")
    notification = kit.send("alice")
    kit.worker().expand_due()
    with kit.svc.store.write() as connection:
        connection.execute(delete(subscriptions).where(
            subscriptions.c.endpoint == gone.endpoint))
    kit.drain()
    assert kit.states(notification) == {"pruned": 1, "delivered": 1}
    assert gone.requests == 0 and kept.requests == 1


@pytest.mark.parametrize("status", [404, 410])
def test_404_and_410_prune_the_subscription_and_what_is_queued_for_it(kit, service, status):
    device, sub = kit.device("alice", script=(Reply(status),))
    first = kit.send("alice")
    later = kit.send("alice", send_at=kit.clock.now() + timedelta(minutes=5))
    kit.drain()
    assert kit.states(first) == {"pruned": 1}
    response = kit.client.get("/api/v1/push/subscription", headers=device.headers)
    assert response.status_code == 404
    kit.clock.advance(minutes=5)
    kit.drain()
    assert kit.states(later) == {} and sub.requests == 1


def test_413_is_retried_once_without_the_body_then_fails(kit, service):
    _, sub = kit.device("alice", script=(Reply(413), Reply(201)))
    delivered = kit.send("alice", body="A long body " * 50)
    kit.drain()
    assert kit.states(delivered) == {"delivered": 1}
    first, second = sub.messages
    assert first["body"] and second["body"] == "" and second["trimmed"] is True
    _, stubborn = kit.device("bob", script=(Reply(413),))
    failed = kit.send("bob")
    kit.drain()
    [row] = kit.deliveries(failed)
    assert row.state == "failed" and stubborn.requests == 2


def test_429_waits_for_retry_after_in_seconds(kit, service):
    _, sub = kit.device("alice", script=(Reply(429, retry_after="120"), Reply(201)))
    notification = kit.send("alice")
    sent_at = kit.clock.now()
    kit.drain()
    [row] = kit.deliveries(notification)
    assert row.state == "retrying" and row.last_status == 429
    assert row.next_attempt_at >= sent_at + timedelta(seconds=120)
    kit.clock.advance(119)
    kit.drain()
    assert sub.requests == 1
    kit.settle()
    assert kit.states(notification) == {"delivered": 1} and sub.requests == 2


def test_429_honours_retry_after_as_an_http_date(kit, service):
    when = kit.clock.now() + timedelta(minutes=10)
    _, sub = kit.device("alice", script=(Reply(429, retry_after=format_datetime(when, usegmt=True)),
                                         Reply(201)))
    notification = kit.send("alice")
    kit.drain()
    [row] = kit.deliveries(notification)
    assert row.next_attempt_at >= when
    kit.settle()
    assert kit.states(notification) == {"delivered": 1}


def test_500_and_a_hang_retry_with_growing_backoff_until_delivered(kit, service):
    _, sub = kit.device("alice", script=(Reply(500), HANG, Reply(503), Reply(201)))
    notification = kit.send("alice")
    waits, reasons = [], []
    for _ in range(3):
        before = kit.clock.now()
        kit.drain()
        [row] = kit.deliveries(notification)
        assert row.state == "retrying"
        waits.append(row.next_attempt_at - before)
        reasons.append(row.reason)
        kit.clock.advance((row.next_attempt_at - kit.clock.now()).total_seconds())
    kit.drain()
    [row] = kit.deliveries(notification)
    assert row.state == "delivered" and row.attempts == 4 and sub.requests == 4
    assert reasons == ["push service answered 500", "timed out", "push service answered 503"]
    # 5 s, 10 s, 20 s ceilings, each drawn between half and all of it
    assert timedelta(seconds=2.5) <= waits[0] <= timedelta(seconds=5)
    assert timedelta(seconds=5) <= waits[1] <= timedelta(seconds=10)
    assert timedelta(seconds=10) <= waits[2] <= timedelta(seconds=20)


def test_retries_stop_when_the_ttl_runs_out(kit, service):
    _, sub = kit.device("alice", script=(Reply(500),))
    notification = kit.send("alice", ttl=60)
    kit.settle()
    [row] = kit.deliveries(notification)
    assert row.state == "expired" and row.last_status == 500
    assert 2 <= sub.requests <= 5


@pytest.mark.parametrize("status", [400, 401, 403])
def test_our_fault_answers_fail_alert_the_admin_and_never_prune(kit, service, status):
    device, sub = kit.device("alice", script=(Reply(status),))
    notification = kit.send("alice")
    kit.drain()
    [row] = kit.deliveries(notification)
    assert row.state == "failed" and row.last_status == status
    assert kit.client.get("/api/v1/push/subscription", headers=device.headers).status_code == 200
    with kit.svc.store.read() as connection:
        [alert] = alerts.open_alerts(connection)
    assert alert.kind == "our-fault" and alert.origin == service.origin


def test_a_wrong_vapid_key_is_refused_by_the_push_service_and_is_our_fault(kit, service):
    _, sub = kit.device("alice")
    key = sub.application_server_key
    sub.application_server_key = key[:10] + ("A" if key[10] != "A" else "B") + key[11:]
    notification = kit.send("alice")
    kit.drain()
    assert kit.states(notification) == {"failed": 1}
    assert service.refusals[0][1] == 403


def test_the_vapid_jwt_has_our_subject_the_origin_and_exp_within_12_hours(kit, service):
    import jwt

    _, sub = kit.device("alice")
    kit.send("alice")
    kit.drain()
    token = sub.headers[0]["Authorization"].split("t=")[1].split(",")[0]
    claims = jwt.decode(token, options={"verify_signature": False})
    assert claims["sub"] == SUBJECT and claims["aud"] == service.origin
    assert claims["exp"] <= kit.clock.now().timestamp() + 12 * 3600


def test_an_unusual_share_of_410_pauses_pruning_and_alerts(kit, service):
    subs = [kit.device(f"user{index}", script=(Reply(410), Reply(201)))[1] for index in range(24)]
    notification = kit.send(*[f"user{index}" for index in range(24)])
    kit.drain()
    assert kit.states(notification) == {"retrying": 24}
    with kit.svc.store.read() as connection:
        [alert] = alerts.open_alerts(connection)
    assert alert.kind == "mass-prune"
    kit.settle()
    assert kit.states(notification) == {"delivered": 24}
    assert all(s.requests == 2 for s in subs)


def test_a_few_410_among_many_answers_prune_normally(kit, service):
    for index in range(22):
        kit.device(f"user{index}")
    kit.device("gone1", script=(Reply(410),))
    kit.device("gone2", script=(Reply(410),))
    notification = kit.send(*[f"user{index}" for index in range(22)], "gone1", "gone2")
    kit.drain()
    assert kit.states(notification) == {"delivered": 22, "pruned": 2}
    with kit.svc.store.read() as connection:
        assert alerts.open_alerts(connection) == []


def test_helper_processes_encrypt_what_the_push_service_decrypts(kit, service):
    subs = [kit.device(f"user{index}")[1] for index in range(5)]
    worker = kit.worker(options=replace(kit.worker().options, encrypt_processes=1))
    kit.send(*[f"user{index}" for index in range(5)], title="From the helper")
    try:
        kit.drain()
    finally:
        worker.close()
    assert service.refusals == []
    assert [s.messages[0]["title"] for s in subs] == ["From the helper"] * 5
    assert worker.encryptor.cpu_seconds > 0


def test_each_reached_subscription_says_when_it_was_last_reached(kit, service):
    """``last_delivered_at`` (shown to the device's owner and in the data export) is the
    moment its delivery was recorded delivered; a refused or gone one is not reached."""
    from sqlalchemy import select

    from gateway.identity.accounts import get_user

    for name in ("alice", "bob"):
        kit.device(name)
    kit.device("carol", script=(Reply(400),))
    kit.device("dave", script=(Reply(410),))
    notification = kit.send("alice", "bob", "carol", "dave")
    kit.clock.advance(minutes=3)
    kit.drain()

    def username(user_id):
        return get_user(kit.svc.store, user_id).username

    with kit.svc.store.read() as connection:
        reached = {username(user_id): at for user_id, at in connection.execute(
            select(subscriptions.c.user_id, subscriptions.c.last_delivered_at)).all()}
    assert reached == {"alice": kit.clock.now(), "bob": kit.clock.now(), "carol": None}
    assert {username(row.user_id): row.delivered_at for row in kit.deliveries(notification)
            if row.state == "delivered"} == {"alice": kit.clock.now(), "bob": kit.clock.now()}


@pytest.mark.parametrize("helpers", [0, 1], ids=["inline", "helper"])
def test_a_subscription_whose_keys_cannot_be_used_fails_alone(kit, service, helpers):
    """Its message could never go out; the others encrypted with it in one part go."""
    from sqlalchemy import select, update

    for index in range(5):
        kit.device(f"user{index}")
    with kit.svc.store.write() as connection:
        broken = connection.execute(select(subscriptions.c.id).limit(1)).scalar()
        connection.execute(update(subscriptions).where(subscriptions.c.id == broken)
                           .values(p256dh="QUJD"))  # base64url, but no point on the curve
    worker = kit.worker(options=replace(kit.worker().options, encrypt_processes=helpers))
    notification = kit.send(*[f"user{index}" for index in range(5)])
    try:
        kit.drain()
    finally:
        worker.close()
    assert kit.states(notification) == {"delivered": 4, "failed": 1}
    [failed] = [row for row in kit.deliveries(notification) if row.state == "failed"]
    assert failed.subscription_id == broken
    assert failed.reason == "the subscription's keys cannot be used to encrypt"
    assert service.refusals == []
