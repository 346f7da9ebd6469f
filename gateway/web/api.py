"""Declared endpoints: each view states its schemas once, and both validation and the
OpenAPI document come from that statement.

``@operation(...)`` checks who is calling (after the limit on failed authentication
from that address), parses and validates the JSON body and the
query string with pydantic, and renders a returned model as JSON. ``openapi_document``
walks the app's routes and describes every one of them.
"""

from __future__ import annotations

import functools
import json
import re
from dataclasses import dataclass, field
from typing import Any, Literal

from flask import Flask, Response, request
from pydantic import BaseModel, ConfigDict, ValidationError
from pydantic.json_schema import models_json_schema
from werkzeug.routing import IntegerConverter, UnicodeConverter

from gateway.core.errors import ValidationFailed as _ValidationFailed
from gateway.web import auth, limits
from gateway.web.bodies import UnsupportedMediaType, json_body  # noqa: F401 (re-exported)

Auth = Literal["device", "web", "admin", "integration"] | None


class Model(BaseModel):
    """Base of request bodies: unknown fields are refused, not ignored."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class Problem(BaseModel):
    """An RFC 9457 problem, as every error answers."""

    type: str
    title: str
    status: int
    detail: str
    instance: str | None = None


@dataclass(frozen=True)
class Operation:
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


def _field_errors(error: ValidationError) -> list[dict[str, str]]:
    return [
        {
            "field": ".".join(str(part) for part in item["loc"]) or "(body)",
            "message": item["msg"],
            "code": item["type"],
        }
        for item in error.errors(include_url=False, include_input=False)
    ]


def _nul_fields(value: Any, where: str = "") -> list[str]:
    """Where in *value* a string (or a key) holds U+0000."""
    if isinstance(value, str):
        return [where or "(body)"] if "\x00" in value else []
    found = []
    items = (value.items() if isinstance(value, dict)
             else enumerate(value) if isinstance(value, list) else ())
    for key, item in items:
        path = f"{where}.{key}" if where else str(key)
        found += ([path] if "\x00" in str(key) else []) + _nul_fields(item, path)
    return found


def _refuse_nul(fields: list[str]) -> None:
    # No text column can hold U+0000 (PostgreSQL refuses it outright), nor should it.
    if fields:
        raise _ValidationFailed(errors=[
            {"field": name, "message": "text may not contain the NUL character (U+0000)",
             "code": "string_nul"} for name in fields])


def parse_body(model: type[BaseModel]) -> BaseModel:
    """The request's JSON body as *model*, read by the one strict parser
    (``gateway.web.bodies``). Raises ``UnsupportedMediaType``, ``BodyTooDeep``,
    ``InvalidRequest`` (malformed JSON) or ``ValidationFailed`` (naming the fields)."""
    data = json_body()
    _refuse_nul(_nul_fields(data))
    try:
        # Strict, as the OpenAPI document promises: no `false` for a number, no number for
        # a date-time, no "5" for an integer (JSON mode still reads date-time strings).
        return model.model_validate_json(json.dumps(data), strict=True)
    except ValidationError as error:
        raise _ValidationFailed(errors=_field_errors(error)) from None


_RFC3339 = re.compile(r"^\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}")


@functools.cache
def _date_time_fields(model: type[BaseModel]) -> frozenset[str]:
    """The query fields the OpenAPI document describes as date-times."""
    def is_date_time(schema: dict) -> bool:
        return schema.get("format") == "date-time" or any(
            is_date_time(option) for option in schema.get("anyOf", ()))

    properties = model.model_json_schema().get("properties", {})
    return frozenset(name for name, schema in properties.items() if is_date_time(schema))


def parse_query(model: type[BaseModel]) -> BaseModel:
    """The query string as *model*. Raises ``ValidationFailed``."""
    values = request.args.to_dict()
    _refuse_nul(sorted(name for name, value in values.items() if "\x00" in name + value))
    # pydantic reads "0.5" as a Unix time; the document promises RFC 3339 date-times only.
    wrong = sorted(name for name in _date_time_fields(model)
                   if name in values and not _RFC3339.match(values[name]))
    if wrong:
        raise _ValidationFailed(errors=[
            {"field": name, "message": "expected an RFC 3339 date-time, e.g. "
             "2026-11-28T12:00:00Z", "code": "datetime_format"} for name in wrong])
    try:
        return model.model_validate(values)
    except ValidationError as error:
        raise _ValidationFailed(errors=_field_errors(error)) from None


def json_response(data: Any, status: int = 200) -> Response:
    response = Response(json.dumps(data, separators=(",", ":")), status, mimetype="application/json")
    response.headers["Cache-Control"] = "no-store"
    return response


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


# -- the OpenAPI document ---------------------------------------------------------------

MAX_ROW_ID = 2**31 - 1  # the largest INTEGER on PostgreSQL, the narrowest id column


class RowIdConverter(IntegerConverter):
    """``<int:...>`` in every route: a whole number an id column can hold, so a larger one
    is a 404 like any unknown id instead of an overflow in the database driver (a 500)."""

    def __init__(self, map, fixed_digits=0, min=None, max=MAX_ROW_ID, signed=False):  # noqa: A002
        super().__init__(map, fixed_digits, min, max, signed)


class TextConverter(UnicodeConverter):
    """``<name>`` and ``<string:name>`` in every route: one path segment without U+0000,
    which no text column can hold; a path with one matches no route (404)."""

    def __init__(self, map, minlength=1, maxlength=None, length=None):  # noqa: A002
        super().__init__(map, minlength, maxlength, length)
        self.regex = self.regex.replace("[^/]", "[^/\\x00]", 1)


_CONVERTER = re.compile(r"<(?:(\w+)(?:\([^)]*\))?:)?(\w+)>")
_PARAM_TYPES = {"int": {"type": "integer", "minimum": 0, "maximum": MAX_ROW_ID},
                None: {"type": "string"}, "string": {"type": "string"}}
_SECURITY = {
    "device": [{"deviceToken": []}],
    "web": [{"webSession": []}],
    "admin": [{"webSession": []}],
    "integration": [{"integrationKey": []}],
}
# Before OpenAPI 3.2's itemSchema, the schema of text/event-stream describes one event.
_SSE_EVENT = {
    "type": "object",
    "description": "One Server-Sent Event: its name (the state) and its data (JSON)",
    "properties": {
        "event": {"type": "string"},
        "data": {"type": "string", "contentMediaType": "application/json"},
        "id": {"type": "string"},
        "retry": {"type": "integer", "minimum": 0},
    },
    "required": ["data"],
}
_STATUS_TEXT = {
    400: "Malformed request", 401: "Not signed in or token not valid", 403: "Not allowed",
    404: "Not found", 409: "Conflict", 410: "Gone", 413: "Body too large",
    415: "Wrong content type", 422: "Fields do not match the schema", 429: "Rate limited",
    503: "Too busy: try again after Retry-After",
}


def _path(rule: str) -> tuple[str, list[dict]]:
    params = []
    for converter, name in _CONVERTER.findall(rule):
        schema = _PARAM_TYPES.get(converter or None, {"type": "string"})
        params.append({"name": name, "in": "path", "required": True, "schema": schema})
    return _CONVERTER.sub(r"{\2}", rule), params


def _query_parameters(model: type[BaseModel], schemas: dict) -> list[dict]:
    properties = model.model_json_schema()["properties"]
    required = set(model.model_json_schema().get("required", []))
    return [
        {"name": name, "in": "query", "required": name in required, "schema": schema}
        for name, schema in properties.items()
    ]


def openapi_document(app: Flask, title: str, version: str) -> dict:
    """An OpenAPI 3.1 document describing every route of *app* but ``static``."""
    entries = []
    models: set[tuple[type[BaseModel], str]] = {(Problem, "serialization")}
    for rule in app.url_map.iter_rules():
        if rule.endpoint == "static":
            continue
        view = app.view_functions[rule.endpoint]
        op: Operation = getattr(view, "operation", None) or Operation(
            summary=(view.__doc__ or rule.endpoint).strip().splitlines()[0], tag="other",
            produces="text/html",
        )
        entries.append((rule, op))
        if op.body:
            models.add((op.body, "validation"))
        if op.response:
            models.add((op.response, "serialization"))
    refs, defs = models_json_schema(sorted(models, key=lambda m: m[0].__name__),
                                    ref_template="#/components/schemas/{model}")
    paths: dict[str, dict] = {}
    for rule, op in entries:
        path, params = _path(rule.rule)
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            paths.setdefault(path, {})[method.lower()] = _describe(op, rule.endpoint, params, refs)
    return {
        "openapi": "3.1.0",
        "info": {"title": title, "version": version},
        "paths": paths,
        "components": {
            "schemas": defs.get("$defs", {}),
            "securitySchemes": {
                "deviceToken": {"type": "http", "scheme": "bearer", "bearerFormat": "JWT"},
                "webSession": {"type": "apiKey", "in": "cookie", "name": "gw_session"},
                "integrationKey": {"type": "http", "scheme": "bearer",
                                   "description": "A named, scoped integration key (gwk_...)"},
            },
        },
    }


def _describe(op: Operation, endpoint: str, params: list[dict], refs: dict) -> dict:
    problem_ref = refs[(Problem, "serialization")]
    if op.response is not None:
        content = {op.produces: {"schema": refs[(op.response, "serialization")]}}
    elif op.produces == "application/json":
        content = None
    elif op.produces == "text/event-stream":
        content = {op.produces: {"schema": _SSE_EVENT}}
    else:
        content = {op.produces: {"schema": {"type": "string"}}}
    responses: dict[str, dict] = {str(op.status): {"description": op.summary}}
    if content:
        responses[str(op.status)]["content"] = content
    errors = set(op.errors) | ({401, 403, 429} if op.auth else set())
    if op.body is not None:
        errors |= {400, 413, 415, 422}
    if op.query is not None:
        errors.add(422)
    for status in sorted(errors):
        responses[str(status)] = {
            "description": _STATUS_TEXT.get(status, "Error"),
            "content": {"application/problem+json": {"schema": problem_ref}},
        }
    described = {
        "operationId": endpoint.replace(".", "_"),
        "summary": op.summary,
        "tags": [op.tag],
        "responses": responses,
        **op.extra,
    }
    if op.query is not None:
        params = params + _query_parameters(op.query, refs)
    if params:
        described["parameters"] = params
    if op.body is not None:
        described["requestBody"] = {
            "required": True,
            "content": {"application/json": {"schema": refs[(op.body, "validation")]}},
        }
    if op.auth:
        described["security"] = _SECURITY[op.auth]
    return described
