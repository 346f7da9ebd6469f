"""Scan to log in, bound once to what it runs on: the desktop browser's flow and the
signed-in phone's moves, as the composition root builds them."""

from __future__ import annotations

from dataclasses import dataclass

from gateway.consent.purposes import Catalogue
from gateway.core.clock import Clock
from gateway.core.events import EventBus
from gateway.core.store import Store
from gateway.core.tokens import Signer
from gateway.qrlogin.far_away import Locator
from gateway.qrlogin.flow import BrowserFlow
from gateway.qrlogin.phone import PhoneMoves
from gateway.qrlogin.state_cache import StateCache


@dataclass(frozen=True)
class QrLogin:
    """Scan to log in: ``browser`` starts, watches, draws and redeems a login; ``phone``
    scans, types the code, confirms and denies."""

    browser: BrowserFlow
    phone: PhoneMoves

    @classmethod
    def build(cls, store: Store, clock: Clock, events: EventBus, signer: Signer,
              catalogue: Catalogue, key: bytes, states: StateCache | None = None,
              locate: Locator | None = None) -> QrLogin:
        """Scan to log in on *store* and *clock*, telling waiters on *events*; QR tokens are
        derived from *key*; *locate* finds where a phone is (with location consent), for
        the far-away warning."""
        phone = (PhoneMoves(store, clock, catalogue, events, key, locate) if locate else
                 PhoneMoves(store, clock, catalogue, events, key))
        return cls(BrowserFlow(store, clock, events, signer, key, states), phone)
