"""Everything a request needs from the running gateway, built once by ``create_app``."""

from __future__ import annotations

from dataclasses import dataclass, field

from gateway.accounts import Passwords
from gateway.clock import Clock
from gateway.device_tokens import Lifetimes
from gateway.events import EventBus, InProcessBus
from gateway.keys import Keyring
from gateway.purposes import Catalogue
from gateway.settings import Settings
from gateway.store import Store
from gateway.tokens import Signer


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
