"""The application factory: settings, store, keys, services, blueprints (the composition
root; ``gateway.create_app`` imports it lazily)."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from flask import Flask
from werkzeug.middleware.proxy_fix import ProxyFix

from gateway.consent.purposes import Catalogue
from gateway.core import logs
from gateway.core.clock import Clock, SystemClock
from gateway.core.events import InProcessBus
from gateway.core.keys import Keyring, ensure_folder, load_secret
from gateway.core.redis_events import RedisBus
from gateway.core.settings import Settings
from gateway.core.store import Store, sqlite_url
from gateway.core.tokens import Signer
from gateway.identity.accounts import Passwords
from gateway.identity.device_tokens import Lifetimes
from gateway.privacy.access_log import AccessLog
from gateway.services import Services

ROOT = Path(__file__).resolve().parents[2]  # the checkout: static/ and instance/ live here


def create_app(settings: Settings | None = None, *, clock: Clock | None = None) -> Flask:
    """Build the gateway: settings (from ``GATEWAY_*`` when none are given), store, keys,
    blueprints. Connects to nothing; keys are made in the keys folder if missing."""
    settings = settings or Settings.from_environ()
    instance = Path(settings.instance_path or ROOT / "instance").resolve()
    app = Flask(
        __name__,
        instance_path=str(instance),
        static_folder=str(ROOT / "static"),
        static_url_path="/static",
    )
    instance.mkdir(mode=0o700, parents=True, exist_ok=True)
    keys_dir = ensure_folder(Path(settings.keys_dir or instance / "keys"))
    database_url = settings.database_url or sqlite_url(instance / "gateway.sqlite3")

    app.config.update(
        SECRET_KEY=load_secret(keys_dir, "flask"),
        MAX_CONTENT_LENGTH=settings.max_body_bytes,
        MAX_FORM_MEMORY_SIZE=settings.max_body_bytes,
        GATEWAY_KEYS_DIR=str(keys_dir),
    )
    clock = clock or SystemClock()
    keyring = Keyring.load(keys_dir)
    app.extensions["gateway"] = Services(
        settings=settings,
        store=Store.from_url(database_url),
        clock=clock,
        keyring=keyring,
        signer=Signer(keyring, settings.public_url, clock),
        passwords=Passwords(settings.password_hash),
        lifetimes=Lifetimes(
            access=timedelta(seconds=settings.access_token_seconds),
            refresh=timedelta(days=settings.refresh_token_days),
        ),
        catalogue=Catalogue.for_partners(settings.partners),
        events=RedisBus(settings.redis_url) if settings.redis_url else InProcessBus(),
    )
    if settings.trusted_proxies:
        app.wsgi_app = ProxyFix(
            app.wsgi_app, x_for=settings.trusted_proxies, x_proto=settings.trusted_proxies,
            x_host=settings.trusted_proxies,
        )

    logs.configure(settings.log_level)
    app.extensions["access_log"] = AccessLog(instance / "logs", clock)

    from gateway import cli, web

    web.init_app(app)
    cli.init_app(app)
    return app
