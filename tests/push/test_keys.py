"""VAPID keys: made once, rotated, retired; private keys stored wrapped; signed headers
cached per key, audience and subject for at most 12 hours. And the batch push consent
check agrees with the consent domain's own one. Through the gateway built by the
composition root, without Flask (but for the CLI commands)."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

import jwt
import pytest
from cryptography.exceptions import InvalidTag
from sqlalchemy import select

from gateway import consent
from gateway.core.errors import Conflict
from gateway.push import vapid
from gateway.push.consent_check import ConsentMemo, granted_devices
from gateway.push.tables import vapid_keys


@pytest.fixture
def wrap(gateway):
    return gateway.push.wrap


def test_the_first_key_is_made_once_and_its_private_half_is_stored_wrapped(gateway, clock, wrap):
    svc = gateway
    first, created = vapid.ensure_key(svc.store, clock, wrap)
    again, created_again = vapid.ensure_key(svc.store, clock, wrap)
    assert created and not created_again and first == again
    with svc.store.read() as connection:
        sealed = connection.execute(select(vapid_keys.c.private_key)).scalar_one()
        key = vapid.load_private_key(connection, wrap, first.kid)
    assert b"PRIVATE" not in sealed.encode() and len(sealed) > 100
    assert key.public_key().public_numbers().curve.name == "secp256r1"
    with pytest.raises(InvalidTag):
        vapid.KeyWrap(b"another secret" * 3).unwrap(sealed, first.kid)


def test_instances_starting_together_make_one_current_key(gateway, clock, wrap):
    store = gateway.store
    starting = threading.Barrier(4)

    def start(_):
        starting.wait(timeout=30)
        return vapid.ensure_key(store, clock, wrap)

    with ThreadPoolExecutor(4) as pool:
        started = list(pool.map(start, range(4)))
    assert sum(created for _, created in started) == 1
    assert len({key.kid for key, _ in started}) == 1
    with store.read() as connection:
        states = connection.execute(select(vapid_keys.c.state)).scalars().all()
    assert states == ["current"]


def test_rotation_makes_a_new_current_key_and_keeps_the_old_one_usable(gateway, clock, wrap):
    svc = gateway
    old, _ = vapid.ensure_key(svc.store, clock, wrap)
    new = vapid.rotate(svc.store, clock, wrap, actor=None)
    with svc.store.read() as connection:
        states = {k.kid: k.state for k in vapid.list_keys(connection)}
        assert vapid.current_key(connection) == new
    assert states == {old.kid: "previous", new.kid: "current"}
    with pytest.raises(Conflict):
        vapid.retire(svc.store, clock, new.kid, actor=None)
    assert vapid.retire(svc.store, clock, old.kid, actor=None).state == "retired"


def test_init_and_the_vapid_command_make_and_show_the_key(app, runner):
    result = runner.invoke(args=["gateway", "vapid"])
    assert result.exit_code == 0 and "VAPID key" in result.output and "current" in result.output
    rotated = runner.invoke(args=["gateway", "vapid-rotate"])
    assert rotated.exit_code == 0 and "is now current" in rotated.output
    assert "ready" in app.extensions["gateway"].push.ensure_vapid_key()


def test_signed_headers_are_reused_per_key_audience_and_subject_and_renewed_in_time(
        gateway, clock, wrap):
    svc = gateway
    key, _ = vapid.ensure_key(svc.store, clock, wrap)
    with svc.store.read() as connection:
        private = vapid.load_private_key(connection, wrap, key.kid)
    cache = vapid.HeaderCache(clock)
    args = (key.kid, private, key.public_key)
    first = cache.header(*args, "https://fcm.googleapis.com", "mailto:ops@example.com")
    assert cache.header(*args, "https://fcm.googleapis.com", "mailto:ops@example.com") == first
    other = cache.header(*args, "https://web.push.apple.com", "mailto:ops@example.com")
    assert other != first and cache.signed == 2
    token = first.split("t=")[1].split(",")[0]
    claims = jwt.decode(token, private.public_key(), algorithms=["ES256"],
                        audience="https://fcm.googleapis.com", options={"verify_exp": False})
    assert claims["exp"] == int(clock.now().timestamp()) + 12 * 3600
    assert first.endswith(f"k={key.public_key}")
    clock.advance(hours=10)
    assert cache.header(*args, "https://fcm.googleapis.com", "mailto:ops@example.com") == first
    clock.advance(hours=1, seconds=1)
    renewed = cache.header(*args, "https://fcm.googleapis.com", "mailto:ops@example.com")
    assert renewed != first and cache.signed == 3


def test_the_batch_consent_check_agrees_with_is_granted(gateway, people, clock):
    svc = gateway
    people.create_user("alice")
    devices = [people.device_sign_in("alice", device_id=f"phone-{n:04d}") for n in range(5)]
    people.decide(devices[0], "push")
    people.decide(devices[1], "push", "refused")
    people.decide(devices[2], "push")
    people.decide(devices[2], "push", "withdrawn")
    people.decide(devices[3], "camera")
    people.decide(devices[4], "push")
    pairs = [(d.user_id, d.device_id) for d in devices]
    for round_ in ("before", "after"):
        with svc.store.read() as connection:
            batch = granted_devices(connection, clock, pairs)
            single = {p for p in pairs if consent.is_granted(
                connection, clock, user_id=p[0], device_id=p[1], purpose="push")}
        assert batch == single
        if round_ == "before":
            assert batch == {pairs[0], pairs[4]}
            people.publish_policy(version="2.0", changes=["push"], summary="Push changed")
            people.decide(devices[4], "push")
    assert batch == {pairs[4]}


def test_the_remembered_consent_check_forgets_at_every_change_that_matters(gateway, people,
                                                                           clock):
    svc = gateway
    people.create_user("alice")
    devices = [people.device_sign_in("alice", device_id=f"phone-{n:04d}") for n in range(3)]
    for device in devices:
        people.decide(device, "push")
    pairs = [(d.user_id, d.device_id) for d in devices]
    memo = ConsentMemo()

    def answers():
        with svc.store.read() as connection:
            return memo.granted(connection, clock, pairs)

    assert answers() == set(pairs)
    people.decide(devices[0], "push", "withdrawn")  # a new event in the ledger
    assert answers() == set(pairs[1:])
    # Published for later: nothing changes in the store when it comes into effect.
    people.publish_policy(version="2.0", changes=["push"], summary="Push changed",
                          effective_at=clock.now() + timedelta(minutes=1))
    assert answers() == set(pairs[1:])
    clock.advance(minutes=1)
    assert answers() == set()
    people.decide(devices[1], "push")
    assert answers() == {pairs[1]}


def test_every_message_has_a_key_pair_and_salt_of_its_own_and_the_subscription_reads_it():
    """RFC 8291: the body's header carries the salt and the sender's ephemeral public key;
    none may repeat, or one message's content key would serve for another."""
    import base64
    import os

    import http_ece
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import ec

    from gateway.push.encryption import encrypt

    device_key, secret = ec.generate_private_key(ec.SECP256R1()), os.urandom(16)
    public = device_key.public_key().public_bytes(serialization.Encoding.X962,
                                                  serialization.PublicFormat.UncompressedPoint)
    p256dh = base64.urlsafe_b64encode(public).rstrip(b"=").decode()
    auth = base64.urlsafe_b64encode(secret).rstrip(b"=").decode()
    bodies = [encrypt(b'{"title": "Report"}', p256dh, auth) for _ in range(3)]
    salts = {body[:16] for body in bodies}
    senders = {body[21:21 + body[20]] for body in bodies}
    assert len(salts) == len(senders) == 3 and all(len(key) == 65 for key in senders)
    for body in bodies:
        assert http_ece.decrypt(body, private_key=device_key, auth_secret=secret,
                                version="aes128gcm") == b'{"title": "Report"}'
