"""Agreement 1.7: not callable by other systems unless the operator says so."""

import pytest

from gateway import create_app


def test_1_7_no_cors_headers_unless_origins_are_named(client):
    response = client.get("/healthz", headers={"Origin": "https://evil.example"})
    assert "Access-Control-Allow-Origin" not in response.headers
    preflight = client.options("/api/v1/me", headers={
        "Origin": "https://evil.example", "Access-Control-Request-Method": "GET"})
    assert "Access-Control-Allow-Origin" not in preflight.headers


def test_1_7_a_named_origin_may_call_the_api_without_cookies(settings, clock):
    app = create_app(settings.replace(cors_origins=("https://bi.example.com",)), clock=clock)
    client = app.test_client()
    allowed = client.get("/api/v1/me", headers={"Origin": "https://bi.example.com"})
    assert allowed.headers["Access-Control-Allow-Origin"] == "https://bi.example.com"
    assert "Access-Control-Allow-Credentials" not in allowed.headers
    other = client.get("/api/v1/me", headers={"Origin": "https://evil.example"})
    assert "Access-Control-Allow-Origin" not in other.headers
    app.extensions["gateway"].store.dispose()


@pytest.mark.parametrize("path", ["/", "/sign-in", "/app/", "/app/sign-in", "/app/privacy"])
def test_1_7_pages_cannot_be_framed_by_other_sites(client, path):
    response = client.get(path)
    assert response.status_code == 200
    assert "frame-ancestors 'none'" in response.headers["Content-Security-Policy"]
    assert "unsafe-inline" not in response.headers["Content-Security-Policy"]
    assert response.headers["X-Frame-Options"] == "DENY"


def test_1_7_server_to_server_calls_need_a_named_scoped_key(app, client, actions):
    from gateway.core.errors import TokenInvalid
    from gateway.identity import integrations

    svc = app.extensions["gateway"]
    with pytest.raises(TokenInvalid):
        integrations.authenticate(svc.store, svc.clock, "gwk_made-up", "push:send")
