"""The error contract: every failure is application/problem+json with a stable type."""

import pytest

from tests.problems import assert_problem
from tests.support import device_description


def test_an_unknown_route(client):
    assert_problem(client.get("/no/such/thing"), 404, "not-found")


def test_a_wrong_method_keeps_the_allow_header(client):
    response = client.delete("/healthz")
    assert_problem(response, 405, "method-not-allowed")
    assert "GET" in response.headers["Allow"]


def test_malformed_json(client):
    response = client.post("/api/v1/auth/sign-in", data="{not json",
                           content_type="application/json")
    assert_problem(response, 400, "invalid-request")


def test_json_constants_that_are_not_json(client):
    response = client.post("/api/v1/auth/refresh", data='{"refresh_token": NaN}',
                           content_type="application/json")
    assert_problem(response, 400)


def test_a_wrong_content_type(client):
    response = client.post("/api/v1/auth/sign-in", data="username=a",
                           content_type="application/x-www-form-urlencoded")
    assert_problem(response, 415, "unsupported-media-type")


def test_an_oversized_body(app, client):
    app.config["MAX_CONTENT_LENGTH"] = 1024
    response = client.post("/api/v1/auth/sign-in", data="x" * 4096,
                           content_type="application/json")
    assert_problem(response, 413, "body-too-large")


def test_validation_errors_name_the_offending_fields(client):
    response = client.post("/api/v1/auth/sign-in", json={
        "username": "", "password": "x", "device": {**device_description(), "model": ""},
        "surprise": 1})
    body = assert_problem(response, 422, "validation-failed")
    fields = {error["field"] for error in body["errors"]}
    assert {"username", "device.model", "surprise"} <= fields


@pytest.mark.parametrize("payload", ["[]", '"text"', "1", "null", '{"username": ["x"]}'])
def test_bodies_of_the_wrong_shape(client, payload):
    response = client.post("/api/v1/auth/sign-in", data=payload, content_type="application/json")
    assert_problem(response, 422, "validation-failed")


def test_an_unexpected_failure_is_a_500_problem_without_a_trace(app, client, monkeypatch):
    from gateway.web import meta

    def explode():
        raise RuntimeError("secret internals")

    monkeypatch.setattr(meta.Health, "__init__", lambda *a, **k: explode())
    body = assert_problem(client.get("/healthz"), 500, "internal-error")
    assert "secret internals" not in str(body)


def test_a_deep_json_document_is_refused_cleanly(client):
    response = client.post("/api/v1/auth/refresh", data="[" * 100000 + "]" * 100000,
                           content_type="application/json")
    assert response.status_code in (400, 413)
    assert response.mimetype == "application/problem+json"
