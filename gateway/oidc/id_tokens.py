"""ID tokens: ES256 JWTs signed with the gateway's active key (its ``kid`` is in the JWKS),
for one client (``aud``), telling how and when the user signed in."""

from __future__ import annotations

import hashlib
from datetime import timedelta

from gateway.core.keys import b64url
from gateway.core.tokens import Signer
from gateway.oidc.signins import SignIn

LIFETIME = timedelta(minutes=10)


def half_hash(value: str) -> str:
    """The left half of the SHA-256 of *value*, base64url: ``at_hash`` for ES256."""
    return b64url(hashlib.sha256(value.encode("ascii")).digest()[:16])


def id_token(signer: Signer, *, client_id: str, sign_in: SignIn, claims: dict,
             nonce: str | None = None, access_token: str | None = None,
             sid: str | None = None) -> str:
    """The ID token of *sign_in* for *client_id*, carrying the user's *claims* (those the
    scope releases), the request's *nonce* and the ``at_hash`` of *access_token*."""
    payload = {**claims, "sub": sign_in.user_id, "auth_time": sign_in.auth_time,
               "amr": list(sign_in.amr), "acr": sign_in.acr, "azp": client_id}
    if nonce:
        payload["nonce"] = nonce
    if access_token:
        payload["at_hash"] = half_hash(access_token)
    if sid:
        payload["sid"] = sid
    return signer.issue(payload, audience=client_id, lifetime=LIFETIME)
