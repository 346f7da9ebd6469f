"""The one error shape: ``application/problem+json`` (RFC 9457), made by one function.

Every error the gateway answers with passes through ``problem()``: domain errors, HTTP
errors raised by Flask or Werkzeug (unknown route, wrong method, oversized body, ...),
rate limits, and anything unexpected, which becomes a 500 without a stack trace.
"""

from __future__ import annotations

import json
import logging

from flask import Flask, Response, request
from flask_babel import get_translations
from werkzeug.exceptions import HTTPException

from gateway.core.errors import GatewayError
from gateway.core.languages import N_

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


# What a person reads of the HTTP errors Flask and Werkzeug raise themselves (their own
# descriptions are English and written for developers).
_HTTP_WORDS = {
    400: (N_("Bad request"), N_("The request could not be read.")),
    401: (N_("Authentication required"), N_("Sign in first.")),
    403: (N_("Not allowed"), N_("You may not do this.")),
    404: (N_("Not found"), N_("There is nothing at this address.")),
    405: (N_("Method not allowed"), N_("This address does not take this method.")),
    406: (N_("Not acceptable"), N_("The gateway cannot answer in a form the client accepts.")),
    409: (N_("Conflict"), N_("This conflicts with the current state. Reload and try again.")),
    413: (N_("Body too large"), N_("The request body is larger than the gateway accepts.")),
    414: (N_("Address too long"), N_("The address is longer than the gateway accepts.")),
    415: (N_("Unsupported media type"), N_("Send the body as application/json.")),
    429: (N_("Too many requests"), N_("Too many requests: the limit is {limit}.")),
    431: (N_("Headers too large"), N_("The request headers are larger than the gateway accepts.")),
}


def words(text: str, params: dict | None = None) -> str:
    """*text* (fixed English, with "{name}" for each of *params*) in the request's language."""
    translated = get_translations().gettext(text) if text else text
    return translated.format(**params) if params else translated


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
    response = problem(error.status, error.slug, words(error.title),
                       words(error.message, error.params), **error.extensions)
    if error.retry_after is not None:
        response.headers["Retry-After"] = str(error.retry_after)
    return response


def _from_http_exception(error: HTTPException) -> Response:
    status = error.code or 500
    slug = _HTTP_SLUGS.get(status, "http-error")
    title, detail = _HTTP_WORDS.get(status, (error.name, error.description))
    # A rate limit's description is the limit itself ("10 per 1 minute").
    response = problem(status, slug, words(title), words(detail, {"limit": error.description}
                                                               if status == 429 else None))
    # Keep the headers the exception carries (Allow on 405, Retry-After on 429, ...).
    for name, value in error.get_headers():
        if name.lower() not in ("content-type", "content-length"):
            response.headers[name] = value
    return response


def _from_unexpected(error: Exception) -> Response:
    log.exception("unexpected error on %s %s", request.method, request.url_rule or "(no route)")
    return problem(500, "internal-error", words(N_("Internal error")),
                   words(N_("Something went wrong in the gateway. The error was logged; "
                            "try again later.")))


def init_app(app: Flask) -> None:
    """Route every error of *app* through ``problem()``."""
    app.register_error_handler(GatewayError, _from_gateway_error)
    app.register_error_handler(HTTPException, _from_http_exception)
    app.register_error_handler(Exception, _from_unexpected)
