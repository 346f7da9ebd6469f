"""The pages people see: plain HTML from static/, each with the gateway's strict CSP."""

from __future__ import annotations

from pathlib import Path

from flask import Blueprint, Response, current_app

bp = Blueprint("pages", __name__)


def page(name: str) -> Response:
    """Serve static/<name> (a fixed name, never one from the request); the pages fetch
    everything else from the API."""
    html = (Path(current_app.static_folder) / name).read_bytes()
    response = Response(html, mimetype="text/html")
    response.headers["Cache-Control"] = "no-cache"
    return response


@bp.get("/")
def home():
    """The start page: where to sign in and what the gateway offers."""
    return page("index.html")


@bp.get("/sign-in")
def sign_in():
    """Sign a browser in with a password."""
    return page("sign-in.html")


@bp.get("/app/")
def companion_home():
    """The mobile companion's home page."""
    return page("app.html")


@bp.get("/app/sign-in")
def companion_sign_in():
    """The mobile companion's sign-in page (registers this browser as a device)."""
    return page("app-sign-in.html")
