"""Scan to connect a phone, on the phone: claim an offer with the device's description and
the consent decisions made before signing in, wait for the desktop, collect the tokens.

The phone is not signed in: what proves it is the one that claimed is a secret handed to
it in the claim's answer only (stored hashed). A scan by the app's own camera needs a
granted ``camera`` decision among those sent. The decisions are checked against the
ledger's rules at once but only kept with the offer: the desktop's approval records them
for the device, so a denied, expired or superseded claim records nothing.

A claim is for a new device; which device it becomes, and the proof an existing one
needs, is ``gateway.enrollment.devices``: no claim can take over an existing device's key,
consents or subscription.
"""

from __future__ import annotations

import hmac
from dataclasses import dataclass

from sqlalchemy import Connection, select, update

from gateway import consent
from gateway.consent.purposes import Catalogue
from gateway.core import audit, qrcodes
from gateway.core.clock import Clock
from gateway.core.errors import InvalidRequest, Unauthenticated
from gateway.core.events import EventBus
from gateway.core.store import Store
from gateway.core.tokens import Signer, digest, new_token
from gateway.core.useragent import Requester
from gateway.enrollment import devices as enrollment_devices
from gateway.enrollment.devices import Decision
from gateway.enrollment.offers import Offer, OfferNotFound, WrongState, channel, explain, load
from gateway.enrollment.tables import enrollment_tokens, enrollments
from gateway.identity import device_tokens, devices
from gateway.identity.device_tokens import Lifetimes, TokenPair
from gateway.identity.devices import DeviceDescription
from gateway.identity.tables import users

VIAS = ("link", "app_camera", "typed_code")


class ClaimedTwice(WrongState):
    slug = "enrollment-claimed-twice"
    title = "Scanned by two phones"


class ClaimSecretWrong(Unauthenticated):
    slug = "enrollment-claim-unknown"
    title = "Another phone scanned this code"


@dataclass(frozen=True)
class Claimed:
    offer: Offer
    claim_secret: str  # only in the claim's answer; the phone sends it back to wait and collect


@dataclass(frozen=True)
class _UserRef:
    """What opening a token family needs of a user."""

    id: str
    role: str


def _times(connection: Connection):
    def times_of(offer_id: str):
        found = load(connection, offer_id)
        return found.created_at, found.expires_at
    return times_of


def _claim(connection: Connection, clock: Clock, found: Offer, via: str,
           device: DeviceDescription, known: str | None, pending: list[dict],
           where: Requester, secret: str) -> int:
    now = clock.now()
    number, choices = qrcodes.number_choices()
    described = {"app_device_id": device.app_device_id, "model": device.model,
                 "os": device.os, "os_version": device.os_version,
                 "app_version": device.app_version, "public_key": device.public_key}
    moved = connection.execute(
        update(enrollments)
        .where(enrollments.c.id == found.id, enrollments.c.state == "offered",
               enrollments.c.expires_at > now)
        .values(state="claimed", device_id=known, device=described, consents=pending,
                via=via, network=where.network, place=where.place,
                claim_hash=digest(secret), number=number, choices=choices, claimed_at=now)
    ).rowcount
    if moved:
        audit.record(connection, clock, "enrollment.claimed", actor=found.user_id,
                     device_id=known, subject=found.id,
                     details={"model": device.model, "os": device.os, "place": where.place,
                              "via": via, "known_device": known is not None})
    return moved


def _mine(connection: Connection, offer_id: str, claim_secret: str | None):
    row = connection.execute(select(enrollments.c.claim_hash)
                             .where(enrollments.c.id == offer_id)).first()
    if row is None:
        raise OfferNotFound("There is no such request to connect a phone. Scan the code on the "
                            "computer again.")
    if not claim_secret or not row.claim_hash or not hmac.compare_digest(
            row.claim_hash, digest(claim_secret)):
        raise ClaimSecretWrong("Only the phone that scanned this code may do this.")
    return load(connection, offer_id)


def _user(connection: Connection, user_id: str) -> _UserRef:
    row = connection.execute(select(users.c.id, users.c.role).where(users.c.id == user_id)).one()
    return _UserRef(row.id, row.role)


@dataclass(frozen=True)
class ClaimingPhone:
    """Scan to connect a phone as the phone that is not signed in yet drives it, bound to the
    store, the clock, the purposes of consent, the event bus the desktop waits on, and the
    signer and lifetimes of the tokens it collects."""

    store: Store
    clock: Clock
    catalogue: Catalogue
    events: EventBus
    signer: Signer
    lifetimes: Lifetimes

    def claim(self, *, token: str | None, code: str | None, via: str, device: DeviceDescription,
              decisions: list[Decision], where: Requester, proof: str | None = None) -> Claimed:
        """Claim the offer behind a QR *token* or a typed *code* for *device*, keeping its
        consent *decisions* with the offer until the desktop approves.

        *proof* is needed only when the installation id names one of the user's devices: a
        device proof signed with that device's registered key.

        Raises ``InvalidRequest`` (no or a malformed public key, a purpose decided twice, a
        decision the ledger would refuse, a known device sending another key),
        ``PolicyNotCurrent``/``UnknownPurpose``/``UnknownPolicyVersion``, ``ConsentRequired``
        (the app's camera without a granted camera decision), ``TokenUnknown``,
        ``CodeNotFound``/``CodeLocked``, ``OfferExpired``, ``WrongState``, ``DeviceKnown``
        (an existing device without a proof), ``ProofInvalid``/``ProofReplayed``, and
        ``ClaimedTwice`` when the offer was claimed already, which ends it, and
        ``NoPolicyInEffect`` while no version of the agreement is in effect (nothing about the
        phone is stored before a notice exists, agreement 1.6). Only ``ClaimedTwice`` changes
        anything.
        """
        if device.public_key is None:
            raise InvalidRequest("A phone connecting by scan must send its public key.",
                                 field="device.public_key")
        key = devices.device_key_jwk(device.public_key)
        purposes = [d.purpose for d in decisions]
        if len(set(purposes)) != len(purposes):
            raise InvalidRequest("Decide each purpose only once.", field="consents")
        if any(d.decision not in ("granted", "refused") for d in decisions):
            raise InvalidRequest("A phone not yet connected can only grant or refuse.",
                                 field="consents")
        if via == "app_camera" and not any(d.purpose == "camera" and d.decision == "granted"
                                           for d in decisions):
            raise consent.ConsentRequired(
                "Scanning with the app needs your consent to use the camera. Grant it and "
                "scan again.",
                purpose="camera")
        now = self.clock.now()
        if code is not None:
            via = "typed_code"
            offer_id = qrcodes.match_code(self.store, enrollments, code, now, ("offered",))
        secret = new_token()
        with self.store.write() as connection:
            consent.policy_in_effect(connection, self.clock)
            pending = [enrollment_devices.pending(connection, self.clock, self.catalogue, d)
                       for d in decisions]
            if code is None:
                offer_id = qrcodes.find_token(connection, enrollment_tokens, token or "",
                                              _times(connection), now, period=None)
            found = load(connection, offer_id)
            moved = 0
            if found.state_at(now) == "offered":
                known = enrollment_devices.proven(connection, self.clock, found.user_id,
                                                  device, key, proof)
                moved = _claim(connection, self.clock, found, via, device, known, pending,
                               where, secret)
        if not moved:
            # Claimed before (or a moment ago by a concurrent call): a second phone has the code.
            if found.state_at(now) in ("claimed", "offered"):
                self._end_claimed_twice(offer_id)
                raise ClaimedTwice("Another phone scanned this code too, so the request was "
                                   "ended for safety. Make a new one on the computer.")
            raise explain(found, now, "offered")
        with self.store.read() as connection:
            result = load(connection, offer_id)
        self.events.publish(channel(offer_id), {"state": "claimed"})
        return Claimed(result, secret)

    def _end_claimed_twice(self, offer_id: str) -> None:
        now = self.clock.now()
        with self.store.write() as connection:
            ended = connection.execute(
                update(enrollments)
                .where(enrollments.c.id == offer_id, enrollments.c.state == "claimed",
                       enrollments.c.expires_at > now)
                .values(state="denied", deny_reason="claimed-twice", decided_at=now)
            ).rowcount
            if ended:
                found = load(connection, offer_id)
                audit.record(connection, self.clock, "enrollment.denied", actor=found.user_id,
                             subject=offer_id, details={"reason": "claimed-twice"})
        if ended:
            self.events.publish(channel(offer_id), {"state": "denied"})

    def for_phone(self, offer_id: str, claim_secret: str | None) -> Offer:
        """The offer, for the phone that claimed it. Raises ``OfferNotFound`` and
        ``ClaimSecretWrong``."""
        with self.store.read() as connection:
            return _mine(connection, offer_id, claim_secret)

    def collect(self, *, offer_id: str, claim_secret: str | None,
                ip: str | None = None, reads_in: str | None = None) -> TokenPair:
        """Hand the approved phone its access and refresh tokens, once (as a password sign-in
        would), noting *reads_in*, the language it asked for, on its device. Raises ``OfferNotFound``, ``ClaimSecretWrong``, ``OfferExpired`` and
        ``WrongState`` (not approved, or collected already)."""
        now = self.clock.now()
        with self.store.write() as connection:
            found = _mine(connection, offer_id, claim_secret)
            moved = connection.execute(
                update(enrollments)
                .where(enrollments.c.id == offer_id, enrollments.c.state == "approved",
                       enrollments.c.expires_at > now)
                .values(state="collected", collected_at=now)
            ).rowcount
            if not moved:
                raise explain(found, now, "approved")
            user = _user(connection, found.user_id)
            devices.note_reads_in(connection, found.device_id, reads_in)
            pair = device_tokens.open_family(connection, self.signer, self.clock,
                                             self.lifetimes, user, found.device_id)
            audit.record(connection, self.clock, "device.signed-in", actor=found.user_id,
                         device_id=found.device_id, ip=ip,
                         details={"model": found.device["model"], "os": found.device["os"],
                                  "method": "enrollment"})
        self.events.publish(channel(offer_id), {"state": "collected"})
        return pair
