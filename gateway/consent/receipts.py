"""Consent receipts: a decision as a JWT signed with the gateway's key, its fields after
the Kantara Initiative Consent Receipt (v1.1), verifiable with the gateway's JWKS.

The subject appears only as a pseudonym: a keyed HMAC of the user id, so a receipt names
nobody to whoever reads it, yet the gateway can tell whose it is. A receipt also carries
the event's chain hash, so its holder can later show the ledger still holds that event.
"""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass

import jwt

from gateway.consent.ledger import ConsentEvent
from gateway.consent.purposes import PARTNER_PREFIX, Purpose
from gateway.core.clock import Clock, epoch
from gateway.core.keys import Keyring
from gateway.core.tokens import ALGORITHMS

RECEIPT_TYPE = "consent-receipt+jwt"
KANTARA_VERSION = "KI-CR-v1.1.0"


@dataclass(frozen=True)
class Controller:
    """Who is responsible for the data: the operator of this gateway."""

    name: str
    contact: str
    jurisdiction: str
    policy_url: str


class ReceiptIssuer:
    """Signs receipts with the keyring's active key."""

    def __init__(self, keyring: Keyring, issuer: str, clock: Clock, pseudonym_key: bytes,
                 controller: Controller) -> None:
        self.keyring = keyring
        self.issuer = issuer
        self.clock = clock
        self._pseudonym_key = pseudonym_key
        self.controller = controller

    def pseudonym(self, user_id: str) -> str:
        """The user's stable pseudonym in receipts (HMAC-SHA256 of the user id)."""
        return hmac.new(self._pseudonym_key, user_id.encode(), hashlib.sha256).hexdigest()

    def claims(self, event: ConsentEvent, purpose: Purpose) -> dict:
        """The receipt's claims for *event* about *purpose*."""
        partner = purpose.name[len(PARTNER_PREFIX):] if purpose.name.startswith(
            PARTNER_PREFIX) else None
        return {
            "iss": self.issuer,
            "iat": epoch(self.clock.now()),
            "jti": event.id,
            "version": KANTARA_VERSION,
            "jurisdiction": self.controller.jurisdiction,
            "consentTimestamp": epoch(event.server_time),
            "collectionMethod": event.method,
            "consentReceiptID": event.id,
            "language": event.language,
            "piiPrincipalId": self.pseudonym(event.user_id),
            "piiControllers": [{"piiController": self.controller.name,
                                "contact": self.controller.contact,
                                "onBehalf": False}],
            "policyUrl": self.controller.policy_url,
            "services": [{"service": purpose.function, "purposes": [{
                "purpose": purpose.name,
                "purposeCategory": [purpose.title],
                "consentType": "EXPLICIT",
                "piiCategory": list(purpose.data),
                "primaryPurpose": True,
                "termination": "until withdrawn, or until a policy version changes it",
                "thirdPartyDisclosure": partner is not None,
                **({"thirdPartyName": partner} if partner else {}),
            }]}],
            "sensitive": purpose.sensitive,
            "spiCat": list(purpose.data) if purpose.sensitive else [],
            # The decision itself, beyond the Kantara fields.
            "decision": event.decision,
            "noticeVersion": event.policy_version,
            "noticeHash": event.notice_hash,
            "eventHash": event.hash,
        }

    def issue(self, event: ConsentEvent, purpose: Purpose) -> str:
        """The signed receipt of *event* (ES256, the active key's ``kid`` in the header)."""
        key = self.keyring.active
        return jwt.encode(self.claims(event, purpose), key.private_key, algorithm=ALGORITHMS[0],
                          headers={"kid": key.kid, "typ": RECEIPT_TYPE})
