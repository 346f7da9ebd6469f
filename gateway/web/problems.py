"""The one error shape: ``application/problem+json`` (RFC 9457), made by one function.

Every error the gateway answers with passes through ``problem()``: domain errors, HTTP
errors raised by Flask or Werkzeug (unknown route, wrong method, oversized body, ...),
rate limits, and anything unexpected, which becomes a 500 without a stack trace.
"""

from __future__ import annotations

import json
import logging

from flask import Flask, Response, request
from werkzeug.exceptions import HTTPException

from gateway.core.errors import GatewayError

PROBLEM_TYPE = "urn:problem-type:companion-gateway:"
MEDIA_TYPE = "application/problem+json"
log = logging.getLogger("gateway.core.errors")

# Stable slugs for the HTTP errors Flask and Werkzeug raise themselves.
_HTTP_SLUGS = {
    400: "bad-request",
    401: "unauthenticated",
    403: "forbidden",
    404: "not-found",
    405: "method-not-allowed",
    406: "not-acceptable",
    409: "conflict",
    413: "body-too-large",
    414: "uri-too-long",
    415: "unsupported-media-type",
    429: "rate-limited",
    431: "headers-too-large",
}


def problem_type(slug: str) -> str:
    """The full ``type`` URI of a problem slug."""
    return PROBLEM_TYPE + slug


def problem(status: int, slug: str, title: str, detail: str | None = None, **extensions) -> Response:
    """An RFC 9457 problem response. *extensions* become extra members (e.g. ``errors``)."""
    body = {
        "type": problem_type(slug),
        "title": title,
        "status": status,
        "detail": detail or title,
        "instance": request.path if request else None,
        **extensions,
    }
    response = Response(json.dumps(body, default=str), status=status, mimetype=MEDIA_TYPE)
    response.headers["Cache-Control"] = "no-store"
    return response


def _from_gateway_error(error: GatewayError) -> Response:
    response = problem(error.status, error.slug, error.title, error.detail, **error.extensions)
    if error.retry_after is not None:
        response.headers["Retry-After"] = str(error.retry_after)
    return response


def _from_http_exception(error: HTTPException) -> Response:
    status = error.code or 500
    slug = _HTTP_SLUGS.get(status, "http-error")
    title = error.name
    detail = error.description
    if status == 429:
        detail = f"Too many requests: the limit is {getattr(error, 'description', '')}."
    response = problem(status, slug, title, detail)
    # Keep the headers the exception carries (Allow on 405, Retry-After on 429, ...).
    for name, value in error.get_headers():
        if name.lower() not in ("content-type", "content-length"):
            response.headers[name] = value
    return response


def _from_unexpected(error: Exception) -> Response:
    log.exception("unexpected error on %s %s", request.method, request.url_rule or "(no route)")
    return problem(500, "internal-error", "Internal error", "The gateway failed; the error was logged.")


def init_app(app: Flask) -> None:
    """Route every error of *app* through ``problem()``."""
    app.register_error_handler(GatewayError, _from_gateway_error)
    app.register_error_handler(HTTPException, _from_http_exception)
    app.register_error_handler(Exception, _from_unexpected)
