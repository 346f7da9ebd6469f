"""Admin management of the OpenID Connect relying parties (BI servers signing users in
through the gateway): register one (its secret shown once), list them, revoke one."""

from __future__ import annotations

from datetime import datetime

from flask import Blueprint
from flask_babel import gettext as _
from pydantic import BaseModel, Field

from gateway.oidc import clients
from gateway.oidc.claims import SCOPES
from gateway.web.api import Model, operation
from gateway.web.auth import current_web_session
from gateway.web.context import services

bp = Blueprint("oidc_clients", __name__, url_prefix="/api/v1/admin/oidc-clients")

Uri = str


class NewClient(Model):
    name: str = Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9][A-Za-z0-9 ._-]*$")
    redirect_uris: list[Uri] = Field(min_length=1, max_length=10,
                                     description="Matched exactly; https (http for localhost)")
    scopes: list[str] = Field(min_length=1, max_length=8, description="openid and among "
                              "profile, email, phone, groups, offline_access")
    logout_uris: list[Uri] = Field(default=[], max_length=10,
                                   description="post_logout_redirect_uris, matched exactly")
    backchannel_uri: Uri | None = Field(default=None, max_length=2048,
                                        description="Where logout tokens are POSTed")
    public: bool = Field(default=False, description="No secret (PKCE with S256 instead)")
    consent: bool = Field(default=False, description="Ask the user before sharing details")


class ClientOut(BaseModel):
    client_id: str
    name: str
    public: bool
    redirect_uris: list[str]
    scopes: list[str]
    logout_uris: list[str]
    backchannel_uri: str | None
    consent: bool
    created_at: datetime
    revoked_at: datetime | None

    @classmethod
    def of(cls, client: clients.Client) -> ClientOut:
        return cls(client_id=client.id, name=client.name, public=client.public,
                   redirect_uris=list(client.redirect_uris), scopes=list(client.scopes),
                   logout_uris=list(client.logout_uris), backchannel_uri=client.backchannel_uri,
                   consent=client.consent, created_at=client.created_at,
                   revoked_at=client.revoked_at)


class CreatedClient(ClientOut):
    client_secret: str | None = Field(description="The secret itself; shown only in this "
                                                  "answer (none for a public client)")


class ClientList(BaseModel):
    clients: list[ClientOut]
    scopes: dict[str, str]
    issuer: str = Field(description="The issuer relying parties are configured with")


@bp.get("")
@operation(summary="Every registered OpenID Connect client (without secrets)", tag="admin",
           auth="admin", response=ClientList)
def list_clients():
    svc = services()
    return ClientList(clients=[ClientOut.of(c) for c in svc.oidc.clients.list_all()],
                      scopes={name: _(text) for name, text in SCOPES.items()},
                      issuer=svc.settings.public_url)


@bp.post("")
@operation(summary="Register an OpenID Connect client", tag="admin", auth="admin",
           body=NewClient, response=CreatedClient, status=201, errors=(400, 409))
def register_client(body: NewClient):
    client, secret = services().oidc.clients.register(
        name=body.name, redirect_uris=body.redirect_uris, scopes=body.scopes,
        logout_uris=body.logout_uris, backchannel_uri=body.backchannel_uri, public=body.public,
        consent=body.consent, created_by=current_web_session().user_id)
    return CreatedClient(**ClientOut.of(client).model_dump(), client_secret=secret)


@bp.delete("/<client_id>")
@operation(summary="Revoke an OpenID Connect client: no more sign-ins or tokens",
           tag="admin", auth="admin", response=ClientOut, errors=(404,))
def revoke_client(client_id: str):
    return ClientOut.of(services().oidc.clients.revoke(client_id, current_web_session().user_id))
