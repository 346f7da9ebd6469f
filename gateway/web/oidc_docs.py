"""How the OpenID Provider's endpoints answer, for the OpenAPI document: pages and
redirects at the front channel, OAuth's own JSON errors (RFC 6749 5.2, RFC 6750 3) at the
back channel, rather than the problem documents of the gateway's own API."""

from __future__ import annotations

REDIRECT = {"description": "To the relying party, the login page or a registered address "
                           "(Location)"}
_OAUTH_ERROR = {"type": "object", "required": ["error"],
                "properties": {"error": {"type": "string"},
                               "error_description": {"type": "string"}}}


def page(description: str) -> dict:
    return {"description": description, "content": {"text/html": {"schema": {"type": "string"}}}}


def oauth(description: str) -> dict:
    return {"description": description,
            "content": {"application/json": {"schema": {"type": "object"}}}}


def oauth_error(description: str) -> dict:
    return {"description": description, "content": {"application/json": {"schema": _OAUTH_ERROR}}}


def answers(**by_status: dict) -> dict:
    """``extra=`` for ``@operation``: these responses, keyed by status (``s302=...``)."""
    return {"responses": {name.removeprefix("s"): answer for name, answer in by_status.items()}}
