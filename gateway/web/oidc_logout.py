"""Signing out of the gateway and of the applications signed in through it: the
end-session endpoint (OpenID Connect RP-Initiated Logout 1.0, Authlib's endpoint) and the
back-channel logout every ended browser session sets off (``gateway.oidc.logout``)."""

from __future__ import annotations

import jwt
from authlib.oauth2 import OAuth2Error
from authlib.oauth2.rfc6749.errors import InsecureTransportError
from authlib.oidc.rpinitiated import EndSessionEndpoint
from flask import Blueprint, current_app, render_template, request
from flask_babel import gettext as _

from gateway.oidc import discovery, id_tokens
from gateway.web.api import operation
from gateway.web.auth import clear_session_cookie, optional_web_session, session_cookie_name
from gateway.web.context import services
from gateway.web.oidc_docs import REDIRECT, answers, page

bp = Blueprint("oidc_logout", __name__)


def end_browser_session() -> None:
    """End this browser's gateway session, if it has one, and the applications' sign-ins
    made in it (their tokens revoked, back-channel logout sent)."""
    session_id = request.cookies.get(session_cookie_name())
    if not session_id:
        return
    session = optional_web_session()
    svc = services()
    svc.identity.sessions.end(session_id)
    if session is not None:
        svc.oidc.logout.session_ended(session.id_hash, session.user_id)


class EndSession(EndSessionEndpoint):
    def get_server_jwks(self):
        return services().keyring.jwks()

    def get_algorithms(self):
        return ["ES256"]

    def _validate_id_token_hint(self, id_token_hint):
        # Authlib checks only the signature: every token the gateway signs would pass.
        # A hint that is not an ID token of ours for this browser's session and user
        # counts as none, so the user is asked to confirm.
        claims = super()._validate_id_token_hint(id_token_hint)
        svc, session = services(), optional_web_session()
        ours = id_tokens.hint_names_session(
            claims, jwt.get_unverified_header(id_token_hint).get("typ"),
            issuer=svc.signer.issuer,
            client_live=lambda client_id: svc.oidc.clients.find(client_id) is not None,
            user_id=session.user_id if session else None,
            session_hash=session.id_hash if session else None)
        return claims if ours else None

    def end_session(self, end_session_request):
        end_browser_session()


def _page(name: str, **context):
    response = current_app.response_class(render_template(name, **context),
                                          mimetype="text/html")
    response.headers["Cache-Control"] = "no-store"
    return response


def _end_session():
    server = current_app.extensions["oidc_server"]
    try:
        ending = server.validate_endpoint_request("end_session")
    except InsecureTransportError:  # plain http off this machine: OAuth 2 requires https
        return _page("oidc-error.html", text=_(
            "Signing out of applications needs the gateway's https address.")), 400
    except OAuth2Error:
        return _page("oidc-error.html", text=_(
            "This sign-out request is not valid: its ID token was not issued by this gateway "
            "or names another application.")), 400
    if ending.needs_confirmation and request.method == "GET":
        # Without an ID token naming the application, the user confirms (a link alone
        # must not sign anyone out); the form sends the same parameters back.
        return _page("oidc-logout.html", params=dict(request.args))
    response = server.create_endpoint_response("end_session", ending)
    if response is None:
        response = _page("oidc-logout.html", done=True)
    clear_session_cookie(response)
    return response


@bp.get(discovery.END_SESSION)
@operation(summary="Sign out of the gateway and the applications (RP-initiated logout); "
                   "back to a registered post_logout_redirect_uri", tag="openid connect",
           produces="text/html",
           extra=answers(s200=page("Signed out, or asked to confirm"), s302=REDIRECT,
                         s400=page("An ID token the gateway did not issue")))
def end_session():
    return _end_session()


@bp.post(discovery.END_SESSION)
@operation(summary="Sign out of the gateway and the applications, confirmed by the user",
           tag="openid connect", produces="text/html",
           extra=answers(s200=page("Signed out"), s302=REDIRECT,
                         s400=page("An ID token the gateway did not issue")))
def end_session_confirmed():
    return _end_session()
