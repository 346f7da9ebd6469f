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


TERMS = {"fields": ["username", "email"], "recipient": "CRM Ltd",
         "contact": "privacy@crm.example", "purpose": "support"}


@pytest.fixture
def gateway(settings, clock, partner):
    app = create_app(settings.replace(partners=("crm",)), clock=clock)
    client = app.test_client()
    actions = Actions(app, client)
    actions.create_user("root", role="admin")
    headers = actions.web_sign_in("root")
    assert client.put("/api/v1/admin/partners/crm", headers=headers, json={
        **TERMS, "webhook_url": partner.url}).status_code == 204
    key = client.post("/api/v1/admin/integrations", headers=headers, json={
        "name": "bi", "scopes": ["partners:share"]}).get_json()["key"]
    actions.create_user("alice", email="alice@example.com", phone="+86 138 0000 2222")
    yield app, client, actions, {"Authorization": f"Bearer {key}"}
    app.extensions["gateway"].store.dispose()


def disclose(client, headers):
    return client.post("/api/v1/partners/crm/disclosures", headers=headers,
                       json={"username": "alice", "reason": "support"})


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
    assert [(d["partner"], d["reason"]) for d in seen["disclosures"]] == [("crm", "support")]
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
        **TERMS, "webhook_url": "https://ads.example.com/hook"})
    assert response.status_code == 404


def test_5_a_plain_http_webhook_elsewhere_is_refused(gateway):
    app, client, actions, headers = gateway
    admin = actions.web_sign_in("root")
    response = client.put("/api/v1/admin/partners/crm", headers=admin, json={
        **TERMS, "webhook_url": "http://crm.example.com/hook"})
    assert response.status_code == 400


def test_5_the_notice_names_the_recipient_its_host_the_purpose_and_the_fields(gateway, partner):
    app, client, actions, headers = gateway
    device = actions.device_sign_in()
    english = client.get("/api/v1/consents/partner_sharing:crm/notice",
                         headers=device.headers).get_json()["text"]
    for told in ("CRM Ltd", "privacy@crm.example", "127.0.0.1", "handling a support request",
                 "user name", "e-mail address"):
        assert told in english
    assert "phone" not in english
    chinese = client.get("/api/v1/consents/partner_sharing:crm/notice?lang=zh",
                         headers=device.headers).get_json()["text"]
    for told in ("CRM Ltd", "接收方", "处理您提出的支持请求", "用户名", "电子邮箱"):
        assert told in chinese


def test_5_a_grant_counts_only_for_the_terms_the_user_was_shown(gateway, partner):
    app, client, actions, headers = gateway
    device = actions.device_sign_in()
    shown = client.get("/api/v1/consents/partner_sharing:crm/notice",
                       headers=device.headers).get_json()
    admin = actions.web_sign_in("root")  # the terms widen while the user reads them
    assert client.put("/api/v1/admin/partners/crm", headers=admin, json={
        **TERMS, "webhook_url": partner.url, "fields": ["username", "email", "phone"]}
    ).status_code == 204
    answered = client.post("/api/v1/consents", headers=device.headers, json={
        "purpose": "partner_sharing:crm", "decision": "granted",
        "policy_version": shown["policy_version"], "notice_hash": shown["hash"],
        "language": shown["language"]})
    assert answered.status_code == 400, answered.get_json()
    assert disclose(client, headers).status_code == 403 and partner.received == []


@pytest.mark.parametrize("change", [
    {"fields": ["username", "email", "phone", "display_name", "groups"]},
    {"webhook_url": "https://elsewhere.example.com/hook"},
    {"recipient": "Another Ltd"},
    {"purpose": "account_sync"},
])
def test_5_any_change_to_what_is_shared_makes_the_consent_stale(gateway, partner, change):
    app, client, actions, headers = gateway
    device = actions.device_sign_in()
    actions.grant(device, "partner_sharing:crm")
    admin = actions.web_sign_in("root")
    assert client.put("/api/v1/admin/partners/crm", headers=admin, json={
        **TERMS, "webhook_url": partner.url, **change}).status_code == 204
    reason = change.get("purpose", "support")
    refused = client.post("/api/v1/partners/crm/disclosures", headers=headers,
                          json={"username": "alice", "reason": reason})
    assert refused.status_code == 403 and partner.received == []
    states = {s["purpose"]: s for s in client.get(
        "/api/v1/consents", headers=device.headers).get_json()["purposes"]}
    assert states["partner_sharing:crm"]["reason"] == "terms_changed"
    assert not states["partner_sharing:crm"]["granted"]
    if "webhook_url" not in change:  # asked again, on the new terms, it is shared again
        actions.grant(device, "partner_sharing:crm")
        assert client.post("/api/v1/partners/crm/disclosures", headers=headers,
                           json={"username": "alice", "reason": reason}).status_code == 201


def test_5_only_purposes_of_running_the_system_and_the_one_consented_to(gateway, partner):
    app, client, actions, headers = gateway
    device = actions.device_sign_in()
    actions.grant(device, "partner_sharing:crm")
    admin = actions.web_sign_in("root")
    assert client.put("/api/v1/admin/partners/crm", headers=admin, json={
        **TERMS, "webhook_url": partner.url, "purpose": "marketing"}).status_code == 422
    for reason, status in (("marketing campaign", 422), ("account_sync", 400)):
        response = client.post("/api/v1/partners/crm/disclosures", headers=headers,
                               json={"username": "alice", "reason": reason})
        assert response.status_code == status
        assert response.headers["Content-Type"] == "application/problem+json"
    assert partner.received == []
