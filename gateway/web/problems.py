"""The one error shape: ``application/problem+json`` (RFC 9457), made by one function.

Every error the gateway answers with passes through ``problem()``: domain errors, HTTP
errors raised by Flask or Werkzeug (unknown route, wrong method, oversized body, ...),
rate limits, and anything unexpected, which becomes a 500 without a stack trace.
"""

from __future__ import annotations

import json
import logging
from datetime import datetime, timedelta

from flask import Flask, Response, request
from flask_babel import format_datetime, format_decimal, format_timedelta, get_translations
from werkzeug.exceptions import HTTPException

from gateway.core.errors import GatewayError
from gateway.core.languages import N_, Phrase

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
    429: (N_("Too many requests"), N_("Too many requests. Wait a little and try again.")),
    431: (N_("Headers too large"), N_("The request headers are larger than the gateway accepts.")),
}


def words(text: str, params: dict | None = None) -> str:
    """*text* (fixed English, with "{name}" for each of *params*) in the request's language,
    each parameter written as that language writes it (see ``_written``)."""
    translated = get_translations().gettext(text) if text else text
    if not params:
        return translated
    return translated.format(**{name: _written(value) for name, value in params.items()})


def _written(value: object) -> object:
    """A parameter as the reader's language writes it (Babel): a phrase translated, a
    moment as a date and time (with its zone: the reader's own is not known here), a
    number with that language's separators. Anything else (names, codes) as it is."""
    if isinstance(value, Phrase):
        return words(value.text, dict(value.params))
    if isinstance(value, datetime):
        return format_datetime(value, "long")
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return format_decimal(value)
    return value


def _rate_limit_words(error: HTTPException) -> str:
    """What a person reads of a rate limit: how many requests in how long ("at most 10 in
    1 minute"), in their language; flask-limiter's own text ("10 per 1 minute") is English."""
    item = getattr(getattr(error, "limit", None), "limit", None)  # limits' RateLimitItem
    if item is None:
        return words(_HTTP_WORDS[429][1])
    return words(N_("Too many requests: at most {count} in {period}. Wait a little and try "
                    "again."),
                 {"count": item.amount,
                  "period": format_timedelta(timedelta(seconds=item.get_expiry()))})


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
    response = problem(status, slug, words(title),
                       _rate_limit_words(error) if status == 429 else words(detail))
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
