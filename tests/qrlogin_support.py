"""Helpers the scan-to-log-in and scan-to-connect tests share: start a login over HTTP,
drive a login (``Flow``) or an offer (``Enrollment``) through the gateway's bound services,
make device proofs (consent decisions: ``tests.support.People.decide``)."""

from __future__ import annotations

import uuid
from dataclasses import replace
from datetime import timedelta

import jwt
from cryptography.hazmat.primitives.asymmetric import ec

from gateway import consent
from gateway.core import qrcodes
from gateway.core.clock import epoch
from gateway.core.keys import public_jwk
from gateway.core.useragent import Requester
from gateway.enrollment.devices import Decision
from gateway.identity import devices
from gateway.identity.devices import DeviceDescription
from gateway.qrlogin.phone import Phone
from tests.support import both

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


SECRET = b"k" * 32
DESKTOP = Requester("Firefox 133", "Windows", "203.0.113.0/24", None, None)


class Flow:
    """One login and one phone, with the steps a test needs, through the gateway's bound
    scan-to-log-in service (telling waiters on *bus*, the gateway's own by default), started
    by the computer *desktop*."""

    def __init__(self, gateway, people, clock, bus=None, desktop=DESKTOP):
        self.svc, self.clock = gateway, clock
        self.store = gateway.store
        self.bus = bus or gateway.events
        self.browser = replace(gateway.qrlogin.browser, events=self.bus)
        self.moves = replace(gateway.qrlogin.phone, events=self.bus)
        self.key = self.browser.key
        people.create_user("alice")
        self.device = people.device_sign_in()
        self.phone = self.phone_of(self.device)
        self.started = self.browser.start(desktop)
        self.id = self.started.login.id

    def phone_of(self, device):
        key = devices.get_device(self.store, device.device_id).public_key
        return Phone(device.user_id, device.device_id, key,
                     Requester("unknown", "Android", "203.0.113.0/24", None, None))

    def token(self, rotation=None):
        login = self.started.login
        n = qrcodes.current_rotation(login.created_at, self.clock.now()) if rotation is None \
            else rotation
        return qrcodes.token_for(self.key, self.id, n)

    def scan(self, phone=None, via="link", token=None):
        return self.moves.scan(token=token or self.token(), phone=phone or self.phone, via=via)

    def confirm(self, number=None, device=None, phone=None, **proof_args):
        device = device or self.device
        if number is None:
            number = self.status().number
        made = proof(device, self.id, number, self.clock, **proof_args)
        return self.moves.confirm(login_id=self.id, phone=phone or self.phone, number=number,
                                  proof=made)

    def deny(self):
        return self.moves.deny(login_id=self.id, phone=self.phone)

    def redeem(self, secret=None, csrf=None):
        return self.browser.redeem(
            login_id=self.id, browser_secret=secret or self.started.browser_secret,
            csrf_token=csrf or self.started.csrf_token, audience="bi-server",
            session_lifetime=timedelta(hours=1))

    def status(self):
        return self.browser.status(self.id, self.started.browser_secret)


class Enrollment:
    """One offer by alice's browser session and a phone that is not signed in yet, through
    the gateway's bound scan-to-connect service (telling waiters on its bus)."""

    def __init__(self, gateway, people, clock):
        self.svc, self.clock = gateway, clock
        self.store = gateway.store
        self.bus = gateway.events
        self.offers, self.phone = gateway.enrollment.offers, gateway.enrollment.phone
        self.key = self.offers.key
        self.user = people.create_user("alice")
        self.session_hash = "s" * 64
        self.offered = self.offers.offer(user_id=self.user.id, session_hash=self.session_hash)
        self.id = self.offered.offer.id

    def policy(self):
        with self.store.read() as connection:
            found = consent.current_policy(connection, self.svc.clock)
        return found or consent.publish_policy(
            self.store, self.svc.clock, self.svc.catalogue, version="1.0",
            texts=both("First version", "The agreement."),
            changes=[p.name for p in self.svc.catalogue])

    def decision(self, purpose="camera", decision="granted", notice_hash=None):
        policy = self.policy()
        text = consent.notice_text(self.svc.catalogue.get(purpose), policy)
        return Decision(purpose, decision, policy.version, notice_hash or consent.sha256(text))

    def claim(self, *, device_id="phone-0001", via="link", decisions=None, code=None,
              key=True, public_key=None, proof=None):
        self.policy()  # a phone is taken in only once a notice exists (agreement 1.6)
        if public_key is None and key:
            jwk = public_jwk(ec.generate_private_key(ec.SECP256R1()).public_key())
            public_key = {name: jwk[name] for name in ("kty", "crv", "x", "y")}
        device = DeviceDescription(device_id, "Pixel 9", "Android", "16", "3.2.0", public_key)
        return self.phone.claim(
            token=None if code else qrcodes.token_for(self.key, self.id, 0), code=code, via=via,
            device=device, decisions=[self.decision()] if decisions is None else decisions,
            where=Requester("unknown", "unknown", "198.51.100.0/24", None, None), proof=proof)

    def approve(self, number):
        return self.offers.approve(offer_id=self.id, session_hash=self.session_hash,
                                   number=number)

    def deny(self):
        return self.offers.deny(offer_id=self.id, session_hash=self.session_hash)

    def collect(self, secret, reads_in=None):
        return self.phone.collect(offer_id=self.id, claim_secret=secret, reads_in=reads_in)

    def state(self):
        return self.offers.for_session(self.id, self.session_hash).state_at(self.clock.now())
