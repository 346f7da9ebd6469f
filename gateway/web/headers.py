"""Security headers on every answer, and a strict Content-Security-Policy on pages."""

from __future__ import annotations

from flask import Flask, Response
from flask_cors import CORS

from gateway.web.context import services

# No inline scripts or styles anywhere: pages load their code from /static.
CSP = "; ".join(
    [
        "default-src 'none'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data: blob:",
        "connect-src 'self'",
        "manifest-src 'self'",
        "worker-src 'self'",
        "font-src 'self'",
        "base-uri 'none'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    ]
)


_DEFAULTS = (
    ("X-Content-Type-Options", "nosniff"),
    ("Referrer-Policy", "no-referrer"),
    ("X-Frame-Options", "DENY"),
    ("Cross-Origin-Opener-Policy", "same-origin"),
    ("Content-Security-Policy", CSP),
)
_HSTS = (("Strict-Transport-Security", "max-age=31536000; includeSubDomains"),)


def _secure(response: Response) -> Response:
    # Each header only where the view did not set its own (a page may widen its CSP).
    # One pass over the headers instead of one setdefault per header: this runs on every
    # answer, including the status a waiting browser polls.
    headers = response.headers
    present = {name.lower() for name, _ in headers}
    defaults = _DEFAULTS + _HSTS if services().settings.https else _DEFAULTS
    headers.extend([(name, value) for name, value in defaults if name.lower() not in present])
    return response


def init_app(app: Flask) -> None:
    app.after_request(_secure)
    origins = app.extensions["gateway"].settings.cors_origins
    if origins:
        # Agreement 1.7: no other system may call the gateway from a browser unless the
        # operator names it. Cookies never travel cross-origin; bearer tokens may.
        CORS(app, resources={r"/api/*": {"origins": list(origins)}}, supports_credentials=False,
             allow_headers=["Authorization", "Content-Type"], max_age=600)
