"""The OpenID Provider, bound once to what it runs on, as the composition root builds it."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from gateway.core.clock import Clock
from gateway.core.store import Store
from gateway.core.tokens import Signer
from gateway.oidc import claims, id_tokens
from gateway.oidc.clients import Clients
from gateway.oidc.codes import Codes
from gateway.oidc.logout import Logout
from gateway.oidc.requests import Requests
from gateway.oidc.signins import SignIn, sid_of
from gateway.oidc.tokens import Tokens


@dataclass(frozen=True)
class Oidc:
    """The OpenID Provider's parts: ``clients`` (registered by the admin), ``requests``
    (waiting for a sign-in), ``codes``, ``tokens``, and the claims and ID tokens made
    from them."""

    store: Store
    signer: Signer
    clients: Clients
    requests: Requests
    codes: Codes
    tokens: Tokens
    logout: Logout

    @classmethod
    def build(cls, store: Store, clock: Clock, signer: Signer, *,
              refresh_lifetime: timedelta, https_only: bool) -> Oidc:
        """The provider on *store* and *clock*, signing with *signer* (issuer: the public
        URL); redirect URIs must be https (but for localhost) when *https_only*."""
        clients, tokens = Clients(store, clock, https_only), Tokens(store, clock, refresh_lifetime)
        return cls(store, signer, clients, Requests(store, clock), Codes(store, clock), tokens,
                   Logout(store, signer, clients, tokens))

    def user_active(self, user_id: str) -> bool:
        """Whether *user_id* may still be signed in to applications (not disabled or gone)."""
        return claims.account_active(self.store, user_id)

    def claims(self, user_id: str, scope: str | None) -> dict:
        """The claims about *user_id* that *scope* releases. Raises ``NotFound``."""
        return claims.user_claims(self.store, user_id, scope)

    def id_token(self, *, client_id: str, sign_in: SignIn, scope: str, nonce: str | None,
                 access_token: str | None) -> str:
        """The signed ID token of *sign_in* for *client_id*. Raises ``NotFound`` for an
        account gone meanwhile."""
        return id_tokens.id_token(self.signer, client_id=client_id, sign_in=sign_in,
                                  claims=self.claims(sign_in.user_id, scope), nonce=nonce,
                                  access_token=access_token, sid=sid_of(sign_in.session_hash))
