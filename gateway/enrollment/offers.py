"""Scan to connect a phone: a signed-in desktop offers a QR code, a phone that is not yet
signed in claims it, and the desktop approves; the phone then collects its tokens.

An *enrollment* moves ``offered -> claimed -> approved -> collected``, or ends ``denied``
or ``expired``. A second claim ends a claimed offer (someone else has the code too). As in
scan to log in (``gateway.qrlogin.flow``), every move is one conditional UPDATE and is
published on the offer's channel; the QR token, typed code and number matching come from
``gateway.core.qrcodes``. Here the phone shows the number and the desktop picks it among three,
so a photographed QR code alone connects nobody.

Nothing a claim carries has any effect before the desktop approves: the phone's
description and consent decisions wait in the offer's row. Approval registers the device,
its key and those decisions in one transaction; a denied, expired or superseded offer
leaves the devices and the consent ledger as they were. A claim never picks the device it
becomes: a new phone gets a new id at approval, and a phone that is already one of the
user's devices is that device only if it proved so with its own key.

This module holds the desktop's side; the phone's side is ``gateway.enrollment.phone``, and
which device an offer becomes is ``gateway.enrollment.devices``.
"""

from __future__ import annotations

import hmac
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import Connection, insert, select, update

from gateway.consent.purposes import Catalogue
from gateway.core import audit, qrcodes
from gateway.core.clock import Clock
from gateway.core.errors import Conflict, Forbidden, Gone, NotFound
from gateway.core.events import EventBus
from gateway.core.store import Store
from gateway.core.tokens import new_id
from gateway.enrollment import devices as enrollment_devices
from gateway.enrollment.devices import DeviceKnown
from gateway.enrollment.tables import enrollment_tokens, enrollments

LIFETIME = timedelta(seconds=120)
COLLECT_WINDOW = timedelta(seconds=30)  # an approved phone must fetch its tokens this soon
LIVE = ("offered", "claimed")
CHANNEL_PREFIX = "enrollment:"


class OfferNotFound(NotFound):
    slug = "enrollment-not-found"
    title = "Request to connect a phone not found"


class OfferExpired(Gone):
    slug = "enrollment-expired"
    title = "Request to connect a phone expired"


class WrongState(Conflict):
    slug = "enrollment-wrong-state"
    title = "Not possible at this step"


class OtherSession(Forbidden):
    slug = "enrollment-other-session"
    title = "Made in another browser"


class WrongNumber(Conflict):
    slug = "enrollment-wrong-number"
    title = "Wrong number"


@dataclass(frozen=True)
class Offer:
    id: str
    state: str
    created_at: datetime
    expires_at: datetime
    user_id: str
    device_id: str | None  # the proven existing device, or the new one once approved
    device: dict | None  # what the claiming phone said about itself
    consents: tuple[dict, ...]  # its consent decisions, recorded at approval
    network: str | None
    place: str | None
    via: str | None
    number: int | None
    choices: tuple[int, ...]
    claimed_at: datetime | None
    deny_reason: str | None

    def state_at(self, now: datetime) -> str:
        """The state in force at *now* (an offer past its time is expired)."""
        if self.state in LIVE + ("approved",) and self.expires_at <= now:
            return "expired"
        return self.state

    def event(self, now: datetime) -> dict:
        """What the desktop may know: state fields, and the claiming phone once claimed."""
        state = self.state_at(now)
        phone = None
        if self.device is not None:
            phone = {"model": self.device["model"], "os": self.device["os"],
                     "os_version": self.device["os_version"], "place": self.place,
                     "network": self.network, "claimed_at": iso(self.claimed_at)}
        return {"state": state, "expires_at": iso(self.expires_at),
                "choices": list(self.choices) if state == "claimed" else None, "phone": phone}


def iso(moment: datetime | None) -> str | None:
    """A UTC time as JSON carries it (``...Z``), or None."""
    return moment.isoformat().replace("+00:00", "Z") if moment else None


@dataclass(frozen=True)
class Offered:
    offer: Offer
    code: str  # the typed code, e.g. BCDF-GHJK


def channel(offer_id: str) -> str:
    return CHANNEL_PREFIX + offer_id


def _offer(row) -> Offer:
    return Offer(
        id=row.id, state=row.state, created_at=row.created_at, expires_at=row.expires_at,
        user_id=row.user_id, device_id=row.device_id, device=row.device,
        consents=tuple(row.consents or ()), network=row.network,
        place=row.place, via=row.via, number=row.number, choices=tuple(row.choices or ()),
        claimed_at=row.claimed_at, deny_reason=row.deny_reason,
    )


def load(connection: Connection, offer_id: str) -> Offer:
    """The offer *offer_id*. Raises ``OfferNotFound``."""
    row = connection.execute(select(enrollments).where(enrollments.c.id == offer_id)).first()
    if row is None:
        raise OfferNotFound("There is no such request to connect a phone. Make a new one on the "
                            "computer.")
    return _offer(row)


def explain(offer: Offer, now: datetime, wanted: str):
    """The error for a move that needed the offer *wanted* but found it otherwise."""
    state = offer.state_at(now)
    if state == "expired":
        return OfferExpired("This request to connect a phone has expired. Make a new one on the "
                            "computer.")
    return WrongState("This request to connect a phone cannot take this step now. Make a new "
                      "one on the computer.", state=state)


@dataclass(frozen=True)
class Offers:
    """Scan to connect a phone as the signed-in desktop drives it, bound to the store, the
    clock, the event bus its waiters listen on, the purposes of consent and the key QR
    tokens derive from."""

    store: Store
    clock: Clock
    events: EventBus
    catalogue: Catalogue
    key: bytes  # QR tokens are derived from it (``qrcodes.token_for``)

    def offer(self, *, user_id: str, session_hash: str) -> Offered:
        """Open an offer for the signed-in *user_id* in the browser session *session_hash*:
        one QR token (hashed) and a typed code (hashed), valid two minutes, single use."""
        now = self.clock.now()
        offer_id = new_id()
        with self.store.write() as connection:
            while True:
                code, code_columns = qrcodes.new_code()
                if not qrcodes.code_lookup_taken(connection, enrollments,
                                                 code_columns["code_lookup"], now,
                                                 ("offered",)):
                    break
            connection.execute(insert(enrollments).values(
                id=offer_id, state="offered", created_at=now, expires_at=now + LIFETIME,
                user_id=user_id, session_hash=session_hash, code_failures=0, **code_columns))
            qrcodes.store_tokens(connection, enrollment_tokens, self.key, offer_id, 1)
            return Offered(load(connection, offer_id), code)

    def for_session(self, offer_id: str, session_hash: str) -> Offer:
        """The offer, for the browser session that made it. Raises ``OfferNotFound`` and
        ``OtherSession``."""
        with self.store.read() as connection:
            found = load(connection, offer_id)
            row_hash = connection.execute(select(enrollments.c.session_hash)
                                          .where(enrollments.c.id == offer_id)).scalar()
        if not hmac.compare_digest(row_hash, session_hash):
            raise OtherSession("This request to connect a phone was made in another browser. "
                               "Carry on there, or make a new one here.")
        return found

    def link_token(self, offer_id: str, session_hash: str) -> str:
        """The offer's QR token, to draw the code again. Raises ``OfferNotFound``,
        ``OtherSession``, ``OfferExpired`` and ``WrongState`` once claimed."""
        found = self.for_session(offer_id, session_hash)
        state = found.state_at(self.clock.now())
        if state != "offered":
            raise explain(found, self.clock.now(), "offered")
        return qrcodes.token_for(self.key, offer_id, 0)

    def approve(self, *, offer_id: str, session_hash: str, number: int,
                ip: str | None = None) -> Offer:
        """Approve the claiming phone after the user picked the number it shows: in one
        transaction the device is registered for the offer's user (a new device with a new
        id, or the existing device the phone proved to be) with its key, and the consent
        decisions sent with the claim are recorded for it.

        A wrong number ends the offer (committed) and raises ``WrongNumber``; so does a device
        of the user registered meanwhile under the phone's installation id, raising
        ``DeviceKnown``. Raises ``OfferNotFound``, ``OtherSession``, ``OfferExpired``,
        ``WrongState``, and what ``consent.record`` raises (``PolicyNotCurrent`` when a new
        policy version took effect since the claim), which leaves the offer claimed.
        """
        now = self.clock.now()
        found = self.for_session(offer_id, session_hash)
        with self.store.write() as connection:
            reason = "wrong-number" if number != found.number else None
            device_id = found.device_id
            if reason is None and found.state_at(now) == "claimed":
                taken = enrollment_devices.named(connection, found.user_id,
                                                 found.device["app_device_id"])
                if taken != found.device_id:  # someone else's sign-in took it, or it went
                    reason = "device-known"
                device_id = device_id or new_id()
            values = (dict(state="denied", deny_reason=reason) if reason else
                      dict(state="approved", device_id=device_id,
                           expires_at=now + COLLECT_WINDOW))
            moved = connection.execute(
                update(enrollments)
                .where(enrollments.c.id == offer_id, enrollments.c.state == "claimed",
                       enrollments.c.expires_at > now)
                .values(decided_at=now, **values)
            ).rowcount
            if not moved:
                raise explain(load(connection, offer_id), now, "claimed")
            if reason is None:
                enrollment_devices.register(connection, self.clock, found.user_id,
                                            found.device, device_id)
            # The operation log before the ledger: the order every such transaction locks in.
            audit.record(connection, self.clock,
                         "enrollment.denied" if reason else "enrollment.approved",
                         actor=found.user_id, device_id=None if reason else device_id,
                         subject=offer_id, ip=ip,
                         details={"model": found.device["model"], "os": found.device["os"],
                                  "place": found.place, "via": found.via,
                                  **({"reason": reason} if reason else {})})
            if reason is None:
                enrollment_devices.record_decisions(
                    connection, self.clock, self.catalogue, user_id=found.user_id,
                    device_id=device_id, app_version=found.device["app_version"],
                    decisions=found.consents)
            result = load(connection, offer_id)
        self.events.publish(channel(offer_id), {"state": result.state})
        if reason == "wrong-number":
            raise WrongNumber("That was not the number on the phone, so the request was ended "
                              "for safety. Make a new one.")
        if reason == "device-known":
            raise DeviceKnown("This phone was connected in another way meanwhile, so this request "
                              "was ended. Nothing more needs doing.")
        return result

    def deny(self, *, offer_id: str, session_hash: str, ip: str | None = None) -> Offer:
        """End an offer from the desktop (before or after a claim). Raises ``OfferNotFound``,
        ``OtherSession``, ``OfferExpired`` and ``WrongState``."""
        now = self.clock.now()
        found = self.for_session(offer_id, session_hash)
        with self.store.write() as connection:
            moved = connection.execute(
                update(enrollments)
                .where(enrollments.c.id == offer_id, enrollments.c.state.in_(LIVE),
                       enrollments.c.expires_at > now)
                .values(state="denied", deny_reason="refused", decided_at=now)
            ).rowcount
            if not moved:
                raise explain(load(connection, offer_id), now, "offered or claimed")
            audit.record(connection, self.clock, "enrollment.denied", actor=found.user_id,
                         subject=offer_id, ip=ip, details={"reason": "refused"})
            result = load(connection, offer_id)
        self.events.publish(channel(offer_id), {"state": "denied"})
        return result

    def expire(self, offer_id: str) -> bool:
        """Record that the offer ran out of time, if it has; tell its waiters."""
        now = self.clock.now()
        with self.store.write() as connection:
            changed = connection.execute(
                update(enrollments)
                .where(enrollments.c.id == offer_id, enrollments.c.expires_at <= now,
                       enrollments.c.state.in_(LIVE + ("approved",)))
                .values(state="expired")
            ).rowcount
        if changed:
            self.events.publish(channel(offer_id), {"state": "expired"})
        return bool(changed)
