"""Display receipts: the service worker reports each notification it showed, so the admin
sees delivered-to-push-service and displayed-on-device apart.

A receipt token is the delivery id with an HMAC over it: the service worker holds no
access token, and the token proves the report is about a delivery the gateway sent to
that device without storing anything per delivery.
"""

from __future__ import annotations

import hashlib
import hmac

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from sqlalchemy import update

from gateway.core.clock import Clock
from gateway.core.errors import TokenInvalid
from gateway.core.keys import b64url
from gateway.core.store import Store
from gateway.push.tables import deliveries


class ReceiptKey:
    """Makes and checks receipt tokens with a key derived from a stored secret."""

    def __init__(self, secret: bytes) -> None:
        self._key = HKDF(hashes.SHA256(), 32, salt=None,
                         info=b"gateway push display receipts").derive(secret)

    def token(self, delivery_id: int) -> str:
        mac = hmac.new(self._key, str(delivery_id).encode(), hashlib.sha256).digest()[:16]
        return f"{delivery_id}.{b64url(mac)}"

    def delivery_of(self, token: str) -> int:
        """The delivery id a token speaks of. Raises ``TokenInvalid`` for a forged one."""
        number, _, _mac = token.partition(".")
        if not number.isdigit() or len(number) > 19:
            raise TokenInvalid("This is not a receipt token.")
        if not hmac.compare_digest(self.token(int(number)), token):
            raise TokenInvalid("This receipt token does not check out.")
        return int(number)


def record_display(store: Store, clock: Clock, key: ReceiptKey, token: str) -> bool:
    """Note that the delivery behind *token* was shown (the first report counts);
    whether it was new. Raises ``TokenInvalid``."""
    delivery_id = key.delivery_of(token)
    with store.write() as connection:
        return bool(connection.execute(
            update(deliveries)
            .where(deliveries.c.id == delivery_id, deliveries.c.displayed_at.is_(None))
            .values(displayed_at=clock.now())).rowcount)
