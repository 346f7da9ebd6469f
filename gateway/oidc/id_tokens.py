"""ID tokens: ES256 JWTs signed with the gateway's active key (its ``kid`` is in the JWKS),
for one client (``aud``), telling how and when the user signed in."""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from datetime import timedelta

from gateway.core.keys import b64url
from gateway.core.tokens import Signer
from gateway.oidc.signins import SignIn, sid_of

LIFETIME = timedelta(minutes=10)
ID_TOKEN_TYPE = "JWT"  # the header's typ: what relying parties' libraries expect


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
    return signer.issue(payload, audience=client_id, lifetime=LIFETIME, typ=ID_TOKEN_TYPE)


def hint_names_session(claims: dict, typ: str | None, *, issuer: str, client_live: Callable[
        [str], bool], user_id: str | None, session_hash: str | None) -> bool:
    """Whether an ``id_token_hint`` whose signature is ours (*claims*, header *typ*) is an
    ID token this gateway issued to a live client for the browser session *session_hash*
    of *user_id* (any user when the browser has no session, *user_id* None): only then may
    a logout skip the user's confirmation. Other tokens signed with the same key (logout
    tokens, device tokens, another user's ID token) may not."""
    aud = claims.get("aud")
    if typ != ID_TOKEN_TYPE or claims.get("iss") != issuer or not isinstance(aud, str):
        return False
    if claims.get("azp", aud) != aud or "auth_time" not in claims or not client_live(aud):
        return False
    if user_id is None:
        return True  # no session to end: nothing to confirm, back to the client it names
    if claims.get("sub") != user_id:
        return False
    return "sid" not in claims or claims["sid"] == sid_of(session_hash)
