"""Tokens: opaque random ones stored only as hashes, and signed JWTs.

Opaque tokens (refresh tokens, QR tokens, session ids) carry 256 random bits unless
said otherwise and are stored as their SHA-256. Signed tokens are ES256 JWTs with a
``kid``, an audience, an expiry and a ``jti``; verification accepts ES256 only and checks
expiry against the injected clock rather than the system time.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta
from typing import Any

import jwt

from gateway.core.clock import Clock, epoch
from gateway.core.errors import TokenExpired, TokenInvalid
from gateway.core.keys import Keyring

ALGORITHMS = ["ES256"]


def new_token(nbytes: int = 32) -> str:
    """A fresh opaque token of *nbytes* random bytes, URL-safe."""
    return secrets.token_urlsafe(nbytes)


def new_id() -> str:
    """A random identifier for a row that is shown outside (128 bits, hex)."""
    return secrets.token_hex(16)


def digest(token: str) -> str:
    """The hash under which an opaque token is stored and looked up."""
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


class Signer:
    """Issues and verifies the gateway's own JWTs."""

    def __init__(self, keyring: Keyring, issuer: str, clock: Clock) -> None:
        self.keyring = keyring
        self.issuer = issuer
        self.clock = clock

    def issue(
        self, claims: dict[str, Any], *, audience: str, lifetime: timedelta, typ: str = "JWT"
    ) -> str:
        """Sign *claims* with the active key, adding iss, aud, iat, exp and jti."""
        now = self.clock.now()
        payload = {
            "iss": self.issuer,
            "aud": audience,
            "iat": epoch(now),
            "exp": epoch(now + lifetime),
            "jti": new_id(),
            **claims,
        }
        key = self.keyring.active
        return jwt.encode(
            payload, key.private_key, algorithm="ES256", headers={"kid": key.kid, "typ": typ}
        )

    def verify(self, token: str, *, audience: str, typ: str | None = None) -> dict[str, Any]:
        """The claims of *token* if it is ours, meant for *audience*, of *typ*, and current.

        Raises ``TokenExpired`` past its ``exp`` and ``TokenInvalid`` for anything else:
        another algorithm (``none`` included), an unknown ``kid``, a bad signature, another
        audience or issuer, a missing claim or a wrong ``typ``.
        """
        try:
            header = jwt.get_unverified_header(token)
        except jwt.PyJWTError:
            raise TokenInvalid("This token cannot be read. Send a token the gateway "
                               "issued.") from None
        if header.get("alg") not in ALGORITHMS:
            raise TokenInvalid("This token uses a signing algorithm the gateway does not accept. "
                               "Send a token the gateway issued.")
        if typ is not None and header.get("typ") != typ:
            raise TokenInvalid("This token is of another kind than this request needs. Send the "
                               "right token.")
        key = self.keyring.get(str(header.get("kid", "")))
        if key is None:
            raise TokenInvalid("This token was signed with a key the gateway does not know. Get a "
                               "new token.")
        try:
            claims = jwt.decode(
                token,
                key.private_key.public_key(),
                algorithms=ALGORITHMS,
                audience=audience,
                issuer=self.issuer,
                # Expiry (and iat, which PyJWT would compare with the system time) are
                # checked against the injected clock instead.
                options={"verify_exp": False, "verify_iat": False,
                         "require": ["exp", "iat", "aud", "iss", "jti"]},
            )
        except jwt.PyJWTError:
            raise TokenInvalid("This token does not check out. Get a new token.") from None
        if not isinstance(claims["exp"], int) or claims["exp"] <= epoch(self.clock.now()):
            raise TokenExpired("This token has expired. Get a new token and try again.")
        return claims
