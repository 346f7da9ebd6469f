"""Reading a request's input strictly: the JSON body and the query string as pydantic
models, exactly as the OpenAPI document describes them, and never a string holding U+0000.

Every failure is a ``ValidationFailed`` naming the fields (or an error of the one body
parser, ``gateway.web.bodies``); ``@operation`` calls these for the models it declares.
"""

from __future__ import annotations

import functools
import json
import re
from typing import Any

from flask import request
from pydantic import BaseModel, ValidationError

from gateway.core.errors import ValidationFailed as _ValidationFailed
from gateway.core.languages import N_
from gateway.web.bodies import json_body

# What a person reads of any validation failure; ``errors`` names each field for developers.
_DETAIL = N_("Some of the values sent are not valid. Correct the fields named and try again.")


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
        raise _ValidationFailed(_DETAIL, errors=[
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
        raise _ValidationFailed(_DETAIL, errors=_field_errors(error)) from None


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
        raise _ValidationFailed(_DETAIL, errors=[
            {"field": name, "message": "expected an RFC 3339 date-time, e.g. "
             "2026-11-28T12:00:00Z", "code": "datetime_format"} for name in wrong])
    try:
        return model.model_validate(values)
    except ValidationError as error:
        raise _ValidationFailed(_DETAIL, errors=_field_errors(error)) from None
