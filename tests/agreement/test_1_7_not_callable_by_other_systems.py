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


def test_1_7_a_key_calls_only_what_its_scope_allows(app, client):
    from tests.preview_support import integration_key

    reports_only = integration_key(app, scopes=("reports:write",))
    assert client.post("/api/v1/push/notifications", json={}).status_code == 401
    assert client.post("/api/v1/push/notifications", headers=reports_only,
                       json={}).status_code == 403
    assert client.get("/api/v1/me", headers=reports_only).status_code == 401


# What another system may call, each only once the operator enables it (the README's
# privacy section lists them): the BI server's endpoints, each with the integration key
# scope it needs ...
INTEGRATION_POINTS = {
    ("POST", "/api/v1/push/notifications"): "push:send",
    ("GET", "/api/v1/push/notifications/{notification_id}"): "push:send",
    ("PUT", "/api/v1/reports/{report_id}"): "reports:write",
    ("DELETE", "/api/v1/reports/{report_id}"): "reports:write",
    ("POST", "/api/v1/partners/{name}/disclosures"): "partners:share",
}
# ... the OpenID Provider, for the applications the operator registers (the token and
# userinfo endpoints authenticate the application or its token themselves; the others are
# the user's browser on its way to and from the application) ...
APPLICATIONS = {
    ("GET", "/.well-known/openid-configuration"), ("GET", "/.well-known/jwks.json"),
    ("GET", "/oidc/authorize"), ("POST", "/oidc/authorize"),
    ("GET", "/oidc/continue/{request_id}"),
    ("POST", "/oidc/continue/{request_id}"), ("POST", "/oidc/token"),
    ("GET", "/oidc/userinfo"), ("POST", "/oidc/userinfo"),
    ("GET", "/oidc/logout"), ("POST", "/oidc/logout"),
}
# ... and monitoring: /metrics only with GATEWAY_METRICS_TOKEN (or GATEWAY_METRICS_OPEN),
# and the health checks, which say nothing about anyone.
MONITORING = {("GET", "/metrics"), ("GET", "/healthz"), ("GET", "/readyz")}
# Everything else that answers without a device token, a browser session or a key is what
# a browser or the phone needs before it is signed in, or to sign in.
BROWSER_OR_PHONE = {
    # pages (each asks for a session itself where it shows anything of the user's)
    *(("GET", page) for page in (
        "/", "/sign-in", "/change-password", "/home", "/login", "/connect", "/reports",
        "/reports/{report_id}", "/policies", "/favicon.ico", "/q/{token}", "/c/{token}",
        "/p/{token}", "/admin", "/admin/applications", "/admin/integrations",
        "/admin/partners", "/admin/policies", "/admin/push", "/admin/users", "/app/",
        "/app/code", "/app/connect", "/app/consent", "/app/consents", "/app/inbox",
        "/app/manifest.webmanifest", "/app/notifications", "/app/preview", "/app/privacy",
        "/app/push-sw.js", "/app/scan", "/app/sign-in", "/i18n/{language}.json",
        "/openapi.json")),
    # signing in: the browser, the phone, a phone taken in by scanning
    ("POST", "/api/v1/web/sign-in"), ("POST", "/api/v1/auth/sign-in"),
    ("POST", "/api/v1/auth/refresh"), ("POST", "/api/v1/enrollments/claim"),
    ("GET", "/api/v1/enrollments/{offer_id}/phone"),
    ("GET", "/api/v1/enrollments/{offer_id}/phone/events"),
    ("GET", "/api/v1/enrollments/{offer_id}/phone/wait"),
    ("POST", "/api/v1/enrollments/{offer_id}/tokens"),
    # the desktop's QR login (its own HttpOnly cookie stands for it)
    ("POST", "/api/v1/qr-logins"), ("POST", "/api/v1/qr-logins/hold"),
    ("GET", "/api/v1/qr-logins/{login_id}"), ("GET", "/api/v1/qr-logins/{login_id}/events"),
    ("GET", "/api/v1/qr-logins/{login_id}/wait"), ("GET", "/api/v1/qr-logins/{login_id}/qr.png"),
    ("GET", "/api/v1/qr-logins/{login_id}/qr.svg"),
    ("POST", "/api/v1/qr-logins/{login_id}/redeem"),
    # what anyone is told before deciding: the agreement, the purposes, how long data is kept
    ("GET", "/api/v1/policy"), ("GET", "/api/v1/policies"), ("GET", "/api/v1/purposes"),
    ("GET", "/api/v1/privacy/retention"), ("PUT", "/api/v1/language"),
    # the service worker: the push key to subscribe with, and the receipt of a display
    ("GET", "/api/v1/push/vapid-key"), ("POST", "/api/v1/push/receipts"),
}


def _operations(client) -> dict[tuple[str, str], list]:
    document = client.get("/openapi.json").get_json()
    return {(method.upper(), path): described.get("security", [])
            for path, methods in document["paths"].items()
            for method, described in methods.items()}


def test_1_7_only_the_listed_integration_points_take_a_key_each_with_its_scope(client):
    keyed = {operation: requirement["integrationKey"]
             for operation, security in _operations(client).items()
             for requirement in security if "integrationKey" in requirement}
    assert keyed == {operation: [scope] for operation, scope in INTEGRATION_POINTS.items()}


def test_1_7_nothing_else_answers_without_authentication_but_what_browsers_and_phones_need(
        client):
    open_ = {operation for operation, security in _operations(client).items() if not security}
    listed = APPLICATIONS | MONITORING | BROWSER_OR_PHONE
    assert open_ - listed == set(), "callable without authentication and not listed"
    assert listed - open_ == set(), "listed, but gone or now authenticated"


def test_1_7_the_readme_lists_every_integration_point():
    from pathlib import Path

    readme = (Path(__file__).parents[2] / "README.md").read_text()
    for (method, path), scope in INTEGRATION_POINTS.items():
        route = path.replace("{", "<").replace("}", ">")
        assert f"| `{method} {route}` | `{scope}` |" in readme, (method, path)
