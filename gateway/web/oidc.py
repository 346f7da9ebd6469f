"""The OpenID Provider over HTTP: discovery, the authorization endpoint (which shows the
desktop login page and continues once the phone confirms), the token and userinfo
endpoints. The protocol is Authlib's (``gateway.web.oidc_server``); the answers of the
token and userinfo endpoints are OAuth's own error format, as relying parties expect."""

from __future__ import annotations

from urllib.parse import quote, urlencode, urlsplit

from authlib.oauth2 import OAuth2Error
from authlib.oauth2.rfc6749 import InvalidClientError, OAuth2Request
from authlib.oauth2.rfc6749.requests import BasicOAuth2Payload
from authlib.oidc.core.errors import ConsentRequiredError
from flask import Blueprint, Flask, current_app, redirect, render_template, request
from flask_babel import gettext as _

from gateway.core.errors import GatewayError
from gateway.identity.web_sessions import WebSession
from gateway.oidc import discovery
from gateway.oidc.claims import SCOPES
from gateway.oidc.signins import SignIn, sign_in_of
from gateway.web import oidc_logout
from gateway.web.api import json_response, operation
from gateway.web.auth import optional_web_session
from gateway.web.context import services
from gateway.web.headers import CSP
from gateway.web.limits import by_address, limiter
from gateway.web.oidc_docs import REDIRECT, answers, oauth, oauth_error, page
from gateway.web.oidc_server import Server, make_server

bp = Blueprint("oidc", __name__)
AUTHORIZE_LIMIT = "60 per minute"  # authorization requests per client address
# Each request of a browser not signed in is stored until the user signs in: per address,
# as many as a person could start, not as many as a script could (GET and POST together).
authorize_limit = limiter.shared_limit(AUTHORIZE_LIMIT, scope="oidc-authorize",
                                       key_func=by_address)
AUTHORIZE_ANSWERS = answers(s302=REDIRECT, s400=page("The request cannot go back to its client"))


def init_app(app: Flask) -> None:
    server = make_server(app)
    server.register_endpoint(oidc_logout.EndSession)
    app.extensions["oidc_server"] = server
    app.register_blueprint(bp)
    app.register_blueprint(oidc_logout.bp)


def _server() -> Server:
    return current_app.extensions["oidc_server"]


def error_page(kind: str, status: int = 400):
    """The page a person sees when a sign-in request cannot go back to its application
    (unknown client, unregistered redirect URI, a request gone): never a redirect."""
    texts = {
        "client": _("This application is not registered with the gateway. Ask its "
                    "administrator to register it."),
        "redirect": _("This application asked to come back to an address it has not "
                      "registered, so the gateway does not send you there."),
        "gone": _("This sign-in request has expired or was used already. Go back to the "
                  "application and sign in again."),
        "request": _("This sign-in request is not valid. Go back to the application and "
                     "try again."),
    }
    response = current_app.response_class(
        render_template("oidc-error.html", text=texts[kind]), status=status,
        mimetype="text/html")
    response.headers["Cache-Control"] = "no-store"
    return response


def _refuse(server: Server, error: OAuth2Error):
    """An error of the authorization request: back to the relying party when its
    redirect URI was checked (Authlib sets it only then), else a page."""
    if error.redirect_uri:
        return server.handle_error_response(None, error)
    if isinstance(error, InvalidClientError):
        return error_page("client")
    if "redirect" in (error.description or "").lower():
        return error_page("redirect")
    return error_page("request")


def _sign_in(session: WebSession, login_id: str | None = None) -> SignIn:
    svc = services()
    with svc.store.read() as connection:
        return sign_in_of(connection, user_id=session.user_id, method=session.method,
                          started=session.created_at, session_hash=session.id_hash,
                          login_id=login_id)


def _fresh_enough(session: WebSession | None, params, since=None) -> bool:
    """Whether the browser's session may answer the request without signing in again:
    ``prompt=login`` wants a sign-in after the request (*since*, the waiting request's
    start), ``max_age`` a recent one: one made after the request counts as recent, or a
    small max_age would send the user back to sign in for ever."""
    if session is None or session.must_change_password:
        return False
    if session.method != "qr" and not services().settings.oidc_password_fallback:
        return False  # the operator lets only the phone sign in to applications
    now = services().clock.now()
    if "login" in (params.get("prompt") or "").split():
        return since is not None and session.created_at > since
    max_age = params.get("max_age")
    if max_age is not None:
        try:
            seconds = int(max_age)
        except ValueError:
            return False
        if since is not None and session.created_at > since:
            return True
        return (now - session.created_at).total_seconds() <= seconds
    return True


def _prompts(params) -> list[str]:
    return (params.get("prompt") or "").split()


def _asks_consent(client, params) -> bool:
    """Whether the user is asked before going back: the client's setting, or the request's
    ``prompt=consent`` (OpenID Connect Core 3.1.2.1)."""
    return client.consent or "consent" in _prompts(params)


@bp.get("/.well-known/openid-configuration")
@operation(summary="OpenID Provider metadata (discovery)", tag="openid connect")
def configuration():
    return json_response(discovery.metadata(services().settings.public_url))


@bp.get(discovery.AUTHORIZE)
@authorize_limit
@operation(summary="The authorization endpoint: signs the user in with the phone (the desktop "
                   "login page) and returns to the relying party with a code",
           tag="openid connect", produces="text/html", errors=(429,), extra=AUTHORIZE_ANSWERS)
def authorize():
    return _authorize(request.args)


@bp.post(discovery.AUTHORIZE)
@authorize_limit
@operation(summary="The authorization endpoint, its parameters sent as a form (OpenID Connect "
                   "Core 3.1.2.1)",
           tag="openid connect", produces="text/html", errors=(429,), extra=AUTHORIZE_ANSWERS)
def authorize_post():
    return _authorize(request.form)


def _authorize(params):
    server = _server()
    session = optional_web_session()
    user = _sign_in(session) if _fresh_enough(session, params) else None
    try:
        grant = server.get_consent_grant(end_user=user)
    except OAuth2Error as error:
        return _refuse(server, error)
    client = grant.request.client.client
    asks = _asks_consent(client, params)
    if user is not None and asks and "none" in _prompts(params):
        # OpenID Connect Core 3.1.2.1: no screen may be shown, and consent is needed.
        return _refuse(server, ConsentRequiredError(redirect_uri=grant.redirect_uri,
                                                    state=grant.request.payload.state))
    if user is not None and not asks:
        return server.create_authorization_response(grant=grant, grant_user=user)
    waiting = services().oidc.requests.open(client.id, params.to_dict())
    if user is not None:  # signed in already; only the consent screen is left
        return redirect(f"/oidc/continue/{waiting.id}")
    return redirect(f"/login?oidc={quote(waiting.id)}")


def _continued_request(params: dict) -> OAuth2Request:
    uri = f"{services().settings.public_url}{discovery.AUTHORIZE}?{urlencode(params)}"
    req = OAuth2Request("GET", uri)
    req.payload = BasicOAuth2Payload(params)
    return req


@bp.get("/oidc/continue/<request_id>")
@operation(summary="Continue a waiting authorization request once the browser signed in "
                   "(where the login page goes after the phone confirms)",
           tag="openid connect", produces="text/html",
           extra=answers(s200=page("The consent screen"), s302=REDIRECT,
                         s400=page("The request cannot go back to its client"),
                         s410=page("The request is gone")))
def continue_request(request_id: str):
    return _continue(request_id)


@bp.post("/oidc/continue/<request_id>")
@operation(summary="The user's answer on the consent screen (allow or refuse)",
           tag="openid connect", produces="text/html",
           extra=answers(s302=REDIRECT, s400=page("The request cannot go back to its client"),
                         s403=page("The session's CSRF token is missing"),
                         s410=page("The request is gone")))
def consent_decision(request_id: str):
    return _continue(request_id)


def _continue(request_id: str):
    svc = services()
    try:
        waiting = svc.oidc.requests.find(request_id)
    except GatewayError:
        return error_page("gone", 410)
    session = optional_web_session()
    if not _fresh_enough(session, waiting.params, since=waiting.created_at):
        return redirect(f"/login?oidc={quote(request_id)}")
    server = _server()
    user = _sign_in(session, waiting.login_id)
    oauth_request = _continued_request(waiting.params)
    try:
        grant = server.get_consent_grant(oauth_request, end_user=user)
    except OAuth2Error as error:
        svc.oidc.requests.close(request_id)
        return _refuse(server, error)
    client = grant.request.client.client
    asks = _asks_consent(client, waiting.params)
    if asks and request.method == "GET":
        return _consent_page(client, grant.request.scope, session, request_id)
    if asks and not session.csrf_matches(request.form.get("csrf_token")):
        return error_page("request", 403)
    approved = request.method == "GET" or request.form.get("decision") == "allow"
    svc.oidc.requests.close(request_id, decided_by=user.user_id if asks else None,
                            allowed=approved, scope=grant.request.scope or "")
    return server.create_authorization_response(oauth_request, grant=grant,
                                                grant_user=user if approved else None)


def _consent_page(client, scope: str, session: WebSession, request_id: str):
    shown = [_(SCOPES[name]) for name in (scope or "").split() if name in SCOPES]
    response = current_app.response_class(
        render_template("oidc-consent.html", client_name=client.name, client_host=client.host,
                        scopes=shown,
                        csrf_token=session.csrf_token,
                        action=f"/oidc/continue/{request_id}"),
        mimetype="text/html")
    response.headers["Cache-Control"] = "no-store"
    # The answer to the form is a redirect to the client: the form may lead there.
    origins = sorted({_origin(uri) for uri in client.redirect_uris})
    response.headers["Content-Security-Policy"] = CSP.replace(
        "form-action 'self'", "form-action 'self' " + " ".join(origins))
    return response


def _origin(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"


@bp.post(discovery.TOKEN)
@operation(summary="The token endpoint: a code (with its PKCE verifier) or a refresh token "
                   "for an access token, an ID token and, with offline_access, a refresh token",
           tag="openid connect",
           extra=answers(s200=oauth("The tokens"), s400=oauth_error("A bad grant or request"),
                         s401=oauth_error("The client did not authenticate")))
def token():
    return _server().create_token_response()


def _bearer_error(error: str, description: str, status: int = 401):
    response = json_response({"error": error, "error_description": description}, status)
    response.headers["WWW-Authenticate"] = f'Bearer error="{error}"'
    return response


@bp.get(discovery.USERINFO)
@operation(summary="The userinfo endpoint: the claims the access token's scope releases",
           tag="openid connect",
           extra=answers(s200=oauth("The claims"), s401=oauth_error("No valid access token"),
                         s403=oauth_error("The token lacks the openid scope")))
def userinfo():
    return _userinfo()


@bp.post(discovery.USERINFO)
@operation(summary="The userinfo endpoint, called with POST", tag="openid connect",
           extra=answers(s200=oauth("The claims"), s401=oauth_error("No valid access token"),
                         s403=oauth_error("The token lacks the openid scope")))
def userinfo_post():
    return _userinfo()


def _userinfo():
    scheme, _space, token = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        response = json_response({"error": "invalid_request",
                                  "error_description": "Send the access token as a Bearer "
                                                       "token."}, 401)
        response.headers["WWW-Authenticate"] = "Bearer"
        return response
    svc = services()
    grant = svc.oidc.tokens.access(token.strip())
    if (grant is None or not svc.oidc.user_active(grant.sign_in.user_id)
            or svc.oidc.clients.find(grant.client_id) is None):  # a revoked client's too
        return _bearer_error("invalid_token", "The access token is unknown, revoked or "
                                              "expired.")
    if "openid" not in grant.scope.split():
        return _bearer_error("insufficient_scope", "The token was not issued for openid.", 403)
    return json_response(svc.oidc.claims(grant.sign_in.user_id, grant.scope))
