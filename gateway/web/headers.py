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


def _secure(response: Response) -> Response:
    headers = response.headers
    headers.setdefault("X-Content-Type-Options", "nosniff")
    headers.setdefault("Referrer-Policy", "no-referrer")
    headers.setdefault("X-Frame-Options", "DENY")
    headers.setdefault("Cross-Origin-Opener-Policy", "same-origin")
    headers.setdefault("Content-Security-Policy", CSP)
    if services().settings.https:
        headers.setdefault("Strict-Transport-Security", "max-age=31536000; includeSubDomains")
    return response


def init_app(app: Flask) -> None:
    app.after_request(_secure)
    origins = app.extensions["gateway"].settings.cors_origins
    if origins:
        # Agreement 1.7: no other system may call the gateway from a browser unless the
        # operator names it. Cookies never travel cross-origin; bearer tokens may.
        CORS(app, resources={r"/api/*": {"origins": list(origins)}}, supports_credentials=False,
             allow_headers=["Authorization", "Content-Type"], max_age=600)
