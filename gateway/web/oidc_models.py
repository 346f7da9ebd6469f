"""What Authlib's server reads of the gateway's OpenID Provider: a registered client, an
authorization code and a refresh token, each an adapter over the domain's own record
(``gateway.oidc``) with the methods Authlib's mixins ask for."""

from __future__ import annotations

from authlib.oauth2.rfc6749 import ClientMixin, TokenMixin
from authlib.oidc.core import AuthorizationCodeMixin

from gateway.oidc.clients import Client
from gateway.oidc.codes import Code
from gateway.oidc.tokens import Grant


class RelyingParty(ClientMixin):
    """A registered client as Authlib asks about it."""

    def __init__(self, client: Client) -> None:
        self.client = client

    def get_client_id(self):
        return self.client.id

    @property
    def client_metadata(self):  # what RP-initiated logout reads
        return {"post_logout_redirect_uris": list(self.client.logout_uris)}

    def get_default_redirect_uri(self):
        # Only an unambiguous one: with several, the request must name one exactly.
        uris = self.client.redirect_uris
        return uris[0] if len(uris) == 1 else None

    def get_allowed_scope(self, scope):
        if not scope:
            return "openid"
        return " ".join(s for s in scope.split() if s in self.client.scopes)

    def check_redirect_uri(self, redirect_uri):
        return redirect_uri in self.client.redirect_uris  # exactly, never by prefix

    def check_client_secret(self, client_secret):
        return self.client.secret_matches(client_secret)

    def check_endpoint_auth_method(self, method, endpoint):
        if endpoint != "token":
            return True
        if self.client.public:
            return method == "none"
        return method in ("client_secret_basic", "client_secret_post")

    def check_response_type(self, response_type):
        return response_type == "code"

    def check_grant_type(self, grant_type):
        return grant_type in ("authorization_code", "refresh_token")


class IssuedCode(AuthorizationCodeMixin):
    """An authorization code taken from the store, as Authlib reads it."""

    def __init__(self, code: Code) -> None:
        self.code = code
        self.code_challenge = code.code_challenge
        self.code_challenge_method = code.code_challenge_method

    def get_redirect_uri(self):
        return self.code.redirect_uri

    def get_scope(self):
        return self.code.scope

    def get_nonce(self):
        return self.code.nonce

    def get_auth_time(self):
        return self.code.sign_in.auth_time

    def get_acr(self):
        return self.code.sign_in.acr

    def get_amr(self):
        return list(self.code.sign_in.amr)


class IssuedRefreshToken(TokenMixin):
    def __init__(self, grant: Grant) -> None:
        self.grant = grant

    def check_client(self, client):
        return client.get_client_id() == self.grant.client_id

    def get_scope(self):
        return self.grant.scope

    def get_expires_in(self):
        return 0

    def is_expired(self):
        return False  # taken only while current

    def is_revoked(self):
        return False

    def get_user(self):
        return self.grant.sign_in

    def get_client(self):
        return None
