"""Helpers the scan-to-log-in tests share: start a login, make device proofs, grant consent."""

from __future__ import annotations

import uuid
from datetime import timedelta

import jwt

from gateway import consent
from gateway.core import qrcodes
from gateway.core.clock import epoch
from gateway.core.events import InProcessBus
from gateway.core.useragent import Requester
from gateway.identity import devices
from gateway.qrlogin import flow as qrlogin
from gateway.qrlogin import phone as qrlogin_phone

DESKTOP_UA = ("Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
              "Chrome/131.0.0.0 Safari/537.36")


def start(client, **body):
    """Start a login as a desktop browser; returns the answer's body."""
    response = client.post("/api/v1/qr-logins", json=body, headers={"User-Agent": DESKTOP_UA})
    assert response.status_code == 201, response.get_json()
    return response.get_json()


def token_of(started: dict) -> str:
    """The token the QR code of a started login carries."""
    return started["qr"].rsplit("/", 1)[1]


def proof(device, login_id: str, number: int, clock, *, act: str = "confirm", key=None,
          jti: str | None = None, iat: int | None = None, aud: str = "qr-login") -> str:
    """A device proof for confirming *login_id* with *number*, signed by the device key."""
    claims = {"aud": aud, "rid": login_id, "num": number, "act": act,
              "iat": epoch(clock.now()) if iat is None else iat, "jti": jti or uuid.uuid4().hex}
    return jwt.encode(claims, key or device.key, algorithm="ES256")


def decide_consent(app, device, purpose: str, decision: str = "granted") -> None:
    """Record a consent decision for *device* the way the app does."""
    svc = app.extensions["gateway"]
    with svc.store.write() as connection:
        policy = consent.current_policy(connection, svc.clock)
    if policy is None:
        policy = consent.publish_policy(svc.store, svc.clock, svc.catalogue, version="1.0",
                                        text_="The agreement.", summary="First version",
                                        changes=[p.name for p in svc.catalogue])
    text = consent.notice_text(svc.catalogue.get(purpose), policy)
    with svc.store.write() as connection:
        consent.record(connection, svc.clock, svc.catalogue, user_id=device.user_id,
                       device_id=device.device_id, purpose=purpose, decision=decision,
                       policy_version=policy.version, notice_hash=consent.sha256(text))


SECRET = b"k" * 32
DESKTOP = Requester("Firefox 133", "Windows", "203.0.113.0/24", None, None)


class Flow:
    """One login and one phone, with the steps a test needs."""

    def __init__(self, app, actions, clock):
        self.app, self.clock = app, clock
        self.svc = app.extensions["gateway"]
        self.store = self.svc.store
        self.bus = InProcessBus()
        actions.create_user("alice")
        self.device = actions.device_sign_in()
        self.phone = self.phone_of(self.device)
        self.started = qrlogin.start(self.store, clock, SECRET, DESKTOP)
        self.id = self.started.login.id

    def phone_of(self, device):
        key = devices.get_device(self.store, device.device_id).public_key
        return qrlogin_phone.Phone(device.user_id, device.device_id, key,
                                   Requester("unknown", "Android", "203.0.113.0/24", None, None))

    def token(self, rotation=None):
        login = self.started.login
        n = qrcodes.current_rotation(login.created_at, self.clock.now()) if rotation is None \
            else rotation
        return qrcodes.token_for(SECRET, self.id, n)

    def scan(self, phone=None, via="link", token=None):
        return qrlogin_phone.scan(self.store, self.clock, self.svc.catalogue, self.bus,
                                  token=token or self.token(), phone=phone or self.phone, via=via)

    def confirm(self, number=None, device=None, phone=None, **proof_args):
        device = device or self.device
        if number is None:
            number = self.status().number
        made = proof(device, self.id, number, self.clock, **proof_args)
        return qrlogin_phone.confirm(self.store, self.clock, self.bus, login_id=self.id,
                                     phone=phone or self.phone, number=number, proof=made)

    def deny(self):
        return qrlogin_phone.deny(self.store, self.clock, self.bus, login_id=self.id,
                                  phone=self.phone)

    def redeem(self, secret=None, csrf=None):
        return qrlogin.redeem(
            self.store, self.clock, self.svc.signer, self.bus, login_id=self.id,
            browser_secret=secret or self.started.browser_secret,
            csrf_token=csrf or self.started.csrf_token, audience="bi-server",
            session_lifetime=timedelta(hours=1))

    def status(self):
        return qrlogin.status(self.store, self.clock, self.id, self.started.browser_secret)


class Enrollment:
    """One offer by alice's browser session and a phone that is not signed in yet."""

    def __init__(self, app, actions, clock):
        from gateway.enrollment import offers as enrollment

        self.app, self.clock = app, clock
        self.svc = app.extensions["gateway"]
        self.store = self.svc.store
        self.bus = InProcessBus()
        self.user = actions.create_user("alice")
        self.session_hash = "s" * 64
        self.offered = enrollment.offer(self.store, clock, SECRET, user_id=self.user.id,
                                        session_hash=self.session_hash)
        self.id = self.offered.offer.id

    def policy(self):
        with self.store.read() as connection:
            found = consent.current_policy(connection, self.svc.clock)
        return found or consent.publish_policy(
            self.store, self.svc.clock, self.svc.catalogue, version="1.0",
            text_="The agreement.", summary="First version",
            changes=[p.name for p in self.svc.catalogue])

    def decision(self, purpose="camera", decision="granted", notice_hash=None):
        from gateway.enrollment.phone import Decision

        policy = self.policy()
        text = consent.notice_text(self.svc.catalogue.get(purpose), policy)
        return Decision(purpose, decision, policy.version, notice_hash or consent.sha256(text))

    def claim(self, *, device_id="phone-0001", via="link", decisions=None, code=None,
              key=True, public_key=None, proof=None):
        from cryptography.hazmat.primitives.asymmetric import ec

        from gateway.core.keys import public_jwk
        from gateway.enrollment import phone as enrollment_phone
        from gateway.identity.devices import DeviceDescription

        self.policy()  # a phone is taken in only once a notice exists (agreement 1.6)
        if public_key is None and key:
            jwk = public_jwk(ec.generate_private_key(ec.SECP256R1()).public_key())
            public_key = {name: jwk[name] for name in ("kty", "crv", "x", "y")}
        device = DeviceDescription(device_id, "Pixel 9", "Android", "16", "3.2.0", public_key)
        return enrollment_phone.claim(
            self.store, self.clock, self.svc.catalogue, self.bus,
            token=None if code else qrcodes.token_for(SECRET, self.id, 0), code=code, via=via,
            device=device, decisions=[self.decision()] if decisions is None else decisions,
            where=Requester("unknown", "unknown", "198.51.100.0/24", None, None), proof=proof)

    def approve(self, number):
        from gateway.enrollment import offers as enrollment

        return enrollment.approve(self.store, self.clock, self.bus, self.svc.catalogue,
                                  offer_id=self.id, session_hash=self.session_hash,
                                  number=number)

    def deny(self):
        from gateway.enrollment import offers as enrollment

        return enrollment.deny(self.store, self.clock, self.bus, offer_id=self.id,
                               session_hash=self.session_hash)

    def collect(self, secret):
        from gateway.enrollment import phone as enrollment_phone

        return enrollment_phone.collect(self.store, self.clock, self.svc.signer,
                                        self.svc.lifetimes, self.bus, offer_id=self.id,
                                        claim_secret=secret)

    def state(self):
        from gateway.enrollment import offers as enrollment

        return enrollment.for_session(self.store, self.clock, self.id,
                                      self.session_hash).state_at(self.clock.now())
