"""Relying parties registered by the administrator: the client id, a secret shown once and
stored hashed (none for a public client), exact redirect and logout URIs, the scopes it
may ask for, where its back-channel logout goes and whether the user is asked first."""

from __future__ import annotations

import hmac
from dataclasses import dataclass
from datetime import datetime
from urllib.parse import urlsplit

from sqlalchemy import insert, select, update

from gateway.core import audit
from gateway.core.clock import Clock
from gateway.core.errors import Conflict, InvalidRequest, NotFound
from gateway.core.store import Store
from gateway.core.tokens import digest, new_token
from gateway.oidc.claims import SCOPES
from gateway.oidc.tables import oidc_clients

SECRET_PREFIX = "gws_"
CLIENT_ID_LENGTH = 64  # its column


@dataclass(frozen=True)
class Client:
    id: str
    name: str
    public: bool  # no secret: PKCE with S256 is required instead
    redirect_uris: tuple[str, ...]
    scopes: tuple[str, ...]
    logout_uris: tuple[str, ...]
    backchannel_uri: str | None
    consent: bool
    created_at: datetime
    revoked_at: datetime | None
    secret_hash: str | None = None

    @property
    def host(self) -> str:
        """Where the client lives, as the user is told: the host of its first redirect URI."""
        if not self.redirect_uris:
            return ""
        return urlsplit(self.redirect_uris[0]).hostname or ""

    def secret_matches(self, secret: str | None) -> bool:
        """Whether *secret* is this client's (compared in constant time with its hash)."""
        return bool(self.secret_hash and secret and
                    hmac.compare_digest(self.secret_hash, digest(secret)))


def client_of(row) -> Client:
    return Client(row.id, row.name, row.secret_hash is None, tuple(row.redirect_uris),
                  tuple(row.scopes), tuple(row.logout_uris), row.backchannel_uri,
                  bool(row.consent), row.created_at, row.revoked_at, row.secret_hash)


def _check_uris(uris: list[str], field: str, *, https_only: bool) -> list[str]:
    for uri in uris:
        parts = urlsplit(uri)
        local = parts.hostname in ("localhost", "127.0.0.1", "::1")
        if parts.scheme not in ("https", "http") or not parts.hostname or parts.fragment or (
                https_only and parts.scheme == "http" and not local):
            raise InvalidRequest("Each address must be a full https URL without a fragment "
                                 "(http only for localhost): {uri}", params={"uri": uri},
                                 field=field)
    return list(dict.fromkeys(uris))


@dataclass(frozen=True)
class Clients:
    """The registered relying parties, bound to the store and the clock."""

    store: Store
    clock: Clock
    https_only: bool = True  # redirect URIs must be https but for localhost

    def register(self, *, name: str, redirect_uris: list[str], scopes: list[str],
                 logout_uris: list[str] = (), backchannel_uri: str | None = None,
                 public: bool = False, consent: bool = False,
                 created_by: str | None = None) -> tuple[Client, str | None]:
        """Register a client; returns it with its secret (None for a public client), shown
        only now. Raises ``InvalidRequest`` for an unknown scope, no redirect URI or a bad
        address and ``Conflict`` for a name in use."""
        unknown = sorted(set(scopes) - SCOPES.keys())
        if unknown or "openid" not in scopes:
            raise InvalidRequest("Choose scopes among {scopes}, openid included.",
                                 params={"scopes": ", ".join(SCOPES)}, field="scopes")
        if not redirect_uris:
            raise InvalidRequest("Give at least one redirect URI.", field="redirect_uris")
        redirect_uris = _check_uris(redirect_uris, "redirect_uris", https_only=self.https_only)
        logout_uris = _check_uris(list(logout_uris), "logout_uris", https_only=self.https_only)
        if backchannel_uri:
            _check_uris([backchannel_uri], "backchannel_uri", https_only=self.https_only)
        secret = None if public else SECRET_PREFIX + new_token()
        client_id = new_token(18)
        with self.store.write() as connection:
            if connection.execute(select(oidc_clients.c.id)
                                  .where(oidc_clients.c.name == name)).first():
                raise Conflict("A client called \"{name}\" exists already. Choose another name.",
                               params={"name": name})
            connection.execute(insert(oidc_clients).values(
                id=client_id, name=name, secret_hash=digest(secret) if secret else None,
                redirect_uris=redirect_uris, scopes=sorted(set(scopes)),
                logout_uris=logout_uris, backchannel_uri=backchannel_uri or None,
                consent=consent, created_at=self.clock.now(), created_by=created_by))
            audit.record(connection, self.clock, "oidc.client-registered", actor=created_by,
                         subject=client_id, details={"name": name, "public": public,
                                                     "scopes": sorted(set(scopes))})
            row = connection.execute(select(oidc_clients)
                                     .where(oidc_clients.c.id == client_id)).one()
        return client_of(row), secret

    def find(self, client_id: str) -> Client | None:
        """The live client *client_id*, or None (unknown or revoked; also an id no client
        could have, which the store could not be asked about: U+0000, or too long)."""
        if "\x00" in client_id or len(client_id) > CLIENT_ID_LENGTH:
            return None
        with self.store.read() as connection:
            row = connection.execute(select(oidc_clients)
                                     .where(oidc_clients.c.id == client_id)).first()
        if row is None or row.revoked_at is not None:
            return None
        return client_of(row)

    def list_all(self) -> list[Client]:
        with self.store.read() as connection:
            rows = connection.execute(select(oidc_clients).order_by(oidc_clients.c.name))
            return [client_of(row) for row in rows]

    def revoke(self, client_id: str, by: str | None) -> Client:
        """Stop a client at once: no sign-in, no token. Raises ``NotFound``."""
        with self.store.write() as connection:
            found = connection.execute(update(oidc_clients)
                                       .where(oidc_clients.c.id == client_id)
                                       .values(revoked_at=self.clock.now())).rowcount
            if not found:
                raise NotFound("There is no such client.")
            audit.record(connection, self.clock, "oidc.client-revoked", actor=by,
                         subject=client_id)
            row = connection.execute(select(oidc_clients)
                                     .where(oidc_clients.c.id == client_id)).one()
        return client_of(row)
