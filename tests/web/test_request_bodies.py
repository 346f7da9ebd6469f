"""Every JSON body is read by the one strict parser (``gateway.web.bodies``): a body nested
too deeply is refused with one problem, on every operation that takes a body, before any
parser (or rate-limit key that looks into the body) can recurse into it."""

from __future__ import annotations

import re
import time
from pathlib import Path

import pytest

from gateway.identity import integrations
from gateway.web.bodies import MAX_DEPTH, nesting_depth
from tests.problems import assert_problem

DEEP = 5_000


@pytest.fixture
def credentials(app, client, actions):
    """Headers for each security scheme of the document, each good enough to get the
    request as far as reading its body."""
    actions.create_user("alice")
    actions.create_user("root", role="admin")
    phone = actions.device_sign_in("alice")
    svc = app.extensions["gateway"]
    _, key = svc.identity.integrations.create(name="bi", created_by=None,
                                              scopes=sorted(integrations.SCOPES))
    return {
        "deviceToken": phone.headers,
        "webSession": actions.web_sign_in("root"),  # the client keeps the cookie
        "integrationKey": {"Authorization": f"Bearer {key}"},
        None: {},
    }


def _operations_with_a_body(client):
    document = client.get("/openapi.json").get_json()
    for path, methods in sorted(document["paths"].items()):
        for method, described in sorted(methods.items()):
            if "requestBody" in described:
                schemes = [name for item in described.get("security", ()) for name in item]
                yield path, method, (schemes or [None])[0], described.get("parameters", ())


def _url(path: str, parameters) -> str:
    kinds = {p["name"]: p["schema"].get("type") for p in parameters if p["in"] == "path"}
    return re.sub(r"{(\w+)}", lambda m: "1" if kinds.get(m[1]) == "integer" else "x", path)


@pytest.mark.parametrize("body", [
    "[" * DEEP + "]" * DEEP,
    '{"username":' * DEEP + '"alice"' + "}" * DEEP,
], ids=["arrays", "objects"])
def test_a_body_nested_thousands_deep_is_refused_by_every_operation(client, credentials,
                                                                     body):
    operations = list(_operations_with_a_body(client))
    paths = {path for path, *_ in operations}
    # The three that answered 500: their rate-limit keys read the body themselves.
    assert {"/api/v1/auth/sign-in", "/api/v1/web/sign-in", "/api/v1/enrollments/claim"} <= paths
    assert len(operations) > 20
    wrong = {}
    for path, method, scheme, parameters in operations:
        response = client.open(_url(path, parameters), method=method.upper(), data=body,
                               content_type="application/json", headers=credentials[scheme])
        problem = response.get_json() if response.mimetype == "application/problem+json" else {}
        if (response.status_code, problem.get("type", "")[-14:]) != (400, ":body-too-deep"):
            wrong[f"{method.upper()} {path}"] = (response.status_code, problem.get("type"))
    assert wrong == {}


def _sign_in_nested(client, depth: int):
    """A sign-in whose username is arrays in arrays, the body *depth* deep in all."""
    inner = "[" * (depth - 1) + "]" * (depth - 1)
    return client.post("/api/v1/auth/sign-in", content_type="application/json",
                       data=f'{{"username": {inner}, "password": "x"}}')


def test_a_body_as_deep_as_allowed_is_parsed_and_checked_against_its_schema(client):
    body = assert_problem(_sign_in_nested(client, MAX_DEPTH), 422)
    assert "username" in [error["field"] for error in body["errors"]]


def test_one_level_more_is_too_deep(client):
    assert_problem(_sign_in_nested(client, MAX_DEPTH + 1), 400, ":body-too-deep")


def test_brackets_inside_strings_do_not_count():
    assert nesting_depth('{"a": "[[[[{{{{", "b": ["\\"[[["]}') == 2
    assert nesting_depth('"just text"') == 0
    assert nesting_depth("[" * DEEP) == DEEP
    assert nesting_depth('["unterminated [[[') == 1


def test_measuring_the_depth_takes_linear_time_on_any_text():
    # One quote, then escaped quotes: each of them looked like the start of a string that
    # never ends, and measuring these 60 kB took half a minute.
    started = time.perf_counter()
    assert nesting_depth('"' + '\\"' * 30_000) == 0
    assert nesting_depth('[' * 50 + '"' + '\\"' * 30_000) == 50
    assert time.perf_counter() - started < 2


def test_no_view_reads_a_body_but_through_the_one_parser():
    web = Path(__file__).parents[2] / "gateway" / "web"
    readers = re.compile(r"get_json\(|request\.json\b|json\.loads\(|request\.get_data\(")
    found = [f"{path.name}: {line.strip()}" for path in sorted(web.glob("*.py"))
             if path.name != "bodies.py"
             for line in path.read_text().splitlines() if readers.search(line)]
    assert found == []
