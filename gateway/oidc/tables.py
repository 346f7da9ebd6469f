"""Tables of the OpenID Provider: registered clients, authorization requests waiting for a
sign-in, authorization codes, and the access and refresh tokens issued (hashes only)."""

from sqlalchemy import JSON, Boolean, Column, ForeignKey, Index, Integer, String, Table, Text

from gateway.core.store.metadata import metadata
from gateway.core.store.types import UTCDateTime

oidc_clients = Table(
    "oidc_clients",
    metadata,
    Column("id", String(64), primary_key=True),  # the client_id
    Column("name", String(64), nullable=False, unique=True),
    Column("secret_hash", String(64)),  # none: a public client (PKCE S256 required)
    Column("redirect_uris", JSON, nullable=False),  # matched exactly
    Column("scopes", JSON, nullable=False),
    Column("logout_uris", JSON, nullable=False),  # post_logout_redirect_uris, exactly
    Column("backchannel_uri", Text),  # where logout tokens are POSTed
    Column("consent", Boolean, nullable=False),  # ask the user before the first sign-in
    Column("created_at", UTCDateTime, nullable=False),
    Column("created_by", String(32)),
    Column("revoked_at", UTCDateTime),
)

oidc_requests = Table(
    "oidc_requests",
    metadata,
    Column("id", String(32), primary_key=True),
    Column("client_id", ForeignKey("oidc_clients.id", ondelete="CASCADE"), nullable=False),
    Column("params", JSON, nullable=False),  # the authorization request's parameters
    Column("created_at", UTCDateTime, nullable=False),
    Column("expires_at", UTCDateTime, nullable=False, index=True),
    Column("login_id", String(32), index=True),  # the QR login started for it, if any
)

oidc_codes = Table(
    "oidc_codes",
    metadata,
    Column("code_hash", String(64), primary_key=True),
    Column("client_id", ForeignKey("oidc_clients.id", ondelete="CASCADE"), nullable=False),
    Column("user_id", ForeignKey("users.id", ondelete="CASCADE"), nullable=False),
    Column("redirect_uri", Text),
    Column("scope", Text, nullable=False),
    Column("nonce", String(256)),
    Column("code_challenge", String(128)),
    Column("code_challenge_method", String(8)),
    Column("auth_time", Integer, nullable=False),
    Column("amr", JSON, nullable=False),
    Column("acr", String(64), nullable=False),
    Column("session_hash", String(64)),  # the browser session signed in (logout's sid)
    Column("created_at", UTCDateTime, nullable=False),
    Column("expires_at", UTCDateTime, nullable=False, index=True),
    Column("used_at", UTCDateTime),
)

oidc_tokens = Table(
    "oidc_tokens",
    metadata,
    Column("token_hash", String(64), primary_key=True),
    Column("kind", String(8), nullable=False),  # access, refresh
    Column("client_id", ForeignKey("oidc_clients.id", ondelete="CASCADE"), nullable=False),
    Column("user_id", ForeignKey("users.id", ondelete="CASCADE"), nullable=False),
    Column("scope", Text, nullable=False),
    Column("auth_time", Integer, nullable=False),
    Column("amr", JSON, nullable=False),
    Column("acr", String(64), nullable=False),
    Column("session_hash", String(64)),
    Column("code_hash", String(64), index=True),  # the code it was first issued for
    Column("created_at", UTCDateTime, nullable=False),
    Column("expires_at", UTCDateTime, nullable=False, index=True),
    Column("revoked_at", UTCDateTime),
    Index("ix_oidc_tokens_session", "session_hash"),
    Index("ix_oidc_tokens_user", "user_id"),
)
