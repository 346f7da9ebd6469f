import re

from gateway.web.openapi import openapi_document


def test_health_is_up(client):
    assert client.get("/healthz").get_json() == {"status": "ok"}


def test_ready_when_the_database_is_migrated(client):
    assert client.get("/readyz").get_json() == {"status": "ready"}


def test_not_ready_before_migrations(app, client):
    app.extensions["gateway"].store.downgrade("base")
    response = client.get("/readyz")
    assert response.status_code == 503
    assert response.mimetype == "application/problem+json"
    app.extensions["gateway"].store.upgrade()


def test_the_jwks_serves_public_keys_only(client):
    keys = client.get("/.well-known/jwks.json").get_json()["keys"]
    assert keys and all(key["kty"] == "EC" and "d" not in key for key in keys)


def test_every_route_is_in_the_openapi_document(app, client):
    document = client.get("/openapi.json").get_json()
    assert document["openapi"].startswith("3.1")
    for rule in app.url_map.iter_rules():
        if rule.endpoint == "static":
            continue
        path = re.sub(r"<(?:\w+:)?(\w+)>", r"{\1}", rule.rule)
        assert path in document["paths"], rule.rule
        for method in rule.methods - {"HEAD", "OPTIONS"}:
            assert document["paths"][path][method.lower()]["responses"], (rule.rule, method)


def test_bodies_are_described_with_their_schemas(client):
    document = client.get("/openapi.json").get_json()
    sign_in = document["paths"]["/api/v1/auth/sign-in"]["post"]
    ref = sign_in["requestBody"]["content"]["application/json"]["schema"]["$ref"]
    schema = document["components"]["schemas"][ref.rsplit("/", 1)[-1]]
    assert {"username", "password", "device"} <= set(schema["properties"])
    assert "application/problem+json" in sign_in["responses"]["422"]["content"]


def test_the_document_is_valid_openapi(app):
    from openapi_spec_validator import validate

    validate(openapi_document(app, "Companion Gateway", "test"))
