"""Declared endpoints: each view states its schemas once, and both validation and the
OpenAPI document come from that statement.

``@operation(...)`` checks who is calling (after the limit on failed authentication
from that address), parses and validates the JSON body and the query string with pydantic
(``gateway.web.parsing``), and renders a returned model as JSON. ``gateway.web.openapi``
walks the app's routes and describes every one of them from the same declarations.
"""

from __future__ import annotations

import functools
import json
from dataclasses import dataclass, field
from typing import Any, Literal

from flask import Response
from pydantic import BaseModel, ConfigDict

from gateway.web import auth, limits
from gateway.web.parsing import parse_body, parse_query

Auth = Literal["device", "web", "admin", "integration"] | None


class Model(BaseModel):
    """Base of request bodies: unknown fields are refused, not ignored."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


@dataclass(frozen=True)
class Operation:
    """What ``@operation`` declares about an endpoint: its schemas, who may call it, how it
    answers and fails (the OpenAPI document describes each of these)."""

    summary: str
    tag: str
    body: type[BaseModel] | None = None
    query: type[BaseModel] | None = None
    response: type[BaseModel] | None = None
    status: int = 200
    auth: Auth = None
    scope: str | None = None  # the integration key scope, with auth="integration"
    errors: tuple[int, ...] = ()
    # Open to a user who must still change a one-time password (see gateway.web.auth).
    before_password_change: bool = False
    produces: str = "application/json"
    extra: dict[str, Any] = field(default_factory=dict)


_compact = json.JSONEncoder(separators=(",", ":")).encode


def json_response(data: Any, status: int = 200) -> Response:
    """*data* as a compact JSON answer with *status*, never cached."""
    # Headers handed over whole: setting them one by one on the response validates each
    # value again (a tenth of a waiting browser's status read, tests/bench/bench_qrlogin.py).
    return Response(_compact(data), status, [("Cache-Control", "no-store")],
                    content_type="application/json")


def _authenticate(op: Operation) -> None:
    if op.auth == "device":
        auth.current_device()
    elif op.auth in ("web", "admin"):
        auth.current_web_session(admin=op.auth == "admin")
    elif op.auth == "integration":
        auth.current_integration(op.scope or "")


def operation(**declaration: Any):
    """Declare an endpoint (see ``Operation`` for the fields) and enforce its schemas.

    The view receives ``body=`` and ``query=`` as validated models when declared, and may
    return a pydantic model (rendered as JSON with the declared status) or a response.
    """
    op = Operation(**declaration)

    def decorate(view):
        @functools.wraps(view)
        def wrapper(*args, **kwargs):
            if op.auth or op.before_password_change:  # else the default (False) holds
                auth.allow_before_password_change(op.before_password_change)
                _authenticate(op)
            if op.body is not None:
                kwargs["body"] = parse_body(op.body)
            if op.query is not None:
                kwargs["query"] = parse_query(op.query)
            result = view(*args, **kwargs)
            if isinstance(result, BaseModel):
                return json_response(result.model_dump(mode="json"), op.status)
            return result

        if op.auth:
            wrapper = limits.before_authentication(wrapper)
        wrapper.operation = op
        return wrapper

    return decorate
