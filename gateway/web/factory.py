"""The application factory: the gateway built by the composition root
(``gateway.build``), served by Flask (``gateway.create_app`` imports this lazily)."""

from __future__ import annotations

from pathlib import Path

from flask import Flask
from werkzeug.middleware.proxy_fix import ProxyFix

from gateway.build import build_gateway
from gateway.core import logs
from gateway.core.clock import Clock
from gateway.core.keys import load_secret
from gateway.core.settings import Settings

STATIC = Path(__file__).resolve().parents[2] / "static"


def create_app(settings: Settings | None = None, *, clock: Clock | None = None) -> Flask:
    """Build the gateway (``build_gateway``) and the Flask app that serves it: settings
    (from ``GATEWAY_*`` when none are given), blueprints, commands. Connects to nothing;
    keys are made in the keys folder if missing."""
    gateway = build_gateway(settings, clock)
    settings = gateway.settings
    app = Flask(__name__, instance_path=str(gateway.instance), static_folder=str(STATIC),
                static_url_path="/static")
    app.config.update(
        SECRET_KEY=load_secret(gateway.keys_dir, "flask"),
        MAX_CONTENT_LENGTH=settings.max_body_bytes,
        MAX_FORM_MEMORY_SIZE=settings.max_body_bytes,
    )
    app.extensions["gateway"] = gateway
    if settings.trusted_proxies:
        app.wsgi_app = ProxyFix(
            app.wsgi_app, x_for=settings.trusted_proxies, x_proto=settings.trusted_proxies,
            x_host=settings.trusted_proxies,
        )

    logs.configure(settings.log_level)

    from gateway import cli, web

    web.init_app(app)
    cli.init_app(app)
    return app
