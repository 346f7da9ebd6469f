"""Admin management of integration keys (the BI server's access)."""

from __future__ import annotations

from datetime import datetime

from flask import Blueprint
from pydantic import BaseModel, Field

from gateway.identity import integrations
from gateway.web.api import Model, operation
from gateway.web.auth import current_web_session
from gateway.web.context import services
from gateway.web.problems import words

bp = Blueprint("integrations", __name__, url_prefix="/api/v1/admin/integrations")


class NewIntegration(Model):
    name: str = Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9][A-Za-z0-9 ._-]*$")
    scopes: list[str] = Field(min_length=1, max_length=8)


class IntegrationOut(BaseModel):
    id: str
    name: str
    scopes: list[str]
    created_at: datetime
    last_used_at: datetime | None
    revoked_at: datetime | None

    @classmethod
    def of(cls, integration: integrations.Integration) -> IntegrationOut:
        return cls(id=integration.id, name=integration.name, scopes=list(integration.scopes),
                   created_at=integration.created_at, last_used_at=integration.last_used_at,
                   revoked_at=integration.revoked_at)


class CreatedIntegration(IntegrationOut):
    key: str = Field(description="The key itself; shown only in this answer")


class IntegrationList(BaseModel):
    integrations: list[IntegrationOut]
    scopes: dict[str, str] = Field(description="Each scope with what it allows, in the "
                                   "reader's language")


@bp.get("")
@operation(summary="Every integration key (without the keys)", tag="admin", auth="admin",
           response=IntegrationList)
def list_integrations():
    found = services().identity.integrations.list_all()
    return IntegrationList(integrations=[IntegrationOut.of(i) for i in found],
                           scopes={scope: words(meaning)
                                   for scope, meaning in integrations.SCOPES.items()})


@bp.post("")
@operation(summary="Create an integration key", tag="admin", auth="admin",
           body=NewIntegration, response=CreatedIntegration, status=201, errors=(400, 409))
def create_integration(body: NewIntegration):
    integration, key = services().identity.integrations.create(
        name=body.name, scopes=body.scopes, created_by=current_web_session().user_id)
    return CreatedIntegration(**IntegrationOut.of(integration).model_dump(), key=key)


@bp.delete("/<integration_id>")
@operation(summary="Revoke an integration key", tag="admin", auth="admin",
           response=IntegrationOut, errors=(404,))
def revoke_integration(integration_id: str):
    return IntegrationOut.of(services().identity.integrations.revoke(
        integration_id, current_web_session().user_id))
