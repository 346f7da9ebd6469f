"""Agreement 5: data goes to a partner only with the user's active authorisation."""

import json
import threading
from http.server import BaseHTTPRequestHandler, HTTPServer

import pytest

from gateway import create_app
from tests.support import Actions


class Partner:
    """A partner system on this machine that records what it receives."""

    def __init__(self) -> None:
        self.received: list[dict] = []
        received = self.received

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                received.append(json.loads(self.rfile.read(int(self.headers["Content-Length"]))))
                self.send_response(204)
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = HTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}/hook"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def partner():
    server = Partner()
    yield server
    server.close()


@pytest.fixture
def gateway(settings, clock, partner):
    app = create_app(settings.replace(partners=("crm",)), clock=clock)
    client = app.test_client()
    actions = Actions(app, client)
    actions.create_user("root", role="admin")
    headers = actions.web_sign_in("root")
    assert client.put("/api/v1/admin/partners/crm", headers=headers, json={
        "webhook_url": partner.url, "fields": ["username", "email"]}).status_code == 204
    key = client.post("/api/v1/admin/integrations", headers=headers, json={
        "name": "bi", "scopes": ["partners:share"]}).get_json()["key"]
    actions.create_user("alice", email="alice@example.com", phone="+86 138 0000 2222")
    yield app, client, actions, {"Authorization": f"Bearer {key}"}
    app.extensions["gateway"].store.dispose()


def disclose(client, headers):
    return client.post("/api/v1/partners/crm/disclosures", headers=headers,
                       json={"username": "alice", "reason": "ticket 42"})


def test_5_nothing_is_shared_without_the_users_consent(gateway, partner):
    app, client, actions, headers = gateway
    response = disclose(client, headers)
    assert response.status_code == 403
    assert response.get_json()["purpose"] == "partner_sharing:crm"
    assert partner.received == []


def test_5_with_consent_only_the_configured_fields_are_sent_and_the_user_sees_it(gateway, partner):
    app, client, actions, headers = gateway
    device = actions.device_sign_in()
    actions.grant(device, "partner_sharing:crm")
    response = disclose(client, headers)
    assert response.status_code == 201 and response.get_json()["outcome"] == "delivered"
    (sent,) = partner.received
    assert sent["user"] == {"username": "alice", "email": "alice@example.com"}
    seen = client.get("/api/v1/me/disclosures", headers=device.headers).get_json()
    assert [(d["partner"], d["reason"]) for d in seen["disclosures"]] == [("crm", "ticket 42")]
    exported = client.get("/api/v1/me/export", headers=device.headers).get_json()
    assert exported["disclosures"][0]["fields"] == ["email", "username"]


def test_5_withdrawal_stops_sharing_at_once(gateway, partner):
    app, client, actions, headers = gateway
    device = actions.device_sign_in()
    actions.grant(device, "partner_sharing:crm")
    actions.grant(device, "partner_sharing:crm", decision="withdrawn")
    assert disclose(client, headers).status_code == 403
    assert partner.received == []


def test_5_a_partner_not_named_by_the_operator_cannot_be_configured(gateway):
    app, client, actions, headers = gateway
    admin = actions.web_sign_in("root")
    response = client.put("/api/v1/admin/partners/adtech", headers=admin, json={
        "webhook_url": "https://ads.example.com/hook", "fields": ["email"]})
    assert response.status_code == 404


def test_5_a_plain_http_webhook_elsewhere_is_refused(gateway):
    app, client, actions, headers = gateway
    admin = actions.web_sign_in("root")
    response = client.put("/api/v1/admin/partners/crm", headers=admin, json={
        "webhook_url": "http://crm.example.com/hook", "fields": ["email"]})
    assert response.status_code == 400
