"""The pages people see: templates from ``gateway/web/templates`` in the request's
language, each with the gateway's strict CSP (their scripts and styles come from static/)."""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path
from urllib.parse import quote

from flask import Blueprint, Response, current_app, g, redirect, render_template, request
from flask_babel import gettext as _

from gateway.core.errors import NotFound
from gateway.identity import accounts
from gateway.web.api import operation
from gateway.web.auth import optional_web_session
from gateway.web.context import services
from gateway.web.i18n import HTML_TAGS, language

bp = Blueprint("pages", __name__)

# The companion's colours when installed (its title bar, its splash screen): the pages'
# accent and background (static/css/gateway.css --accent and --bg).
THEME_COLOUR = "#1f5fbf"
BACKGROUND_COLOUR = "#f6f7f9"


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
    return {"viewer": viewer(), "theme_colour": THEME_COLOUR}


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


@bp.get("/app/manifest.webmanifest")
@operation(summary="The companion's web app manifest: how a phone installs it on its home screen",
           tag="pages", produces="application/manifest+json")
def companion_manifest():
    icon = "/static/icons/{}".format
    manifest = {
        "name": "Companion Gateway",
        "short_name": "Companion",
        "description": _("Sign in on a computer by scanning its code, and get notifications."),
        "lang": HTML_TAGS[language()],
        "id": "/app/",
        "start_url": "/app/",
        "scope": "/app/",
        "display": "standalone",
        "theme_color": THEME_COLOUR,
        "background_color": BACKGROUND_COLOUR,
        "icons": [
            {"src": icon("icon-192.png"), "sizes": "192x192", "type": "image/png", "purpose": "any"},
            {"src": icon("icon-512.png"), "sizes": "512x512", "type": "image/png", "purpose": "any"},
            {"src": icon("icon-maskable-512.png"), "sizes": "512x512", "type": "image/png",
             "purpose": "maskable"},
        ],
    }
    response = Response(json.dumps(manifest, ensure_ascii=False),
                        mimetype="application/manifest+json")
    response.headers["Vary"] = "Accept-Language, Cookie"
    response.headers["Cache-Control"] = "no-cache"
    return response


@cache
def _icon_bytes(folder: str) -> bytes:
    return (Path(folder) / "icons" / "favicon.ico").read_bytes()


@bp.get("/favicon.ico")
@operation(summary="The gateway's icon, for browser tabs and bookmarks", tag="pages",
           produces="image/vnd.microsoft.icon")
def favicon():
    # From memory: browsers fetch it on their own, after the page, and may drop the request
    # half-way; nothing is left open when they do.
    response = Response(_icon_bytes(current_app.static_folder),
                        mimetype="image/vnd.microsoft.icon")
    response.headers["Cache-Control"] = "public, max-age=86400"
    return response


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


@bp.get("/admin/applications")
@operation(summary="The applications signing users in with OpenID Connect, for administrators",
           tag="pages", produces="text/html")
def admin_applications():
    return signed_in_page("admin-applications.html", admin=True)


@bp.get("/admin/integrations")
@operation(summary="The BI server's integration keys, for administrators", tag="pages",
           produces="text/html")
def admin_integrations():
    return signed_in_page("admin-integrations.html", admin=True)


@bp.get("/admin/partners")
@operation(summary="Partner systems, for administrators: terms, consent and disclosures",
           tag="pages", produces="text/html")
def admin_partners():
    return signed_in_page("admin-partners.html", admin=True)
