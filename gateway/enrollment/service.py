"""Scan to connect a phone, bound once to what it runs on: the signed-in desktop's offers
and the claiming phone's moves, as the composition root builds them."""

from __future__ import annotations

from dataclasses import dataclass

from gateway.consent.purposes import Catalogue
from gateway.core.clock import Clock
from gateway.core.events import EventBus
from gateway.core.store import Store
from gateway.core.tokens import Signer
from gateway.enrollment.offers import Offers
from gateway.enrollment.phone import ClaimingPhone
from gateway.identity.device_tokens import Lifetimes


@dataclass(frozen=True)
class Enrollment:
    """Scan to connect a phone: ``offers`` opens, shows, approves and denies an offer on
    the desktop; ``phone`` claims it, waits and collects its tokens."""

    offers: Offers
    phone: ClaimingPhone

    @classmethod
    def build(cls, store: Store, clock: Clock, events: EventBus, signer: Signer,
              catalogue: Catalogue, lifetimes: Lifetimes, key: bytes) -> Enrollment:
        """Scan to connect a phone on *store* and *clock*, telling waiters on *events*; QR
        tokens are derived from *key*, collected tokens signed by *signer*."""
        return cls(Offers(store, clock, events, catalogue, key),
                   ClaimingPhone(store, clock, catalogue, events, signer, lifetimes))
