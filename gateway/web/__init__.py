"""The web layer: blueprints that parse, call the domain, and render."""

from __future__ import annotations

from flask import Flask

from gateway.web import (
    admin_users,
    browser_auth,
    device_auth,
    headers,
    integrations,
    limits,
    meta,
    observe,
    pages,
    privacy,
    problems,
)


def init_app(app: Flask) -> None:
    problems.init_app(app)
    headers.init_app(app)
    observe.init_app(app)
    limits.init_app(app)
    for module in (meta, device_auth, browser_auth, admin_users, integrations, pages, privacy):
        app.register_blueprint(module.bp)
