"""Thousands of users with a subscribed phone each, made quickly for fan-out tests and
benchmarks: users in one bulk insert, devices through ``devices.register`` and push
consent through ``consent.record`` (the ledger's own path, hash chain and hooks
included) in one transaction, subscriptions at the local push service in one bulk insert.

Some phones then withdraw push consent through the ledger, which removes their
subscription (the push domain's hook): they must never receive anything.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import insert

from gateway import consent
from gateway.core.tokens import digest, new_id
from gateway.identity import devices
from gateway.identity.devices import DeviceDescription
from gateway.identity.tables import users
from gateway.push import vapid
from gateway.push.tables import subscriptions
from tests.pushservice import PushService, Subscription
from tests.support import both


@dataclass(frozen=True)
class Phone:
    user_id: str
    device_id: str
    subscription: Subscription
    consented: bool


def _policy(svc):
    with svc.store.read() as connection:
        policy = consent.current_policy(connection, svc.clock)
    return policy or consent.publish_policy(
        svc.store, svc.clock, svc.catalogue, version="1.0",
        texts=both("First version", "The user agreement."),
        changes=[p.name for p in svc.catalogue])


def populate(app, service: PushService, *, consented: int, withdrawn: int = 0,
             prefix: str = "fan") -> list[Phone]:
    """*consented* users whose phone has push consent and a subscription at *service*, and
    *withdrawn* more whose phone subscribed and then withdrew its consent."""
    svc = app.extensions["gateway"]
    now = svc.clock.now()
    policy = _policy(svc)
    shown = consent.notice(svc.catalogue.get("push"), policy)
    with svc.store.read() as connection:
        key = vapid.current_key(connection)
    total = consented + withdrawn
    user_ids = [new_id() for _ in range(total)]
    with svc.store.write() as connection:
        connection.execute(insert(users), [dict(
            id=user_id, username=f"{prefix}{index:05d}", display_name=f"User {index}",
            role="user", password_hash="!", must_change_password=False, created_at=now)
            for index, user_id in enumerate(user_ids)])
    phones, rows = [], []
    with svc.store.write() as connection:
        for index, user_id in enumerate(user_ids):
            device = devices.register(connection, svc.clock, user_id, DeviceDescription(
                f"{prefix}-phone-{index:05d}", "Pixel 9", "Android", "16", "3.2.0"), None)
            consent.record(connection, svc.clock, svc.catalogue, user_id=user_id,
                           device_id=device.id, purpose="push", decision="granted",
                           policy_version=policy.version, notice_hash=shown.hash)
            sub = service.subscribe(key.public_key)
            rows.append(dict(id=new_id(), user_id=user_id, device_id=device.id,
                             endpoint=sub.endpoint, endpoint_hash=digest(sub.endpoint),
                             origin=service.origin, p256dh=sub.p256dh, auth=sub.auth,
                             vapid_kid=key.kid, created_at=now, updated_at=now))
            phones.append(Phone(user_id, device.id, sub, index < consented))
        connection.execute(insert(subscriptions), rows)
    with svc.store.write() as connection:
        for phone in phones[consented:]:
            consent.record(connection, svc.clock, svc.catalogue, user_id=phone.user_id,
                           device_id=phone.device_id, purpose="push", decision="withdrawn",
                           policy_version=policy.version, notice_hash=shown.hash)
    return phones
