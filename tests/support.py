"""Helpers the tests share: a clock the tests move, and ways to sign in: through the domains
(``People``, for domain tests without Flask) or over HTTP as the app does (``Actions``)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from cryptography.hazmat.primitives.asymmetric import ec

from gateway.build import Gateway
from gateway.consent.policy_texts import PolicyText
from gateway.core.keys import public_jwk
from gateway.identity.devices import DeviceDescription

START = datetime(2026, 11, 28, 12, 0, tzinfo=UTC)


class FakeClock:
    """A clock that stands still until a test moves it."""

    def __init__(self, now: datetime = START) -> None:
        self._now = now

    def now(self) -> datetime:
        return self._now

    def advance(self, seconds: float = 0, **delta: float) -> None:
        self._now += timedelta(seconds=seconds, **delta)


def both(summary: str, text: str) -> dict[str, PolicyText]:
    """A policy version's words, the same in Chinese and English (tests that do not read
    them)."""
    return {"zh": PolicyText(summary, text), "en": PolicyText(summary, text)}


def both_json(summary: str, text: str) -> dict:
    """A policy version's words as the admin API takes them, the same in both languages."""
    return {code: {"summary": summary, "text": text} for code in ("zh", "en")}


def device_description(device_id: str = "phone-0001", key: ec.EllipticCurvePrivateKey | None = None) -> dict:
    body = {
        "device_id": device_id,
        "model": "Pixel 9",
        "os": "Android",
        "os_version": "16",
        "app_version": "3.2.0",
    }
    if key is not None:
        jwk = public_jwk(key.public_key())
        body["public_key"] = {name: jwk[name] for name in ("kty", "crv", "x", "y")}
    return body


@dataclass
class SignedInDevice:
    access_token: str
    refresh_token: str
    device_id: str
    user_id: str
    key: ec.EllipticCurvePrivateKey

    @property
    def headers(self) -> dict:
        return {"Authorization": f"Bearer {self.access_token}"}


PASSWORD = "correct horse battery"


class People:
    """Accounts, signed-in devices and policy versions, made the way the domains make them."""

    def __init__(self, gateway: Gateway) -> None:
        self.svc = gateway

    def create_user(self, username: str = "alice", password: str = PASSWORD, **fields):
        return self.svc.identity.accounts.create_user(username=username, password=password,
                                                      **fields)

    def device_sign_in(self, username: str = "alice", password: str = PASSWORD,
                       device_id: str = "phone-0001", *, key: bool = True) -> SignedInDevice:
        """Sign a device in with a password, with a device key unless *key* is false."""
        private = ec.generate_private_key(ec.SECP256R1())
        described = device_description(device_id, private if key else None)
        svc = self.svc
        pair = svc.identity.tokens.sign_in(
            username=username, password=password, ip=None, description=DeviceDescription(
                described["device_id"], described["model"], described["os"],
                described["os_version"], described["app_version"], described.get("public_key")))
        return SignedInDevice(pair.access_token, pair.refresh_token, pair.device_id,
                              pair.user_id, private)

    def decide(self, device: SignedInDevice, purpose: str, decision: str = "granted") -> None:
        """Record a consent decision for *device* in the ledger, under the policy in effect
        (publishing a first version when there is none), with the notice it was shown."""
        from gateway import consent

        svc = self.svc
        with svc.store.read() as connection:
            policy = consent.current_policy(connection, svc.clock)
        if policy is None:
            policy = self.publish_policy()
        text = consent.notice_text(svc.catalogue.get(purpose), policy)
        with svc.store.write() as connection:
            consent.record(connection, svc.clock, svc.catalogue, user_id=device.user_id,
                           device_id=device.device_id, purpose=purpose, decision=decision,
                           policy_version=policy.version, notice_hash=consent.sha256(text))

    def ensure_policy(self) -> None:
        """Publish a first policy version unless one is in effect; a test publishing
        "1.0" itself later gets this one."""
        from gateway import consent

        with self.svc.store.read() as connection:
            if consent.current_policy(connection, self.svc.clock) is not None:
                return
        self.publish_policy()
        self._ensured = "1.0"

    def publish_policy(self, version: str = "1.0", changes=None, summary: str = "First version",
                       text: str = "The user agreement.", **fields):
        """Publish a policy version; by default it changes every purpose of the catalogue."""
        from gateway import consent

        if version == getattr(self, "_ensured", None):
            self._ensured = None
            with self.svc.store.read() as connection:
                return consent.get_policy(connection, version)
        changes = [p.name for p in self.svc.catalogue] if changes is None else changes
        return consent.publish_policy(self.svc.store, self.svc.clock, self.svc.catalogue,
                                      version=version, texts=both(summary, text),
                                      changes=changes, **fields)


class Actions(People):
    """Sign users in the way the app and the pages do (after flaskr's AuthActions)."""

    def __init__(self, app, client) -> None:
        super().__init__(app.extensions["gateway"])
        self.app = app
        self.client = client

    def svc_user(self, username: str):
        """The account *username* (it must exist)."""
        from gateway.identity import accounts

        return accounts.find_user(self.svc.store, username)

    def device_sign_in(self, username: str = "alice", password: str = "correct horse battery",
                       device_id: str = "phone-0001", client=None,
                       accept_language: str | None = None) -> SignedInDevice:
        """Sign a phone in with a password (its requests asking for *accept_language*)."""
        self.ensure_policy()  # devices sign in only once a notice exists (agreement 1.6)
        key = ec.generate_private_key(ec.SECP256R1())
        response = (client or self.client).post("/api/v1/auth/sign-in", json={
            "username": username, "password": password,
            "device": device_description(device_id, key),
        }, headers={"Accept-Language": accept_language} if accept_language else {})
        assert response.status_code == 200, response.get_json()
        body = response.get_json()
        return SignedInDevice(body["access_token"], body["refresh_token"], body["device_id"],
                              body["user_id"], key)

    def web_sign_in(self, username: str = "alice", password: str = "correct horse battery",
                    client=None) -> dict:
        """Sign the test client's browser in; returns headers carrying the CSRF token."""
        response = (client or self.client).post(
            "/api/v1/web/sign-in", json={"username": username, "password": password}
        )
        assert response.status_code == 200, response.get_json()
        return {"X-CSRF-Token": response.get_json()["csrf_token"]}

    def grant(self, device: SignedInDevice, purpose: str, decision: str = "granted",
              client=None, **fields) -> dict:
        """Decide on *purpose* for *device* as the app does: fetch the notice, then send the
        decision (``granted``, ``refused`` or ``withdrawn``) with its hash. Publishes a first
        policy version when none is in effect. Returns the answer's body."""
        from gateway import consent

        client = client or self.client
        with self.svc.store.read() as connection:
            policy = consent.current_policy(connection, self.svc.clock)
        if policy is None:
            self.publish_policy()
        notice = client.get(f"/api/v1/consents/{purpose}/notice", headers=device.headers)
        assert notice.status_code == 200, notice.get_json()
        shown = notice.get_json()
        response = client.post("/api/v1/consents", headers=device.headers, json={
            "purpose": purpose, "decision": decision, "policy_version": shown["policy_version"],
            "notice_hash": shown["hash"], "language": shown["language"], **fields})
        assert response.status_code == 201, response.get_json()
        return response.get_json()
