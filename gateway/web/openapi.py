"""The OpenAPI 3.1 document, walked from the app's routes: every endpoint with the schemas
its ``@operation`` declares (a page or any undeclared view as HTML), its errors as RFC 9457
problems, its path parameters as the converters read them."""

from __future__ import annotations

import re

from flask import Flask
from pydantic import BaseModel
from pydantic.json_schema import models_json_schema

from gateway.web.api import Operation
from gateway.web.converters import MAX_ROW_ID


class Problem(BaseModel):
    """An RFC 9457 problem, as every error answers."""

    type: str
    title: str
    status: int
    detail: str
    instance: str | None = None


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
    elif op.produces.endswith("+json"):  # a JSON document of its own kind (a web app manifest)
        content = {op.produces: {"schema": {"type": "object"}}}
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
    if op.auth == "integration" and op.scope:
        # OpenAPI 3.1 lets a requirement of another kind than OAuth name the roles it needs:
        # here the key's scope (agreement 1.7: what another system may call, and with what).
        described["security"] = [{"integrationKey": [op.scope]}]
    elif op.auth:
        described["security"] = _SECURITY[op.auth]
    return described
