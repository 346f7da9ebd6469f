"""The gateway about itself: health, readiness, its public keys, its API description."""

from __future__ import annotations

from flask import Blueprint, current_app
from pydantic import BaseModel
from sqlalchemy.exc import SQLAlchemyError

from gateway.core.languages import N_
from gateway.web.api import json_response, operation
from gateway.web.context import services
from gateway.web.openapi import openapi_document
from gateway.web.problems import problem, words

bp = Blueprint("meta", __name__)
VERSION = "0.1.0"


class Health(BaseModel):
    status: str


class Jwk(BaseModel):
    kty: str
    crv: str
    x: str
    y: str
    kid: str
    use: str
    alg: str


class Jwks(BaseModel):
    keys: list[Jwk]


@bp.get("/healthz")
@operation(summary="The process is up", tag="meta", response=Health)
def healthz():
    return Health(status="ok")


@bp.get("/readyz")
@operation(summary="The database is reachable and fully migrated", tag="meta", response=Health,
           errors=(503,))
def readyz():
    store = services().store
    try:
        store.ping()
        current = store.migrations_current()
    except SQLAlchemyError:
        return problem(503, "not-ready", words(N_("Not ready")),
                       words(N_("The database cannot be reached. Check that it is running.")))
    if not current:
        return problem(503, "not-ready", words(N_("Not ready")),
                       words(N_("The database needs migrating. Run `flask --app wsgi db "
                                "upgrade`.")))
    return Health(status="ready")


@bp.get("/.well-known/jwks.json")
@operation(summary="The public keys that verify the gateway's JWTs", tag="meta", response=Jwks)
def jwks():
    response = json_response(services().keyring.jwks())
    response.headers["Cache-Control"] = "public, max-age=300"
    return response


@bp.get("/openapi.json")
@operation(summary="This document", tag="meta")
def openapi():
    if "openapi" not in current_app.extensions:
        current_app.extensions["openapi"] = openapi_document(
            current_app, "Companion Gateway", VERSION
        )
    return json_response(current_app.extensions["openapi"])
