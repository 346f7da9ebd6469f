"""The web layer: blueprints that parse, call the domain, and render."""

from __future__ import annotations

from flask import Flask
from flask.sessions import SessionInterface

from gateway.web import (
    admin_policies,
    admin_setup,
    admin_users,
    browser_auth,
    consent,
    converters,
    device_auth,
    enrollment,
    headers,
    hot_reads,
    i18n,
    inbox,
    inbox_admin,
    integrations,
    limits,
    meta,
    metrics,
    observe,
    oidc,
    oidc_clients,
    pages,
    partners,
    preview,
    privacy,
    problems,
    push,
    push_admin,
    push_send,
    qrlogin,
    streams,
)


class _NoFlaskSession(SessionInterface):
    """The gateway keeps its own cookies (``web_sessions``) and never uses Flask's signed
    cookie session, whose signer was still built on every request."""

    def open_session(self, app, request):
        return None  # Flask then hands out a null session

    def save_session(self, app, session, response) -> None:
        pass


def init_app(app: Flask) -> None:
    app.session_interface = _NoFlaskSession()
    # Before any route is added: path parameters the store can always hold.
    app.url_map.converters.update(int=converters.RowIdConverter,
                                  default=converters.TextConverter,
                                  string=converters.TextConverter)
    problems.init_app(app)
    i18n.init_app(app)
    hot_reads.init_app(app)  # below the security headers and the access log
    headers.init_app(app)
    observe.init_app(app)
    limits.init_app(app)
    streams.init_app(app)
    for module in (meta, device_auth, browser_auth, admin_users, admin_setup, admin_policies,
                   integrations, pages, privacy, preview, qrlogin, consent, metrics, push,
                   push_send, push_admin, partners, enrollment, inbox, inbox_admin,
                   oidc_clients):
        app.register_blueprint(module.bp)
    oidc.init_app(app)
