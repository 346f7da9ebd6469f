"""What the push benchmark sets up before it measures: a gateway instance made as ``make
run`` makes it (``flask init``), filled with users that each have one device, push consent
and a subscription at the local push service (``tests.pushservice``, another process,
answering every request after 50 ms), and the integration key the BI server would send
with."""

from __future__ import annotations

import base64
import json
import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

from cryptography.hazmat.primitives import serialization
from sqlalchemy import insert, select

from tests.bench.common import ROOT
from tests.pushservice import Subscription

SUBJECT = "mailto:bench@gateway.example.com"
VERIFY_EVERY = 20  # the service checks the JWT of and decrypts 1 request in this many


@dataclass
class Instance:
    folder: Path
    env: dict  # the GATEWAY_* environment of the run command
    key: str  # the integration key (push:send) the fan-out is sent with
    vapid_public: str  # base64url, uncompressed point (what web-push takes)
    vapid_private: str  # base64url, the raw 32-byte scalar (what web-push takes)


def gateway_env(folder: Path) -> dict:
    """The run command's defaults, except what a local test service needs: http endpoints
    on 127.0.0.1 (test-only setting), a VAPID contact, and a cheap password hash."""
    return {"GATEWAY_INSTANCE_PATH": str(folder), "GATEWAY_PASSWORD_HASH": "scrypt:1024:8:1",
            "GATEWAY_LOG_LEVEL": "WARNING", "GATEWAY_PUSH_SUBJECT": SUBJECT,
            "GATEWAY_PUSH_ALLOW_INSECURE_LOCAL_ENDPOINTS": "true"}


def make_instance(folder: Path) -> tuple[Instance, object]:
    """``flask init`` in *folder*, then the app built on it (in this process, to fill it)."""
    env = gateway_env(folder)
    subprocess.run([sys.executable, "-m", "flask", "--app", "wsgi", "init"], cwd=ROOT,
                   env={**os.environ, **env}, check=True, capture_output=True, timeout=120)
    from gateway import create_app
    from gateway.core.settings import Settings
    from gateway.push import vapid

    app = create_app(Settings.from_environ({**os.environ, **env}))
    svc = app.extensions["gateway"]
    _, key = svc.identity.integrations.create(name="bench", scopes=["push:send"],
                                              created_by=None)
    with svc.store.read() as connection:
        current = vapid.current_key(connection)
        private = vapid.load_private_key(connection, svc.push.wrap, current.kid)
    raw = private.private_numbers().private_value.to_bytes(32, "big")
    return Instance(folder, env, key, current.public_key, _b64(raw)), app


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def subscriptions(count: int, vapid_public: str) -> list[Subscription]:
    """*count* browser subscriptions made with the instance's VAPID key."""
    return [Subscription(f"s{index:06d}", vapid_public, []) for index in range(count)]


def start_service(folder: Path, subs: list[Subscription]) -> tuple[subprocess.Popen, str]:
    """The local push service (its own process) knowing *subs*; it and its origin."""
    path = folder / "subscriptions.json"
    path.write_text(json.dumps([{
        "id": s.id, "application_server_key": s.application_server_key, "auth": s.auth,
        "private_key": s.private_key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption()).decode()} for s in subs]))
    process = subprocess.Popen(
        [sys.executable, "-m", "tests.pushservice", "--subscriptions", str(path),
         "--delay", "0.05", "--verify-every", str(VERIFY_EVERY)],
        cwd=ROOT, stdout=subprocess.PIPE, text=True)
    origin = process.stdout.readline().strip()
    for sub in subs:
        sub.endpoint = f"{origin}/push/{sub.id}"
    return process, origin


def populate(app, subs: list[Subscription], origin: str) -> None:
    """One user per subscription, each with one device, push consent recorded in the
    ledger under the agreement ``flask init`` published, and the subscription."""
    from gateway import consent
    from gateway.consent.policies import current_policy
    from gateway.core.tokens import digest, new_id
    from gateway.identity.tables import devices, users
    from gateway.push import vapid
    from gateway.push.tables import subscriptions as subscription_rows

    svc = app.extensions["gateway"]
    now = svc.clock.now()
    with svc.store.read() as connection:
        kid = vapid.current_key(connection).kid
        policy = current_policy(connection, svc.clock)
    shown = consent.notice(svc.catalogue.get("push"), policy)
    for start in range(0, len(subs), 5000):
        user_rows, device_rows, sub_rows = [], [], []
        for sub in subs[start:start + 5000]:
            user_id, device_id = new_id(), new_id()
            user_rows.append(dict(id=user_id, username=f"user{sub.id}", display_name="User",
                                  role="user", password_hash="x", must_change_password=False,
                                  created_at=now))
            device_rows.append(dict(id=device_id, user_id=user_id, app_device_id=sub.id,
                                    model="Pixel 9", os="Android", os_version="16",
                                    app_version="3.2.0", created_at=now, last_seen_at=now))
            sub_rows.append(dict(id=new_id(), user_id=user_id, device_id=device_id,
                                 endpoint=sub.endpoint, endpoint_hash=digest(sub.endpoint),
                                 origin=origin, p256dh=sub.p256dh, auth=sub.auth,
                                 vapid_kid=kid, created_at=now, updated_at=now))
        with svc.store.write() as connection:
            connection.execute(insert(users), user_rows)
            connection.execute(insert(devices), device_rows)
            connection.execute(insert(subscription_rows), sub_rows)
            for row in device_rows:
                consent.record(connection, svc.clock, svc.catalogue, user_id=row["user_id"],
                               device_id=row["id"], purpose="push", decision="granted",
                               policy_version=policy.version, notice_hash=shown.hash)
    with svc.store.read() as connection:
        assert len(connection.execute(select(subscription_rows.c.id)).all()) == len(subs)
    svc.store.dispose()
