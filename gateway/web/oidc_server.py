"""Authlib's OAuth 2.0 / OpenID Connect authorization server, bound to the gateway's
OpenID Provider (``gateway.oidc``, its records adapted in ``oidc_models``): the
authorization code grant with PKCE (S256, required of public clients) and OpenID
Connect, the rotating refresh token grant, and the server that keeps tokens through the
domain.

Authlib does the protocol (parameters, client authentication, errors as RFC 6749 and
OpenID Connect Core name them); the domain keeps codes, tokens and claims; the ID token is
signed with the gateway's own ES256 key so that its ``kid`` is in the JWKS.
"""

from __future__ import annotations

from authlib.integrations.flask_oauth2 import AuthorizationServer
from authlib.integrations.flask_oauth2.requests import FlaskOAuth2Payload
from authlib.oauth2.rfc6749 import OAuth2Request, grants
from authlib.oauth2.rfc6749.errors import (
    InvalidGrantError,
    InvalidRequestError,
    InvalidScopeError,
)
from authlib.oauth2.rfc7636 import CodeChallenge
from authlib.oidc.core.errors import (
    RegistrationNotSupportedError,
    RequestNotSupportedError,
    RequestURINotSupportedError,
)
from authlib.oidc.core.grants import OpenIDCode
from flask import Flask, request

from gateway.web.context import client_ip, services
from gateway.web.oidc_models import IssuedCode, IssuedRefreshToken, RelyingParty

ACCESS_SECONDS = 3600
MAX_NONCE = 256  # the longest nonce a code keeps (its column)


def _live(sign_in):
    return sign_in if services().oidc.user_active(sign_in.user_id) else None


def check_request(grant, redirect_uri):
    """What Authlib leaves to the provider, checked before anything else of the request:
    the parameters the gateway does not support get the error OpenID Connect Core 3.1.2.6
    names; a ``max_age`` that is not a whole number of seconds and a nonce no code could
    keep are ``invalid_request`` (rather than a sign-in that never meets the request, or a
    database error). Authlib sends the error back to the checked redirect URI."""
    data = grant.request.payload.data
    if data.get("request"):
        raise RequestNotSupportedError()
    if data.get("request_uri"):
        raise RequestURINotSupportedError()
    if data.get("registration"):
        raise RegistrationNotSupportedError()
    max_age = data.get("max_age")
    if max_age is not None and not (max_age.isascii() and max_age.isdigit()):
        raise InvalidRequestError("max_age must be a whole number of seconds.")
    nonce = data.get("nonce")
    if nonce and (len(nonce) > MAX_NONCE or not nonce.isprintable()):
        raise InvalidRequestError(f"The nonce must be printable and at most {MAX_NONCE} "
                                  "characters long.")


class CodeGrant(grants.AuthorizationCodeGrant):
    TOKEN_ENDPOINT_AUTH_METHODS = ["client_secret_basic", "client_secret_post", "none"]

    def __init__(self, request, server):
        super().__init__(request, server)
        # Before the payload's other checks (Authlib's hooks after it run in no set order;
        # OpenID Connect's looks the nonce up in the store).
        self.register_hook("before_validate_authorization_request_payload", check_request)

    def save_authorization_code(self, code, request):
        data = request.payload.data
        services().oidc.codes.save(
            code, client_id=request.client.get_client_id(),
            redirect_uri=request.payload.redirect_uri, scope=request.scope,
            nonce=data.get("nonce"), code_challenge=data.get("code_challenge"),
            code_challenge_method=data.get("code_challenge_method"), sign_in=request.user)

    def query_authorization_code(self, code, client):
        # Taken (used) here, before anything else is checked: of concurrent redemptions
        # one gets it, and a wrong PKCE verifier spends it too.
        found = services().oidc.codes.take(code, client.get_client_id())
        return IssuedCode(found) if found else None

    def delete_authorization_code(self, authorization_code):
        pass  # spent when it was taken

    def authenticate_user(self, authorization_code):
        return _live(authorization_code.code.sign_in)


class RefreshGrant(grants.RefreshTokenGrant):
    TOKEN_ENDPOINT_AUTH_METHODS = ["client_secret_basic", "client_secret_post", "none"]
    INCLUDE_NEW_REFRESH_TOKEN = True  # rotation: each use gives the next one

    def authenticate_refresh_token(self, refresh_token):
        client_id = self.request.client.get_client_id()
        tokens = services().oidc.tokens
        asked = self.request.payload.scope
        if asked:
            # A scope wider than the one granted is refused before the token is used, so
            # that the client's mistake does not cost it the token (and its line, once it
            # tries again with the same one). Authlib checks it again afterwards.
            held = tokens.refresh_scope(refresh_token, client_id)
            if held is not None and not set(asked.split()) <= set(held.split()):
                raise InvalidScopeError()
        found = tokens.take_refresh(refresh_token, client_id)
        return IssuedRefreshToken(found) if found else None

    def authenticate_user(self, refresh_token):
        return _live(refresh_token.grant.sign_in)

    def revoke_old_credential(self, refresh_token):
        pass  # revoked when it was taken


class S256Only(CodeChallenge):
    """PKCE with S256 only: required of public clients, allowed for confidential ones. A
    missing or wrong verifier is ``invalid_grant``, as for any code that does not check out."""

    SUPPORTED_CODE_CHALLENGE_METHOD = ["S256"]
    DEFAULT_CODE_CHALLENGE_METHOD = "S256"

    def validate_code_challenge(self, grant, redirect_uri):
        data = grant.request.payload.data
        if grant.request.client.client.public and not data.get("code_challenge"):
            raise InvalidRequestError("A public client must send a PKCE code_challenge (S256).")
        if data.get("code_challenge") and data.get("code_challenge_method") != "S256":
            raise InvalidRequestError("Only code_challenge_method=S256 is accepted.")
        super().validate_code_challenge(grant, redirect_uri)

    def validate_code_verifier(self, grant, result):
        try:
            super().validate_code_verifier(grant, result)
        except InvalidRequestError as error:
            raise InvalidGrantError(error.description) from None


class OpenID(OpenIDCode):
    """OpenID Connect on the code grant: nonce replay and ``prompt`` checks are Authlib's;
    the ID token is the gateway's (``gateway.oidc.id_tokens``)."""

    def exists_nonce(self, nonce, request):
        return services().oidc.codes.nonce_used(request.payload.client_id, nonce)

    def process_token(self, grant, response):
        _, token, _ = response
        if "openid" not in (token.get("scope") or "").split():
            return token
        req = grant.request
        code = req.authorization_code
        token["id_token"] = services().oidc.id_token(
            client_id=req.client.get_client_id(), sign_in=req.user, scope=token["scope"],
            nonce=code.get_nonce() if code is not None else None,
            access_token=token.get("access_token"))
        return token


class GatewayRequest(OAuth2Request):
    """The Flask request as Authlib reads it, addressed by the public URL (behind a proxy
    the request's own URL may say http)."""

    def __init__(self) -> None:
        super().__init__(request.method, services().settings.public_url + request.full_path,
                         headers=request.headers)
        self.payload = FlaskOAuth2Payload(request)

    @property
    def args(self):
        return request.args

    @property
    def form(self):
        return request.form


class Server(AuthorizationServer):
    def create_oauth2_request(self, req):
        return req if isinstance(req, OAuth2Request) else GatewayRequest()

    def query_client(self, client_id):
        found = services().oidc.clients.find(client_id) if client_id else None
        return RelyingParty(found) if found else None

    def generate_token(self, grant_type, client, user=None, scope=None, expires_in=None,
                       include_refresh_token=True):
        # A refresh token only for offline_access (OpenID Connect Core 11).
        include_refresh_token = include_refresh_token and "offline_access" in (scope or "").split()
        return super().generate_token(grant_type, client, user, scope, expires_in,
                                      include_refresh_token)

    def save_token(self, token, req):
        code = req.authorization_code
        refresh = req.refresh_token
        services().oidc.tokens.issue(
            client_id=req.client.get_client_id(), grant_type=req.payload.grant_type,
            scope=token.get("scope") or "", sign_in=req.user,
            access_token=token["access_token"], expires_in=token["expires_in"],
            refresh_token=token.get("refresh_token"),
            code_hash=(code.code.code_hash if code is not None else
                       refresh.grant.code_hash if refresh is not None else None),
            ip=client_ip())


def make_server(app: Flask) -> Server:
    """The authorization server of *app*: codes with PKCE and OpenID Connect, refresh tokens."""
    server = Server()
    app.config.setdefault("OAUTH2_REFRESH_TOKEN_GENERATOR", True)
    app.config.setdefault("OAUTH2_TOKEN_EXPIRES_IN", {"authorization_code": ACCESS_SECONDS,
                                                      "refresh_token": ACCESS_SECONDS})
    server.init_app(app)
    server.register_grant(CodeGrant, [S256Only(required=True), OpenID(require_nonce=False)])
    server.register_grant(RefreshGrant)
    return server
