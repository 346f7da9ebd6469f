"""What of the OpenID Provider's rows has ended and may go: the housekeeper's sweep
(``gateway.privacy.sweep``) removes them in small batches, so that no authorization
request, code or token issue pays for the rows that ended before it."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ColumnElement, Table, and_, exists, or_

from gateway.identity.tables import web_sessions
from gateway.oidc.codes import KEEP_USED
from gateway.oidc.tables import oidc_codes, oidc_requests, oidc_tokens
from gateway.oidc.tokens import KEEP_ENDED


def _session_signed_in(now: datetime) -> ColumnElement[bool]:
    """A token not revoked whose browser session still lives: the relying party it was
    issued to is signed in through that session, and is told when it ends."""
    return and_(oidc_tokens.c.revoked_at.is_(None), exists().where(
        web_sessions.c.id_hash == oidc_tokens.c.session_hash,
        web_sessions.c.revoked_at.is_(None), web_sessions.c.expires_at > now))


def ended(now: datetime) -> tuple[tuple[Table, ColumnElement[bool]], ...]:
    """Each OpenID table and the condition its rows that may go meet at *now*: requests
    past their time, codes an hour past theirs (a reuse is recognised until then), tokens
    a day after they expired, access tokens also a day after they were revoked. A revoked
    refresh token stays until it would have expired: its reuse (a stolen copy) is
    recognised, and its line revoked, for as long as the copy could have been used. A
    token of a browser session still signed in stays while it is: its row is how the
    back-channel logout knows which relying parties to tell when that session ends."""
    return (
        (oidc_requests, oidc_requests.c.expires_at < now),
        (oidc_codes, oidc_codes.c.expires_at < now - KEEP_USED),
        (oidc_tokens, or_(and_(oidc_tokens.c.expires_at < now - KEEP_ENDED,
                               ~_session_signed_in(now)),
                          and_(oidc_tokens.c.kind != "refresh",
                               oidc_tokens.c.revoked_at < now - KEEP_ENDED))),
    )
