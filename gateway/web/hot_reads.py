"""The QR login's status read, answered below Flask when it succeeds.

A waiting browser polls its login's status; thousands of them poll at once. The read itself
is cheap (the state comes from the cache of states, ``gateway.qrlogin.state_cache``), so
most of its cost was Flask's request machinery around it: the request and application
contexts, routing, the response object and its hooks. ``StatusReads`` answers a
``GET /api/v1/qr-logins/<id>`` itself: the same domain call (the browser's cookie checked
against the login's hash), the same JSON (``status_json``), the same ``Cache-Control``;
the security headers and the access log are added by the middleware around it, as for any
answer. Anything else, and every read the domain refuses (no cookie, another browser's
login, no such login), goes on to Flask, whose view answers it as before (the problem,
in the reader's language). tests/web/test_hot_reads.py holds both answers equal.
"""

from __future__ import annotations

import json
import re

from gateway.web.observe import ROUTE_KEY
from gateway.web.qrflows import header_cookie, prefixed
from gateway.web.qrlogin_schemas import status_json

ROUTE = "/api/v1/qr-logins/<login_id>"  # the view's route, as the access log names it
_PATH = re.compile(r"/api/v1/qr-logins/([A-Za-z0-9_-]{1,64})")
_HEADERS = (("Content-Type", "application/json"), ("Cache-Control", "no-store"))


class StatusReads:
    """WSGI middleware: the status read of a QR login, when it succeeds (see above)."""

    def __init__(self, app, gateway, cookie: str) -> None:
        self.app = app
        self.browser = gateway.qrlogin.browser
        self.clock = gateway.clock
        self.cookie_name = prefixed(cookie, gateway.settings.https)
        self.encode = json.JSONEncoder(separators=(",", ":")).encode

    def __call__(self, environ, start_response):
        if environ.get("REQUEST_METHOD") == "GET":
            matched = _PATH.fullmatch(environ.get("PATH_INFO", ""))
            if matched is not None:
                body = self._read(matched.group(1), environ.get("HTTP_COOKIE", ""))
                if body is not None:
                    environ[ROUTE_KEY] = ROUTE
                    start_response("200 OK", [*_HEADERS, ("Content-Length", str(len(body)))])
                    return [body]
        return self.app(environ, start_response)

    def _read(self, login_id: str, cookie_header: str) -> bytes | None:
        secret = header_cookie(cookie_header, self.cookie_name)
        if secret is None:
            return None  # Flask's view says what is missing
        try:
            found = self.browser.status(login_id, secret, cached=True)
        except Exception:  # noqa: BLE001 - the view meets it again and answers its problem
            return None  # (in the reader's language), or the store's trouble
        return self.encode(status_json(found, self.clock.now())).encode()


def init_app(app) -> None:
    """Answer the status reads below Flask; not where CORS is configured (Flask-CORS adds
    its headers to the API's answers, so those go through Flask)."""
    from gateway.web.qrlogin import COOKIE

    gateway = app.extensions["gateway"]
    if not gateway.settings.cors_origins:
        app.wsgi_app = StatusReads(app.wsgi_app, gateway, COOKIE)
