"""Security headers on every answer, and a strict Content-Security-Policy on pages."""

from __future__ import annotations

from flask import Flask
from flask_cors import CORS

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


class SecurityHeaders:
    """WSGI middleware: each security header on every answer, where the view did not set
    its own (a page may widen its CSP).

    Added to the header list as the answer starts rather than in a Flask hook: the hook's
    validation of every value through Werkzeug's ``Headers`` was a good part of the cost
    of the status read a waiting browser polls (tests/bench/bench_qrlogin.py), and these
    constant values need none.
    """

    def __init__(self, app, https: bool) -> None:
        self.app = app
        self.defaults = tuple((name.lower(), (name, value))
                              for name, value in _DEFAULTS + (_HSTS if https else ()))

    def __call__(self, environ, start_response):
        def start(status, headers, exc_info=None):
            present = {name.lower() for name, _ in headers}
            headers.extend(header for lower, header in self.defaults if lower not in present)
            return start_response(status, headers, exc_info)

        return self.app(environ, start)


def init_app(app: Flask) -> None:
    settings = app.extensions["gateway"].settings
    app.wsgi_app = SecurityHeaders(app.wsgi_app, settings.https)
    origins = settings.cors_origins
    if origins:
        # Agreement 1.7: no other system may call the gateway from a browser unless the
        # operator names it. Cookies never travel cross-origin; bearer tokens may.
        CORS(app, resources={r"/api/*": {"origins": list(origins)}}, supports_credentials=False,
             allow_headers=["Authorization", "Content-Type"], max_age=600)
