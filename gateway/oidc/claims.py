"""What a relying party learns about a user: the scopes it may ask for and the claims
each releases (OpenID Connect Core 5.4), read from the account and its groups."""

from __future__ import annotations

from sqlalchemy import select

from gateway.core.errors import NotFound
from gateway.core.languages import N_
from gateway.core.store import Store
from gateway.identity.tables import memberships, users

SCOPES = {
    "openid": N_("who you are (an identifier only this gateway gives you)"),
    "profile": N_("your name and user name"),
    "email": N_("your email address"),
    "phone": N_("your phone number"),
    "groups": N_("the groups you belong to"),
    "offline_access": N_("staying signed in (a refresh token)"),
}

# Which claims each scope releases.
CLAIMS = {
    "openid": ("sub",),
    "profile": ("name", "preferred_username", "locale"),
    "email": ("email", "email_verified"),
    "phone": ("phone_number", "phone_number_verified"),
    "groups": ("groups",),
}

SUPPORTED_CLAIMS = tuple(claim for names in CLAIMS.values() for claim in names) + (
    "iss", "aud", "exp", "iat", "auth_time", "nonce", "acr", "amr", "at_hash", "sid")


def scopes_of(scope: str | None) -> set[str]:
    return set((scope or "").split())


def account_active(store: Store, user_id: str) -> bool:
    """Whether the account *user_id* exists and is not disabled."""
    with store.read() as connection:
        row = connection.execute(select(users.c.disabled_at).where(users.c.id == user_id)).first()
    return row is not None and row.disabled_at is None


def user_claims(store: Store, user_id: str, scope: str | None) -> dict:
    """The claims about *user_id* the *scope* (space-separated) releases; ``sub`` always.
    Empty values are left out rather than sent empty. Raises ``NotFound`` for an account
    that is gone or disabled."""
    wanted = scopes_of(scope)
    with store.read() as connection:
        user = connection.execute(select(users).where(users.c.id == user_id)).first()
        if user is None or user.disabled_at is not None:
            raise NotFound("There is no such account.")
        groups = sorted(connection.execute(
            select(memberships.c.group_name).where(memberships.c.user_id == user_id)).scalars())
    claims: dict = {"sub": user.id}
    if "profile" in wanted:
        claims.update(name=user.display_name, preferred_username=user.username)
        if user.language:
            claims["locale"] = user.language
    if "email" in wanted and user.email:
        # Set by an administrator, not proved by a message to the address.
        claims.update(email=user.email, email_verified=False)
    if "phone" in wanted and user.phone:
        claims.update(phone_number=user.phone, phone_number_verified=False)
    if "groups" in wanted:
        claims["groups"] = groups
    return claims
