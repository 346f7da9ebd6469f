"""The provider's metadata (OpenID Connect Discovery 1.0), served at
``/.well-known/openid-configuration``: where every endpoint is and what is supported."""

from __future__ import annotations

from gateway.oidc.claims import SCOPES, SUPPORTED_CLAIMS
from gateway.oidc.signins import ACR_VALUES

AUTHORIZE = "/oidc/authorize"
TOKEN = "/oidc/token"
USERINFO = "/oidc/userinfo"
END_SESSION = "/oidc/logout"
JWKS = "/.well-known/jwks.json"


def metadata(issuer: str) -> dict:
    """The provider metadata of the gateway whose public URL is *issuer*."""
    return {
        "issuer": issuer,
        "authorization_endpoint": issuer + AUTHORIZE,
        "token_endpoint": issuer + TOKEN,
        "userinfo_endpoint": issuer + USERINFO,
        "end_session_endpoint": issuer + END_SESSION,
        "jwks_uri": issuer + JWKS,
        "scopes_supported": list(SCOPES),
        "response_types_supported": ["code"],
        "response_modes_supported": ["query"],
        "grant_types_supported": ["authorization_code", "refresh_token"],
        "subject_types_supported": ["public"],
        "id_token_signing_alg_values_supported": ["ES256"],
        "token_endpoint_auth_methods_supported": ["client_secret_basic", "client_secret_post",
                                                  "none"],
        "code_challenge_methods_supported": ["S256"],
        "claims_supported": list(SUPPORTED_CLAIMS),
        "acr_values_supported": list(ACR_VALUES),
        "prompt_values_supported": ["none", "login", "consent"],
        "claims_parameter_supported": False,
        "request_parameter_supported": False,
        "request_uri_parameter_supported": False,  # true when left out (Discovery 1.0, 3)
        "backchannel_logout_supported": True,
        "backchannel_logout_session_supported": True,
    }
