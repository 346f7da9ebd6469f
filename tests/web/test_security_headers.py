"""Security headers on every page and every answer, and the attributes of every cookie the
gateway sets anywhere, under an https public URL and under a plain http one."""

from __future__ import annotations

import re

import pytest

from tests.authz_requests import request_for
from tests.authz_support import World
from tests.push_support import push_settings
from tests.web.test_authorization_matrix import ROWS, SAFE, scope_of

HSTS = "Strict-Transport-Security"


@pytest.fixture(params=["https", "http"])
def scheme(request):
    return request.param


@pytest.fixture
def settings(settings, scheme):
    return push_settings(settings, partners=("crm",), public_url=f"{scheme}://gateway.test")


def csp(response) -> dict[str, list[str]]:
    directives = {}
    for part in response.headers.get("Content-Security-Policy", "").split(";"):
        name, *values = part.split()
        directives[name.lower()] = values
    return directives


# OpenID pages that answer with their error page unless a real authorization request is
# behind them: without its parameters (400), or one that does not exist (410).
NEEDS_A_REQUEST = {"/oidc/authorize": 400, "/oidc/continue/request_id": 410}


def page_paths(app) -> list[str]:
    """Every route declared to answer with HTML, its parameters filled in."""
    paths = []
    for rule in app.url_map.iter_rules():
        operation = getattr(app.view_functions[rule.endpoint], "operation", None)
        if operation is not None and operation.produces == "text/html":
            paths.append(re.sub(r"<(?:int:)?(\w+)>", lambda m: "1" if "int:" in m[0] else m[1],
                                rule.rule))
    return sorted(paths)


def assert_secure_answer(response, scheme: str) -> None:
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Referrer-Policy"] == "no-referrer"
    assert csp(response)["frame-ancestors"] == ["'none'"]  # images and JSON are not framed either
    if scheme == "https":
        hsts = response.headers[HSTS]
        assert int(re.search(r"max-age=(\d+)", hsts)[1]) >= 180 * 24 * 3600
    else:
        assert HSTS not in response.headers  # a browser would ignore it, and it misleads


def test_every_page_is_declared_and_answers_with_html(app, client):
    paths = page_paths(app)
    assert {"/", "/sign-in", "/login", "/app/", "/policies", "/admin/push"} <= set(paths)
    for rule in app.url_map.iter_rules():
        if "GET" in rule.methods and rule.endpoint != "static" and "<" not in rule.rule:
            response = client.get(rule.rule)
            response.close()
            if response.mimetype == "text/html":
                assert rule.rule in paths, f"{rule.rule} answers HTML without declaring it"


def test_every_page_has_a_strict_csp_and_the_security_headers(app, client, actions, scheme):
    # As an administrator, so that the pages for signed-in browsers are served, not redirected.
    actions.create_user("root", role="admin")
    actions.web_sign_in("root")
    for path in page_paths(app):
        response = client.get(path)
        # Error pages are HTML all the same, with every header.
        expected = NEEDS_A_REQUEST.get(path, 200)
        if path == "/oidc/logout" and scheme == "http":
            expected = 400  # OAuth 2 needs https off this machine (Authlib refuses plain http)
        assert response.status_code == expected and response.mimetype == "text/html", path
        policy = csp(response)
        for directive in ("script-src", "style-src"):
            sources = policy.get(directive, policy.get("default-src"))
            assert sources, (path, directive)
            assert "'unsafe-inline'" not in sources and "'unsafe-eval'" not in sources, path
            assert "*" not in sources and "data:" not in sources, path
        assert policy["frame-ancestors"] == ["'none'"], path
        assert policy["object-src" if "object-src" in policy else "default-src"] == ["'none'"]
        assert policy["base-uri"] == ["'none'"], path
        assert_secure_answer(response, scheme)


def cookie_flaws(header: str, scheme: str) -> list[str]:
    name = header.split("=", 1)[0]
    attributes = {part.split("=", 1)[0].strip().lower(): part.partition("=")[2].strip()
                  for part in header.split(";")[1:]}
    flaws = []
    if "httponly" not in attributes:
        flaws.append("HttpOnly")
    if attributes.get("samesite", "").lower() not in ("strict", "lax"):
        flaws.append("SameSite")
    if scheme == "https" and "secure" not in attributes:
        flaws.append("Secure")
    if scheme == "https" and not (name.startswith("__Host-") and attributes.get("path") == "/"
                                  and "domain" not in attributes):
        flaws.append("__Host- prefix with Path=/ and no Domain")
    return [f"{name} lacks {flaw}" for flaw in flaws]


def test_every_cookie_set_anywhere_is_httponly_samesite_and_secure_under_https(app, scheme):
    """Every endpoint called as it is meant to be (by Alice, with her things): each cookie
    it sets or clears, and the security headers of each answer."""
    shared, seen, flaws = World(app), [], []
    for endpoint in sorted(ROWS):
        method = endpoint.split(" ", 1)[0]
        world = shared if method in SAFE else World(app)
        for who in ("user", "integration"):
            client, headers = world.caller(who, scope_of(app, endpoint))
            sent = request_for(endpoint, world, who)
            response = client.open(sent.path, method=method, json=sent.json,
                                   headers={**headers, **sent.headers}, buffered=False)
            response.close()
            assert_secure_answer(response, scheme)
            for header in response.headers.getlist("Set-Cookie"):
                seen.append(header.split("=", 1)[0])
                flaws += [f"{endpoint}: {flaw}" for flaw in cookie_flaws(header, scheme)]
    prefix = "__Host-" if scheme == "https" else ""
    assert {f"{prefix}gw_session", f"{prefix}gw_qr", f"{prefix}gw_enroll"} <= set(seen)
    assert not flaws, "\n".join(flaws)
