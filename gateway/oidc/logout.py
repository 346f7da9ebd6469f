"""Back-channel logout (OpenID Connect Back-Channel Logout 1.0): when a browser's session
at the gateway ends, the tokens relying parties hold for it are revoked and each relying
party with a back-channel URI is sent a signed logout token naming the user (``sub``) and
the session (``sid``), so that its own session ends too.

Delivery is one POST per relying party with a short timeout; a relying party that cannot
be reached is recorded in the operation log, and its tokens are revoked all the same.
"""

from __future__ import annotations

import logging
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import Connection

from gateway.core import audit
from gateway.core.clock import Clock
from gateway.core.store import Store
from gateway.core.tokens import Signer
from gateway.oidc.clients import Clients
from gateway.oidc.signins import sid_of
from gateway.oidc.tokens import Tokens, revoke

LOGOUT_TYPE = "logout+jwt"
LIFETIME = timedelta(minutes=2)
EVENT = "http://schemas.openid.net/event/backchannel-logout"
TIMEOUT_SECONDS = 3.0
# The relying party's answers that mean it logged out: 200, and the 204 some frameworks
# make of an empty 200 (Back-Channel Logout 1.0, 2.8).
LOGGED_OUT = (200, 204)

log = logging.getLogger(__name__)

Poster = Callable[[str, dict], int]  # (url, form) -> HTTP status; raises OSError when unreachable


def post_form(url: str, form: dict) -> int:
    """POST *form* to *url* (urlencoded), with a short timeout; the answer's status."""
    data = urllib.parse.urlencode(form).encode("ascii")
    req = urllib.request.Request(url, data=data, method="POST", headers={
        "Content-Type": "application/x-www-form-urlencoded"})
    try:
        with urllib.request.urlopen(req, timeout=TIMEOUT_SECONDS) as answer:  # noqa: S310
            return answer.status
    except urllib.error.HTTPError as error:
        return error.code


def logout_token(signer: Signer, *, client_id: str, user_id: str, sid: str | None) -> str:
    """The signed logout token for *client_id* (typ ``logout+jwt``, no nonce)."""
    claims = {"sub": user_id, "events": {EVENT: {}}}
    if sid:
        claims["sid"] = sid
    return signer.issue(claims, audience=client_id, lifetime=LIFETIME, typ=LOGOUT_TYPE)


@dataclass(frozen=True)
class Logout:
    """Ends relying parties' sign-ins when the gateway session behind them ends."""

    store: Store
    signer: Signer
    clients: Clients
    tokens: Tokens
    post: Poster = post_form

    def session_ended(self, session_hash: str, user_id: str) -> list[str]:
        """The browser session stored as *session_hash* of *user_id* ended: revoke what
        relying parties hold for it and tell those with a back-channel URI. Returns the
        client ids told successfully."""
        ended = self.tokens.end_sign_in(session_hash=session_hash)
        return self.tell(user_id, [(client_id, session_hash) for client_id in ended])

    def sessions_ended(self, connection: Connection, clock: Clock, user_id: str,
                       session_hashes: tuple[str, ...],
                       whole_account: bool) -> Callable[[], list[str]] | None:
        """The reaction to browser sessions of *user_id* ended elsewhere (an administrator,
        a password change): revoke, in that transaction, the tokens relying parties hold
        for them (for every session of the account when *whole_account*); returns the
        back-channel logout to send once it has committed (None when no one held any)."""
        now = clock.now()
        held: set[tuple[str, str | None]] = set()
        if whole_account:
            # One logout token without sid per client ends every session of the user there.
            held.update((client_id, None) for client_id, _ in
                        revoke(connection, now, user_id=user_id))
        else:
            for session_hash in session_hashes:
                held.update(revoke(connection, now, session_hash=session_hash))
        if not held:
            return None
        told = sorted(held, key=lambda pair: (pair[0], pair[1] or ""))
        return lambda: self.tell(user_id, told)

    def tell(self, user_id: str, ended: list[tuple[str, str | None]]) -> list[str]:
        """Send the back-channel logout of each (client, browser session) *ended* to the
        client's back-channel URI, if it has one (no sid for a session not named); each
        attempt is written to the operation log. Returns the client ids told successfully."""
        told = []
        for client_id, session_hash in ended:
            client = self.clients.find(client_id)
            if client is None or not client.backchannel_uri:
                continue
            token = logout_token(self.signer, client_id=client_id, user_id=user_id,
                                 sid=sid_of(session_hash))
            try:
                status = self.post(client.backchannel_uri, {"logout_token": token})
            except OSError as error:
                status = None
                log.warning("back-channel logout to client %s failed: %s", client_id,
                            type(error).__name__)
            with self.store.write() as connection:
                audit.record(connection, self.signer.clock, "oidc.backchannel-logout",
                             actor=user_id, subject=client_id,
                             details={"status": status, "delivered": status in LOGGED_OUT})
            if status in LOGGED_OUT:
                told.append(client_id)
        return told
