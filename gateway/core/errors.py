"""Domain errors. Each carries the HTTP status and problem type the web layer answers with.

Domain modules raise these; ``gateway.web.problems`` turns any of them into one
``application/problem+json`` body. The ``slug`` is the stable part of the problem ``type``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any


class GatewayError(Exception):
    """Base of every error a client can cause. Subclasses set status, slug and title, and
    ``retry_after`` (seconds) when trying again later may succeed."""

    status = 400
    slug = "bad-request"
    title = "Bad request"
    retry_after: int | None = None

    def __init__(self, detail: str | None = None, *, params: Mapping[str, Any] | None = None,
                 **extensions: Any) -> None:
        # *detail* is written in English, with "{name}" for each of *params*; the web layer
        # shows it in the reader's language (gateway.core.languages), so it must be a fixed
        # text, never one already formatted.
        self.message = detail or self.title
        self.params = dict(params or {})
        self.detail = self.message.format(**self.params) if self.params else self.message
        super().__init__(self.detail)
        self.extensions = extensions


class InvalidRequest(GatewayError):
    """The request is well-formed but its values make no sense here."""

    status = 400
    slug = "invalid-request"
    title = "Invalid request"


class ValidationFailed(GatewayError):
    """The body or query does not match its schema; ``errors`` names the fields."""

    status = 422
    slug = "validation-failed"
    title = "Some values are not valid"


class Unauthenticated(GatewayError):
    status = 401
    slug = "unauthenticated"
    title = "Sign-in required"


class InvalidCredentials(GatewayError):
    status = 401
    slug = "invalid-credentials"
    title = "Wrong username or password"


class TokenInvalid(GatewayError):
    status = 401
    slug = "token-invalid"
    title = "Token not valid"


class TokenExpired(TokenInvalid):
    slug = "token-expired"
    title = "Token expired"


class TokenReused(TokenInvalid):
    slug = "token-reused"
    title = "Token used twice"


class Forbidden(GatewayError):
    status = 403
    slug = "forbidden"
    title = "Not allowed"


class CsrfFailed(Forbidden):
    slug = "csrf-failed"
    title = "Security check failed"


class PasswordChangeRequired(Forbidden):
    """The account still has its one-time password: it may change it and sign out, nothing
    else, so whoever else saw that password gains nothing by using it."""

    slug = "password-change-required"
    title = "Change your one-time password first"


class NotFound(GatewayError):
    status = 404
    slug = "not-found"
    title = "Not found"


class Conflict(GatewayError):
    status = 409
    slug = "conflict"
    title = "Conflict"


class Gone(GatewayError):
    status = 410
    slug = "gone"
    title = "No longer available"
