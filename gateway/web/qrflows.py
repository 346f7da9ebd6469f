"""Web parts every QR flow shares: the short link and its images, the waiting browser's
cookie, and the rate-limit keys and limits. (The key QR tokens derive from is the
composition root's: ``gateway.build.qr_token_key``.)"""

from __future__ import annotations

from flask import Response, request

from gateway.core import qrimage
from gateway.core.errors import GatewayError
from gateway.web.auth import current_device
from gateway.web.context import client_ip, services


def link(path: str, token: str) -> str:
    """The short https link a QR code carries, e.g. ``https://gw.example.com/q/<token>``."""
    return f"{services().settings.public_url}/{path}/{token}"


def image(text: str, kind: str) -> Response:
    """The QR code of *text* as ``svg`` (crisp at any zoom) or ``png``; never cached."""
    if kind == "svg":
        response = Response(qrimage.render_svg(text), mimetype="image/svg+xml")
    else:
        response = Response(qrimage.render_png(text), mimetype="image/png")
    response.headers["Cache-Control"] = "no-store"
    return response


# -- the waiting browser's cookie -------------------------------------------------------------

def cookie_name(name: str) -> str:
    """``__Host-`` cookies are only kept over HTTPS, so the prefix follows the public URL."""
    return prefixed(name, services().settings.https)


def prefixed(name: str, https: bool) -> str:
    """Cookie *name* as set by a gateway served over https (or not)."""
    return f"__Host-{name}" if https else name


def set_cookie(response: Response, name: str, value: str, max_age: int) -> None:
    """An HttpOnly, SameSite=Strict cookie for this host only: only the page's own
    requests ever carry it, and no script can read it."""
    response.set_cookie(cookie_name(name), value, max_age=max_age, path="/",
                        secure=services().settings.https, httponly=True, samesite="Strict")


def clear_cookie(response: Response, name: str) -> None:
    response.delete_cookie(cookie_name(name), path="/", secure=services().settings.https,
                           httponly=True, samesite="Strict")


def cookie(name: str) -> str | None:
    """The value of our cookie *name*. Read straight from the header rather than parsing
    every cookie: a waiting browser sends this on each poll."""
    return header_cookie(request.environ.get("HTTP_COOKIE", ""), cookie_name(name))


def header_cookie(header: str, name: str) -> str | None:
    """The value of cookie *name* in a ``Cookie`` *header* (None when absent or empty)."""
    wanted = name + "="
    for part in header.split(";"):
        part = part.strip()
        if part.startswith(wanted):
            return part[len(wanted):] or None
    return None


# -- rate limits ------------------------------------------------------------------------------

def by_device() -> str:
    """The calling device (checked), or its address when it has no valid token (the view
    then refuses it anyway)."""
    try:
        return f"device:{current_device().device_id}"
    except GatewayError:
        return f"ip:{client_ip()}"


def start_limit() -> str:
    return services().settings.qr_start_limit


def scan_limit() -> str:
    return services().settings.qr_scan_limit


def code_limit() -> str:
    return services().settings.qr_code_limit
