"""The limit on failed authentication applies before authentication: an address that keeps
sending bad credentials gets 429, on every endpoint that takes credentials, and only a
refused credential counts against it."""

from __future__ import annotations

import re

import pytest

from tests.problems import assert_problem

LIMIT = 5
BAD = {"Authorization": "Bearer not-a-token"}


@pytest.fixture
def settings(settings):
    return settings.replace(auth_failure_limit=f"{LIMIT} per minute")


def test_hammering_with_bad_credentials_gets_429_instead_of_401(client):
    answers = [client.get("/api/v1/push/quiet-hours", headers=BAD).status_code
               for _ in range(LIMIT + 3)]
    assert answers == [401] * LIMIT + [429] * 3
    response = client.get("/api/v1/push/quiet-hours", headers=BAD)
    assert_problem(response, 429, ":rate-limited")
    assert int(response.headers["Retry-After"]) > 0


def test_past_the_limit_even_the_right_credentials_wait(client, actions):
    actions.create_user("alice")
    phone = actions.device_sign_in("alice")
    for _ in range(LIMIT):
        client.get("/api/v1/devices", headers=BAD)
    assert client.get("/api/v1/devices", headers=phone.headers).status_code == 429


def test_calls_with_good_credentials_do_not_count(client, actions):
    actions.create_user("alice")
    phone = actions.device_sign_in("alice")
    assert {client.get("/api/v1/devices", headers=phone.headers).status_code
            for _ in range(LIMIT * 3)} == {200}
    assert client.get("/api/v1/devices", headers=BAD).status_code == 401


def test_every_endpoint_that_takes_credentials_checks_the_limit_first(client):
    document = client.get("/openapi.json").get_json()
    operations = [(method.upper(), re.sub(r"{\w+}", "1", path))
                  for path, methods in sorted(document["paths"].items())
                  for method, described in sorted(methods.items()) if "security" in described]
    assert len(operations) > 40
    for _ in range(LIMIT):
        client.get("/api/v1/me", headers=BAD)
    # A browser's cookie, a device's token and an integration key alike.
    client.set_cookie("gw_session", "not-a-session")
    answers = {f"{method} {path}": client.open(path, method=method, headers=BAD,
                                               json={}).status_code
               for method, path in operations}
    assert {call: status for call, status in answers.items() if status != 429} == {}


def test_the_document_lists_429_for_every_endpoint_that_takes_credentials(client):
    document = client.get("/openapi.json").get_json()
    missing = [f"{method} {path}" for path, methods in document["paths"].items()
               for method, described in methods.items()
               if "security" in described and "429" not in described["responses"]]
    assert missing == []
