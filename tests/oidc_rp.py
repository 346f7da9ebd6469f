"""A relying party we did not write the protocol of: a tiny Flask app using Authlib's
Flask OAuth client (``authlib.integrations.flask_client``), configured the way Superset
is (``server_metadata_url``, a client id and secret, PKCE S256), served on 127.0.0.1.

Its callback exchanges the code, has Authlib verify the ID token against the gateway's
JWKS (signature, issuer, audience, nonce, expiry), calls userinfo and records what it got
and when (``RelyingParty.signed_in``)."""

from __future__ import annotations

import threading
import time
from contextlib import contextmanager
from dataclasses import dataclass, field

from authlib.integrations.flask_client import OAuth
from flask import Flask, redirect, url_for
from werkzeug.serving import make_server

from tests.live_server import _QuietHandler


@dataclass
class RelyingParty:
    base_url: str
    signed_in: list = field(default_factory=list)  # (perf_counter at callback, id claims, userinfo)
    errors: list = field(default_factory=list)
    called_back: threading.Event = field(default_factory=threading.Event)

    @property
    def redirect_uri(self) -> str:
        return f"{self.base_url}/oauth-authorized/gateway"


def _app(rp: RelyingParty, issuer: str, client_id: str, client_secret: str) -> Flask:
    app = Flask("relying_party")
    app.secret_key = "relying-party-test-secret"
    oauth = OAuth(app)
    oauth.register("gateway", client_id=client_id, client_secret=client_secret,
                   server_metadata_url=f"{issuer}/.well-known/openid-configuration",
                   client_kwargs={"scope": "openid profile email groups",
                                  "code_challenge_method": "S256"})

    @app.get("/login")
    def login():
        return oauth.gateway.authorize_redirect(url_for("authorized", _external=True))

    @app.get("/oauth-authorized/gateway")
    def authorized():
        arrived = time.perf_counter()
        try:
            token = oauth.gateway.authorize_access_token()  # checks the ID token (JWKS, nonce)
            info = oauth.gateway.userinfo(token=token)
        except Exception as error:  # noqa: BLE001 (recorded for the test to show)
            rp.errors.append(repr(error))
            rp.called_back.set()
            return f"sign-in failed: {error}", 400
        rp.signed_in.append((arrived, dict(token["userinfo"]), dict(info)))
        rp.called_back.set()
        return f"<h1 id='welcome'>Welcome {info.get('name')}</h1>"

    @app.get("/")
    def home():
        return redirect("/login")

    return app


@contextmanager
def relying_party(clients, issuer: str, name: str = "Superset"):
    """Register a relying party named *name* with the gateway's *clients* and serve it;
    yields it."""
    server = make_server("127.0.0.1", 0, None, threaded=True, request_handler=_QuietHandler)
    rp = RelyingParty(f"http://127.0.0.1:{server.server_port}")
    client, secret = clients.register(
        name=name, redirect_uris=[rp.redirect_uri], scopes=["openid", "profile", "email", "groups"])
    server.app = _app(rp, issuer, client.id, secret)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield rp
    finally:
        server.shutdown()
        thread.join(timeout=10)
