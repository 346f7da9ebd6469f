"""What the authorisation matrix sends to each endpoint: a path (and body) aimed at Alice's
things, made by ``REQUESTS["METHOD /rule"](world, who)``. Routes without parameters that
need no body are sent as they are (``request_for``)."""

from __future__ import annotations

from collections.abc import Callable

from tests.authz_support import PARTNER, Req, World
from tests.support import both_json, device_description

PASSWORD = "correct horse battery"
QR = "/api/v1/qr-logins"
OFFERS = "/api/v1/enrollments"
REPORTS = "/api/v1/reports"


def _qr(w: World, who: str, tail: str = "", login: dict | None = None, **fields) -> Req:
    """A browser call on Alice's QR login; browsers hold the cookie of their own login."""
    w.own_login(who)
    return Req(f"{QR}/{(login or w.login)['id']}{tail}", **fields)


def _phone(w: World, who: str, tail: str, offer: dict) -> Req:
    """A waiting phone's call on Alice's offer, with the claim secret of *who*'s own."""
    return Req(f"{OFFERS}/{offer['id']}{tail}", headers=w.claim_secret(who))


def _grant(w: World, tail: str = "") -> Req:
    return Req(f"/api/v1/previews/current{tail}", headers={"X-Preview-Grant": w.grant["grant"]})


def _vapid(w: World, path: str, **fields) -> Req:
    w.vapid  # noqa: B018  (push is set up)
    return Req(path, **fields)


def _made(req: Req, *_prerequisites) -> Req:
    """*req*, once its prerequisites (evaluated as arguments) exist."""
    return req


def _refresh_token(w: World, who: str) -> str:
    device = w.device_of(who)
    return device.refresh_token if device else "not-a-refresh-token"


REQUESTS: dict[str, Callable[[World, str], Req]] = {
    # -- the OpenID Provider (its own errors: a page, or OAuth's error body) ---------------------
    "GET /oidc/continue/<request_id>": lambda w, who: Req("/oidc/continue/no-such-request"),
    "POST /oidc/continue/<request_id>": lambda w, who: Req("/oidc/continue/no-such-request"),
    # -- accounts, devices, sessions ------------------------------------------------------------
    "POST /api/v1/auth/sign-in": lambda w, who: Req("/api/v1/auth/sign-in", json={
        "username": w.username("alice"), "password": PASSWORD,
        "device": device_description(f"signing-in-{w.n}")}),
    "POST /api/v1/auth/refresh": lambda w, who: Req("/api/v1/auth/refresh", json={
        "refresh_token": _refresh_token(w, who)}),
    "PATCH /api/v1/me": lambda w, who: Req("/api/v1/me", json={"display_name": "Changed"}),
    "POST /api/v1/me/password": lambda w, who: Req("/api/v1/me/password", json={
        "current_password": PASSWORD, "new_password": "another long password"}),
    "POST /api/v1/me/delete": lambda w, who: Req("/api/v1/me/delete", json={"password": PASSWORD}),
    "DELETE /api/v1/devices/<device_id>": lambda w, who: Req(
        f"/api/v1/devices/{w.alice_phone.device_id}"),
    "POST /api/v1/devices/current/report": lambda w, who: Req(
        "/api/v1/devices/current/report",
        json={"model": "Pixel 9", "os": "Android", "os_version": "16", "app_version": "3.2.0"}),
    "DELETE /api/v1/web/devices/<device_id>": lambda w, who: Req(
        f"/api/v1/web/devices/{w.alice_phone.device_id}"),
    "POST /api/v1/web/sign-in": lambda w, who: Req("/api/v1/web/sign-in", json={
        "username": w.username("alice"), "password": PASSWORD}),
    "POST /api/v1/web/password": lambda w, who: Req("/api/v1/web/password", json={
        "current_password": PASSWORD, "new_password": "another long password"}),
    "PUT /api/v1/language": lambda w, who: Req("/api/v1/language", json={"language": "zh-CN"}),
    "GET /i18n/<language>.json": lambda w, who: Req("/i18n/zh.json"),
    # -- admin ----------------------------------------------------------------------------------
    "POST /api/v1/admin/users": lambda w, who: Req("/api/v1/admin/users", json={
        "username": w.username("carol"), "password": PASSWORD}),
    "PUT /api/v1/admin/users/<user_id>/groups": lambda w, who: Req(
        f"/api/v1/admin/users/{w.alice.id}/groups", json={"groups": ["sales"]}),
    "GET /api/v1/admin/users/<user_id>": lambda w, who: Req(f"/api/v1/admin/users/{w.alice.id}"),
    "POST /api/v1/admin/users/<user_id>/disable": lambda w, who: Req(
        f"/api/v1/admin/users/{w.alice.id}/disable"),
    "POST /api/v1/admin/users/<user_id>/enable": lambda w, who: Req(
        f"/api/v1/admin/users/{w.alice.id}/enable"),
    "POST /api/v1/admin/users/<user_id>/password-reset": lambda w, who: Req(
        f"/api/v1/admin/users/{w.alice.id}/password-reset"),
    "PUT /api/v1/admin/users/<user_id>/role": lambda w, who: Req(
        f"/api/v1/admin/users/{w.alice.id}/role", json={"role": "user"}),
    "DELETE /api/v1/admin/users/<user_id>/sessions/<handle>": lambda w, who: Req(
        f"/api/v1/admin/users/{w.alice.id}/sessions/{w.alice_session_handle}"),
    "DELETE /api/v1/admin/users/<user_id>/devices/<device_id>": lambda w, who: Req(
        f"/api/v1/admin/users/{w.alice.id}/devices/{w.alice_phone.device_id}"),
    "POST /api/v1/admin/integrations": lambda w, who: Req("/api/v1/admin/integrations", json={
        "name": f"new-{w.n}", "scopes": ["push:send"]}),
    "DELETE /api/v1/admin/integrations/<integration_id>": lambda w, who: Req(
        f"/api/v1/admin/integrations/{w.doomed_integration}"),
    "POST /api/v1/admin/oidc-clients": lambda w, who: Req("/api/v1/admin/oidc-clients", json={
        "name": f"new-{w.n}", "redirect_uris": ["https://bi.example.com/cb"],
        "scopes": ["openid", "profile"]}),
    "DELETE /api/v1/admin/oidc-clients/<client_id>": lambda w, who: Req(
        f"/api/v1/admin/oidc-clients/{w.doomed_client}"),
    "PUT /api/v1/admin/partners/<name>": lambda w, who: Req(
        f"/api/v1/admin/partners/{PARTNER}",
        json={"webhook_url": "http://127.0.0.1:9/hook", "fields": ["username"],
              "recipient": "CRM Ltd", "contact": "privacy@crm.example", "purpose": "support"}),
    "POST /api/v1/admin/policies": lambda w, who: Req("/api/v1/admin/policies", json={
        "version": f"{w.policy}.{w.n}", "texts": both_json("Typos", "The agreement, again."),
        "changes": []}),
    "POST /api/v1/admin/policies/preview": lambda w, who: Req(
        "/api/v1/admin/policies/preview", json={"version": "9.0", "changes": ["camera"]}),
    # -- admin: push ----------------------------------------------------------------------------
    "GET /api/v1/admin/push/settings": lambda w, who: _vapid(w, "/api/v1/admin/push/settings"),
    "PUT /api/v1/admin/push/settings": lambda w, who: _vapid(
        w, "/api/v1/admin/push/settings", json={"subject": "mailto:ops@example.com"}),
    "POST /api/v1/admin/push/keys/rotate": lambda w, who: _vapid(
        w, "/api/v1/admin/push/keys/rotate"),
    "POST /api/v1/admin/push/keys/<kid>/retire": lambda w, who: Req(
        f"/api/v1/admin/push/keys/{w.old_key}/retire"),
    "PUT /api/v1/admin/push/topics/<name>": lambda w, who: Req(
        f"/api/v1/admin/push/topics/new-topic-{w.n}", json={"title": "News", "ttl": 60}),
    "DELETE /api/v1/admin/push/topics/<name>": lambda w, who: Req(
        f"/api/v1/admin/push/topics/{w.topic}"),
    "POST /api/v1/admin/push/alerts/<int:alert_id>/resolve": lambda w, who: Req(
        f"/api/v1/admin/push/alerts/{w.alert}/resolve"),
    "POST /api/v1/admin/push/notifications": lambda w, who: _vapid(
        w, "/api/v1/admin/push/notifications", json=w.send_body()),
    "GET /api/v1/admin/push/notifications/<notification_id>": lambda w, who: Req(
        f"/api/v1/admin/push/notifications/{w.sent_by_admin}"),
    "POST /api/v1/admin/push/test": lambda w, who: _vapid(w, "/api/v1/admin/push/test", json={}),
    "GET /api/v1/admin/push/channels": lambda w, who: Req(
        f"/api/v1/admin/push/channels?ids={w.sent_by_admin}"),
    # -- inbox ----------------------------------------------------------------------------------
    "POST /api/v1/inbox/read": lambda w, who: Req("/api/v1/inbox/read", json={"ids": [1]}),
    # -- consent --------------------------------------------------------------------------------
    "POST /api/v1/consents": lambda w, who: Req("/api/v1/consents", json=w.camera_withdrawal()),
    "DELETE /api/v1/consents/<purpose>": lambda w, who: Req(
        f"/api/v1/consents/camera?device_id={w.alice_phone.device_id}"),
    "GET /api/v1/consents/<purpose>/notice": lambda w, who: _made(
        Req("/api/v1/consents/camera/notice"), w.policy),
    "GET /api/v1/consents/history": lambda w, who: Req(
        f"/api/v1/consents/history?device_id={w.alice_phone.device_id}"),
    "GET /api/v1/consents/<event_id>/receipt": lambda w, who: Req(
        f"/api/v1/consents/{w.receipt_event}/receipt"),
    "GET /api/v1/policy": lambda w, who: _made(Req("/api/v1/policy"), w.policy),
    "POST /api/v1/policy/seen": lambda w, who: Req("/api/v1/policy/seen",
                                                   json={"version": w.policy}),
    # -- partners -------------------------------------------------------------------------------
    "POST /api/v1/partners/<name>/disclosures": lambda w, who: Req(
        f"/api/v1/partners/{w.partner}/disclosures",
        json={"username": w.username("alice"), "reason": "support"}),
    # -- reports and previews -------------------------------------------------------------------
    "PUT /api/v1/reports/<report_id>": lambda w, who: Req(f"{REPORTS}/{w.report}", json={
        "title": w.secret_title, "owner": w.username("alice"), "summary": {
            "key_figures": [{"label": "Revenue", "value": 1}]}}),
    "DELETE /api/v1/reports/<report_id>": lambda w, who: Req(f"{REPORTS}/{w.report}"),
    "GET /api/v1/reports/<report_id>": lambda w, who: Req(f"{REPORTS}/{w.report}"),
    "GET /api/v1/reports/<report_id>/snapshot": lambda w, who: Req(
        f"{REPORTS}/{w.report}/snapshot"),
    "POST /api/v1/reports/<report_id>/preview-links": lambda w, who: Req(
        f"{REPORTS}/{w.report}/preview-links"),
    "GET /api/v1/reports/<report_id>/grants": lambda w, who: Req(
        f"{REPORTS}/{w.grant['report_id']}/grants"),
    "DELETE /api/v1/reports/<report_id>/grants": lambda w, who: Req(
        f"{REPORTS}/{w.grant['report_id']}/grants"),
    "DELETE /api/v1/reports/<report_id>/grants/<grant_id>": lambda w, who: Req(
        f"{REPORTS}/{w.grant['report_id']}/grants/{w.grant['grant_id']}"),
    "POST /api/v1/previews/open": lambda w, who: Req("/api/v1/previews/open", json={
        "token": w.link["token"], "via": "app_camera"}),
    "GET /api/v1/previews/current": lambda w, who: _grant(w),
    "GET /api/v1/previews/current/content": lambda w, who: _grant(w, "/content"),
    "GET /api/v1/previews/current/snapshot": lambda w, who: _grant(w, "/snapshot"),
    # -- push -----------------------------------------------------------------------------------
    "GET /api/v1/push/vapid-key": lambda w, who: _vapid(w, "/api/v1/push/vapid-key"),
    "GET /api/v1/push/subscription": lambda w, who: _made(Req("/api/v1/push/subscription"),
                                                          w.subscribed),
    "PUT /api/v1/push/subscription": lambda w, who: Req("/api/v1/push/subscription",
                                                        json=w.subscription()),
    "PUT /api/v1/push/topics/<name>/opt-out": lambda w, who: Req(
        f"/api/v1/push/topics/{w.topic}/opt-out"),
    "DELETE /api/v1/push/topics/<name>/opt-out": lambda w, who: Req(
        f"/api/v1/push/topics/{w.topic}/opt-out"),
    "PUT /api/v1/push/quiet-hours": lambda w, who: Req("/api/v1/push/quiet-hours", json={
        "starts": "22:00", "ends": "07:00", "timezone": "Europe/Berlin"}),
    "POST /api/v1/push/receipts": lambda w, who: Req("/api/v1/push/receipts",
                                                     json={"receipt": w.receipt}),
    "POST /api/v1/push/notifications": lambda w, who: _vapid(w, "/api/v1/push/notifications",
                                                             json=w.send_body()),
    "GET /api/v1/push/notifications/<notification_id>": lambda w, who: Req(
        f"/api/v1/push/notifications/{w.sent_by_integration}"),
    # -- scan to log in -------------------------------------------------------------------------
    "POST /api/v1/qr-logins": lambda w, who: Req(QR, json={}),
    "GET /api/v1/qr-logins/<login_id>": lambda w, who: _qr(w, who),
    "GET /api/v1/qr-logins/<login_id>/wait": lambda w, who: _qr(
        w, who, "/wait?known=redeemed&seconds=1"),
    "GET /api/v1/qr-logins/<login_id>/events": lambda w, who: _qr(w, who, "/events"),
    "GET /api/v1/qr-logins/<login_id>/qr.svg": lambda w, who: _qr(w, who, "/qr.svg"),
    "GET /api/v1/qr-logins/<login_id>/qr.png": lambda w, who: _qr(w, who, "/qr.png"),
    "POST /api/v1/qr-logins/<login_id>/redeem": lambda w, who: _qr(
        w, who, "/redeem", w.confirmed, headers={"X-CSRF-Token": w.confirmed["csrf_token"]}),
    "POST /api/v1/qr-logins/scan": lambda w, who: Req(f"{QR}/scan", json={
        "token": w.login["token"], "via": "app_camera"}),
    "POST /api/v1/qr-logins/hold": lambda w, who: Req(f"{QR}/hold", json={
        "token": w.login["token"]}),
    "POST /api/v1/qr-logins/code": lambda w, who: Req(f"{QR}/code", json={"code": w.login["code"]}),
    "POST /api/v1/qr-logins/<login_id>/confirm": lambda w, who: Req(
        f"{QR}/{w.scanned['id']}/confirm", json=w.confirm_body(who)),
    "POST /api/v1/qr-logins/<login_id>/deny": lambda w, who: Req(
        f"{QR}/{w.scanned['id']}/deny", json={}),
    # -- scan to connect a phone ----------------------------------------------------------------
    "POST /api/v1/enrollments": lambda w, who: Req(OFFERS, json={}),
    "GET /api/v1/enrollments/<offer_id>": lambda w, who: Req(f"{OFFERS}/{w.offer['id']}"),
    "GET /api/v1/enrollments/<offer_id>/wait": lambda w, who: Req(
        f"{OFFERS}/{w.offer['id']}/wait?known=expired&seconds=1"),
    "GET /api/v1/enrollments/<offer_id>/events": lambda w, who: Req(
        f"{OFFERS}/{w.offer['id']}/events"),
    "GET /api/v1/enrollments/<offer_id>/qr.svg": lambda w, who: Req(
        f"{OFFERS}/{w.offer['id']}/qr.svg"),
    "GET /api/v1/enrollments/<offer_id>/qr.png": lambda w, who: Req(
        f"{OFFERS}/{w.offer['id']}/qr.png"),
    "POST /api/v1/enrollments/<offer_id>/approve": lambda w, who: Req(
        f"{OFFERS}/{w.claimed['id']}/approve", json={"number": w.claimed["number"]}),
    "POST /api/v1/enrollments/<offer_id>/deny": lambda w, who: Req(
        f"{OFFERS}/{w.claimed['id']}/deny", json={}),
    "POST /api/v1/enrollments/claim": lambda w, who: Req(f"{OFFERS}/claim",
                                                         json=w.claim_body(w.offer)),
    "GET /api/v1/enrollments/<offer_id>/phone": lambda w, who: _phone(w, who, "/phone", w.claimed),
    "GET /api/v1/enrollments/<offer_id>/phone/wait": lambda w, who: _phone(
        w, who, "/phone/wait?known=expired&seconds=1", w.claimed),
    "GET /api/v1/enrollments/<offer_id>/phone/events": lambda w, who: _phone(
        w, who, "/phone/events", w.claimed),
    "POST /api/v1/enrollments/<offer_id>/tokens": lambda w, who: _phone(
        w, who, "/tokens", w.approved),
    # -- pages with a parameter -----------------------------------------------------------------
    "GET /q/<token>": lambda w, who: Req("/q/some-token-from-a-qr-code"),
    "GET /c/<token>": lambda w, who: Req("/c/some-token-from-a-qr-code"),
    "GET /p/<token>": lambda w, who: Req("/p/some-token-from-a-qr-code"),
    "GET /reports/<report_id>": lambda w, who: Req(f"/reports/{w.report}"),
    "GET /static/<path:filename>": lambda w, who: Req("/static/css/gateway.css"),
}


def request_for(endpoint: str, world: World, who: str) -> Req:
    """The request the matrix sends to *endpoint* ("METHOD /rule") as *who*."""
    if endpoint in REQUESTS:
        return REQUESTS[endpoint](world, who)
    method, rule = endpoint.split(" ", 1)
    assert "<" not in rule, f"{endpoint} needs an entry in REQUESTS"
    return Req(rule)
