"""Rate limits (flask-limiter): in memory by default, in Redis when one is configured (so a
limit reached on one instance holds on all of them).

Limits are keyed by the client address (after the trusted proxies) or by the account a
request names, so guessing one password from many addresses is limited as well.
"""

from __future__ import annotations

from flask import Flask, request
from flask_limiter import Limiter

from gateway.web.context import client_ip, services

limiter = Limiter(key_func=lambda: f"ip:{client_ip()}", headers_enabled=True)


def by_address() -> str:
    return f"ip:{client_ip()}"


def by_account() -> str:
    """The username a sign-in names (read before validation; junk shares one bucket)."""
    body = request.get_json(silent=True)
    username = body.get("username") if isinstance(body, dict) else None
    return f"account:{str(username).strip().lower()[:64]}" if username else "account:?"


def sign_in_limit() -> str:
    return services().settings.sign_in_limit


def init_app(app: Flask) -> None:
    settings = app.extensions["gateway"].settings
    app.config["RATELIMIT_ENABLED"] = settings.rate_limits_enabled
    app.config["RATELIMIT_STORAGE_URI"] = settings.redis_url or "memory://"
    # Redis unreachable: each instance limits in its own memory until Redis is back, rather
    # than failing every limited request.
    app.config["RATELIMIT_IN_MEMORY_FALLBACK_ENABLED"] = bool(settings.redis_url)
    app.config["RATELIMIT_KEY_PREFIX"] = "gateway-limits"
    limiter.init_app(app)
