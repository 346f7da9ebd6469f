"""What the push tests share: settings that let the gateway push to the local test push
service, devices that subscribe there the way the companion does, and a worker whose
sleeper moves the fake clock (so retries are proven without sleeping)."""

from __future__ import annotations

import asyncio
import random
from collections import Counter

from sqlalchemy import select

from gateway.identity import accounts
from gateway.push import notifications, vapid
from gateway.push.notifications import Audience, Draft
from gateway.push.tables import deliveries
from tests.pushservice import PushService, Reply
from tests.support import Actions, FakeClock, SignedInDevice

SUBJECT = "mailto:ops@gateway.example.com"


def push_settings(settings, **changes):
    """*settings* plus the test-only permission to push to 127.0.0.1 over http."""
    return settings.replace(**{
        "push_allow_insecure_local_endpoints": True, "push_subject": SUBJECT,
        "push_send_timeout_seconds": 2.0, "push_connect_timeout_seconds": 2.0,
        "rate_limits_enabled": False, "push_encrypt_processes": 0, **changes})


class PushKit:
    """Drives push in a test: devices, sends, the worker, and what became of it all."""

    def __init__(self, app, client, service: PushService, clock: FakeClock) -> None:
        self.app, self.client, self.service, self.clock = app, client, service, clock
        self.svc = app.extensions["gateway"]
        self.actions = Actions(app, client)
        app.extensions["gateway"].push.ensure_vapid_key()
        self._worker = None

    @property
    def key(self) -> str:
        with self.svc.store.read() as connection:
            return vapid.current_key(connection).public_key

    def user(self, username: str):
        return accounts.find_user(self.svc.store, username) or self.actions.create_user(username)

    def device(self, username: str = "alice", device_id: str | None = None, *,
               script: tuple[Reply, ...] = (Reply(201),), consent: bool = True,
               key: str | None = None,
               accept_language: str | None = None) -> tuple[SignedInDevice, object]:
        """A signed-in device of *username* (its sign-in asking for *accept_language*) with
        push consent, subscribed at the test push service with *script* as its answers;
        returns it and its test subscription."""
        self.user(username)
        device = self.actions.device_sign_in(username, device_id=device_id or
                                             f"{username}-phone-{random.randrange(10**8):08d}",
                                             accept_language=accept_language)
        if consent:
            self.actions.grant(device, "push")
        sub = self.service.subscribe(key or self.key, *script)
        if consent:
            response = self.client.put("/api/v1/push/subscription", headers=device.headers,
                                       json={**sub.as_json(), "application_server_key": key})
            assert response.status_code == 200, response.get_json()
        return device, sub

    def send(self, *usernames: str, kind: str = "users", **fields) -> str:
        """Accept a notification as the admin console would; its id."""
        draft = Draft(audience=Audience(kind, tuple(usernames)),
                      **{"title": "Quarterly report ready", "body": "Revenue is up 4 %", **fields})
        admin = self.user("root")
        found, _ = notifications.accept(self.svc.store, self.clock, draft, sender_kind="admin",
                                        sender_id=admin.id)
        return found.id

    def worker(self, **overrides):
        if self._worker is None or overrides:
            overrides.setdefault("rng", random.Random(7))
            overrides.setdefault("sleeper", self._advance)
            self._worker = self.app.extensions["gateway"].push.make_worker(**overrides)
        return self._worker

    async def _advance(self, seconds: float) -> None:
        self.clock.advance(seconds)

    def drain(self) -> None:
        """Everything due now, without moving the clock."""
        asyncio.run(self.worker().drain())

    def settle(self) -> None:
        """Everything, moving the fake clock to each next due moment."""
        asyncio.run(self.worker().settle())

    def deliveries(self, notification_id: str | None = None) -> list:
        query = select(deliveries).order_by(deliveries.c.id)
        if notification_id:
            query = query.where(deliveries.c.notification_id == notification_id)
        with self.svc.store.read() as connection:
            return connection.execute(query).all()

    def states(self, notification_id: str | None = None) -> Counter:
        return Counter(row.state for row in self.deliveries(notification_id))
