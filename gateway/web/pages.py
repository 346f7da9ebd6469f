"""The pages people see: templates from ``gateway/web/templates`` in the request's
language, each with the gateway's strict CSP (their scripts and styles come from static/)."""

from __future__ import annotations

from flask import Blueprint, Response, render_template

from gateway.web.api import operation

bp = Blueprint("pages", __name__)


def page(name: str) -> Response:
    """The page *name* (a fixed name, never one from the request) in the request's
    language; the pages fetch everything else from the API."""
    response = Response(render_template(name), mimetype="text/html")
    response.headers["Vary"] = "Accept-Language, Cookie"
    response.headers["Cache-Control"] = "no-cache"
    return response


@bp.get("/")
@operation(summary="The start page: where to sign in and what the gateway offers",
           tag="pages", produces="text/html")
def home():
    return page("index.html")


@bp.get("/sign-in")
@operation(summary="Sign a browser in with a password", tag="pages", produces="text/html")
def sign_in():
    return page("sign-in.html")


@bp.get("/change-password")
@operation(summary="Change the browser user's password (where a one-time password leads)",
           tag="pages", produces="text/html")
def change_password():
    return page("change-password.html")


@bp.get("/app/")
@operation(summary="The mobile companion's home page", tag="pages", produces="text/html")
def companion_home():
    return page("app.html")


@bp.get("/app/sign-in")
@operation(summary="The mobile companion's sign-in page (registers this browser as a device)",
           tag="pages", produces="text/html")
def companion_sign_in():
    return page("app-sign-in.html")
