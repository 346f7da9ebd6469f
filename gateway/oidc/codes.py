"""Authorization codes: stored as hashes, bound to the client, the redirect URI, the PKCE
challenge and the sign-in, good for one minute and for one redemption only.

Taking a code is one conditional UPDATE (``WHERE used_at IS NULL``): of any number of
concurrent redemptions exactly one gets it. A code presented again revokes the tokens
issued for it (RFC 6749 4.1.2), for whoever presents it twice may have stolen it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import insert, select, update

from gateway.core.clock import Clock
from gateway.core.store import Store
from gateway.core.tokens import digest
from gateway.oidc.signins import SignIn
from gateway.oidc.tables import oidc_codes, oidc_tokens

LIFETIME = timedelta(seconds=60)
KEEP_USED = timedelta(hours=1)  # used codes stay this long so that a reuse is recognised


@dataclass(frozen=True)
class Code:
    """An authorization code as the token endpoint finds it."""

    code_hash: str
    client_id: str
    redirect_uri: str | None
    scope: str
    nonce: str | None
    code_challenge: str | None
    code_challenge_method: str | None
    sign_in: SignIn


def _code_of(row) -> Code:
    return Code(row.code_hash, row.client_id, row.redirect_uri, row.scope, row.nonce,
                row.code_challenge, row.code_challenge_method,
                SignIn(row.user_id, row.auth_time, tuple(row.amr), row.acr, row.session_hash))


@dataclass(frozen=True)
class Codes:
    """Authorization codes, bound to the store and the clock."""

    store: Store
    clock: Clock

    def save(self, code: str, *, client_id: str, redirect_uri: str | None, scope: str,
             nonce: str | None, code_challenge: str | None,
             code_challenge_method: str | None, sign_in: SignIn) -> None:
        """Keep the hash of *code*, just issued to *client_id* for *sign_in*."""
        now = self.clock.now()
        with self.store.write() as connection:
            connection.execute(insert(oidc_codes).values(
                code_hash=digest(code), client_id=client_id, user_id=sign_in.user_id,
                redirect_uri=redirect_uri, scope=scope, nonce=nonce,
                code_challenge=code_challenge, code_challenge_method=code_challenge_method,
                auth_time=sign_in.auth_time, amr=list(sign_in.amr), acr=sign_in.acr,
                session_hash=sign_in.session_hash, created_at=now,
                expires_at=now + LIFETIME))

    def take(self, code: str, client_id: str) -> Code | None:
        """Use *code* of *client_id*, once: the code, or None when it is unknown, another
        client's, expired or used already (then the tokens issued for it are revoked)."""
        now = self.clock.now()
        code_hash = digest(code)
        with self.store.write() as connection:
            taken = connection.execute(
                update(oidc_codes)
                .where(oidc_codes.c.code_hash == code_hash, oidc_codes.c.client_id == client_id,
                       oidc_codes.c.used_at.is_(None), oidc_codes.c.expires_at > now)
                .values(used_at=now)).rowcount
            row = connection.execute(select(oidc_codes)
                                     .where(oidc_codes.c.code_hash == code_hash)).first()
            if not taken:
                if row is not None and row.used_at is not None:
                    connection.execute(update(oidc_tokens)
                                       .where(oidc_tokens.c.code_hash == code_hash,
                                              oidc_tokens.c.revoked_at.is_(None))
                                       .values(revoked_at=now))
                return None
        return _code_of(row)

    def nonce_used(self, client_id: str, nonce: str) -> bool:
        """Whether a code was issued to *client_id* with this *nonce* (a replayed request)."""
        with self.store.read() as connection:
            return connection.execute(
                select(oidc_codes.c.code_hash)
                .where(oidc_codes.c.client_id == client_id, oidc_codes.c.nonce == nonce)
                .limit(1)).first() is not None
