"""Everything a request needs from the running gateway, built once by ``create_app``."""

from __future__ import annotations

from dataclasses import dataclass, field

from gateway.consent.purposes import Catalogue
from gateway.core.clock import Clock
from gateway.core.events import EventBus, InProcessBus
from gateway.core.keys import Keyring
from gateway.core.settings import Settings
from gateway.core.store import Store
from gateway.core.tokens import Signer
from gateway.identity.accounts import Passwords
from gateway.identity.device_tokens import Lifetimes


@dataclass
class Services:
    settings: Settings
    store: Store
    clock: Clock
    keyring: Keyring
    signer: Signer
    passwords: Passwords
    lifetimes: Lifetimes
    catalogue: Catalogue
    # Who waits on what (QR logins): in this process unless a shared bus is given.
    events: EventBus = field(default_factory=InProcessBus)
