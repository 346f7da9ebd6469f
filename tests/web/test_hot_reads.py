"""The QR login's status read answered below Flask (``gateway/web/hot_reads.py``): the same
answer as the view's, the same checks, the access log and security headers as ever, and
every refusal left to the view."""

from __future__ import annotations

from datetime import date

from gateway.web.hot_reads import StatusReads
from tests.qrlogin_support import start


def inner_flask(app):
    """The WSGI app below the hot reads: Flask with its view."""
    layer = app.wsgi_app
    while not isinstance(layer, StatusReads):
        layer = layer.app
    return layer.app


def test_a_status_read_is_answered_below_flask_as_the_view_answers_it(app, client):
    calls = []
    app.before_request(lambda: calls.append(1))
    login = start(client)
    path = f"/api/v1/qr-logins/{login['id']}"
    calls.clear()
    fast = client.get(path)
    assert fast.status_code == 200 and calls == []  # Flask never saw it
    app.wsgi_app, outer = inner_flask(app), app.wsgi_app  # the view, alone
    try:
        view = client.get(path)
    finally:
        app.wsgi_app = outer
    assert calls == [1]
    assert fast.get_json() == view.get_json() and fast.get_json()["state"] == "pending"
    for name in ("Content-Type", "Cache-Control"):
        assert fast.headers[name] == view.headers[name]
    assert fast.headers["Content-Security-Policy"] and fast.headers["X-Frame-Options"] == "DENY"


def test_refusals_are_the_views_problems(app, client):
    login = start(client)
    path = f"/api/v1/qr-logins/{login['id']}"
    stranger = app.test_client()  # a browser of its own, without the starter's cookie
    assert stranger.get(path).status_code == 401
    stranger.set_cookie("__Host-gw_qr", "another browser's secret")
    other = stranger.get(path)
    assert other.status_code == 403
    assert other.headers["Content-Type"] == "application/problem+json"
    missing = client.get("/api/v1/qr-logins/0123456789abcdef0123456789abcdef")
    assert missing.status_code == 404
    assert missing.headers["Content-Type"] == "application/problem+json"


def test_the_access_log_names_the_route_not_the_path(app, client, clock):
    login = start(client)
    assert client.get(f"/api/v1/qr-logins/{login['id']}").status_code == 200
    entries = app.extensions["gateway"].access_log.read(date.fromisoformat(
        clock.now().date().isoformat()))
    reads = [e for e in entries if e["method"] == "GET"]
    assert reads and reads[-1]["route"] == "/api/v1/qr-logins/<login_id>"
    assert login["id"] not in str(entries)


def test_where_cors_is_configured_every_read_goes_through_flask(settings, clock):
    from dataclasses import replace

    from gateway import create_app

    app = create_app(replace(settings, cors_origins=("https://bi.example.com",)), clock=clock)
    try:
        layer, layers = app.wsgi_app, []
        while layer is not None:
            layers.append(type(layer))
            layer = getattr(layer, "app", None)
        assert StatusReads not in layers
    finally:
        app.extensions["gateway"].store.dispose()
