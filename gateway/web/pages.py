"""The pages people see: templates from ``gateway/web/templates`` in the request's
language, each with the gateway's strict CSP (their scripts and styles come from static/)."""

from __future__ import annotations

from urllib.parse import quote

from flask import Blueprint, Response, g, redirect, render_template, request

from gateway.core.errors import NotFound
from gateway.identity import accounts
from gateway.web.api import operation
from gateway.web.auth import optional_web_session
from gateway.web.context import services

bp = Blueprint("pages", __name__)


def viewer() -> accounts.User | None:
    """Who this browser is signed in as (None when it is not), for the bar on top of the
    desktop pages."""
    if "viewer" not in g:
        session = optional_web_session()
        try:
            g.viewer = accounts.get_user(services().store, session.user_id) if session else None
        except NotFound:  # deleted or disabled since
            g.viewer = None
    return g.viewer


@bp.app_context_processor
def _page_context() -> dict:
    return {"viewer": viewer()}


def page(name: str, status: int = 200) -> Response:
    """The page *name* (a fixed name, never one from the request) in the request's
    language; the pages fetch everything else from the API."""
    response = Response(render_template(name), status=status, mimetype="text/html")
    response.headers["Vary"] = "Accept-Language, Cookie"
    response.headers["Cache-Control"] = "no-cache"
    return response


def signed_in_page(name: str, *, admin: bool = False) -> Response:
    """The page *name* for a signed-in browser: one signed out is sent to sign in (and back
    here afterwards), one that must still replace a one-time password to do that first, and
    a user who is not an administrator is shown that the page is not theirs (403)."""
    session = optional_web_session()
    if session is None:
        return redirect(f"/sign-in?next={quote(request.path, safe='')}")
    if session.must_change_password:
        return redirect(f"/change-password?next={quote(request.path, safe='')}")
    if admin and session.role != "admin":
        return page("forbidden.html", status=403)
    return page(name)


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


@bp.get("/app/scan")
@operation(summary="The companion's own scanner: the camera (with the camera consent) reads a "
                   "code to log in, to preview a report or to connect a phone",
           tag="pages", produces="text/html")
def companion_scanner():
    return page("app-scan.html")


@bp.get("/home")
@operation(summary="A signed-in desktop user's home: their reports, devices and what to do",
           tag="pages", produces="text/html")
def desktop_home():
    return signed_in_page("home.html")


@bp.get("/admin")
@operation(summary="The administration's home: the set-up checklist", tag="pages",
           produces="text/html")
def admin_home():
    return signed_in_page("admin-home.html", admin=True)


@bp.get("/admin/users")
@operation(summary="Users and groups, for administrators", tag="pages", produces="text/html")
def admin_users():
    return signed_in_page("admin-users.html", admin=True)


@bp.get("/admin/integrations")
@operation(summary="The BI server's integration keys, for administrators", tag="pages",
           produces="text/html")
def admin_integrations():
    return signed_in_page("admin-integrations.html", admin=True)
