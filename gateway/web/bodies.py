"""The one strict reader of JSON request bodies.

Every view, and every rate-limit key that looks into a body, reads it through
``json_body()`` (or ``peek_json()``), so each body is parsed once and by the same rules:
``application/json`` only, no ``NaN`` or ``Infinity``, a whole number written ``60.0`` is
the integer 60, and no array or object nested deeper than ``MAX_DEPTH``. The depth is
measured on the text before any parser recurses into it: a body of a few thousand ``[``
would otherwise exhaust Python's stack in ``json``, or in whatever walks the result, and
answer a 500.
"""

from __future__ import annotations

import json
import operator
import re
from itertools import accumulate, repeat
from typing import Any

from flask import g, request

from gateway.core.errors import GatewayError, InvalidRequest

# No request body the gateway describes nests past 4; push data an integration sends may
# nest further, but not this far.
MAX_DEPTH = 32

# A string, or an unterminated one up to the end: the closing quote being optional, no match
# ever fails and is tried again from a later quote, so this stays linear on any text (with
# the quote required, a body of one quote and then thousands of \" took quadratic time).
_STRING = re.compile(r'"[^"\\]*(?:\\.[^"\\]*)*"?', re.DOTALL)
_NOT_A_BRACKET = re.compile(r"[^\[\]{}]+")
# An opening bracket counts +1, a closing one -1 (as byte value minus 1).
_STEPS = str.maketrans({"[": "\x02", "{": "\x02", "]": "\x00", "}": "\x00"})


class UnsupportedMediaType(GatewayError):
    status = 415
    slug = "unsupported-media-type"
    title = "Unsupported media type"


class BodyTooDeep(GatewayError):
    status = 400
    slug = "body-too-deep"
    title = "Body nested too deeply"


def nesting_depth(text: str) -> int:
    """How deeply arrays and objects nest in the JSON *text* (brackets inside strings do
    not count). Linear and without recursion, whatever the text holds."""
    brackets = _NOT_A_BRACKET.sub("", _STRING.sub("", text))
    steps = brackets.translate(_STEPS).encode("latin-1")
    return max(accumulate(map(operator.sub, steps, repeat(1))), default=0)


def _reject_constant(name: str):
    raise ValueError(f"{name} is not valid JSON")


def _number(text: str) -> int | float:
    """A JSON number with a fractional part of zero is an integer, as in JSON Schema."""
    value = float(text)
    return int(value) if value.is_integer() else value


def _parse() -> Any:
    if request.mimetype != "application/json":
        raise UnsupportedMediaType("Send the body as application/json.")
    raw = request.get_data(cache=True)
    try:
        # As json.loads reads bytes: UTF-8, -16 or -32, told by the first bytes.
        text = raw.decode(json.detect_encoding(raw), "surrogatepass")
    except UnicodeDecodeError:
        raise InvalidRequest("The body is not well-formed JSON.") from None
    if nesting_depth(text) > MAX_DEPTH:
        raise BodyTooDeep("Arrays and objects may nest at most {most} deep.",
                          params={"most": MAX_DEPTH})
    try:
        return json.loads(text, parse_constant=_reject_constant, parse_float=_number)
    except ValueError:
        raise InvalidRequest("The body is not well-formed JSON.") from None


def json_body() -> Any:
    """The request's JSON body, parsed once per request. Raises ``UnsupportedMediaType``,
    ``BodyTooDeep`` or ``InvalidRequest`` (malformed JSON), the same error every time."""
    if "json_body" not in g:
        try:
            g.json_body = (_parse(), None)
        except GatewayError as error:
            g.json_body = (None, error)
    value, error = g.json_body
    if error is not None:
        raise error
    return value


def peek_json() -> Any:
    """The request's JSON body, or None when it has none or it is refused (the view then
    answers why): for rate-limit keys, which run before the view."""
    try:
        return json_body()
    except GatewayError:
        return None
