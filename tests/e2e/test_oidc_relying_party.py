"""OpenID Connect end to end: a relying party built on Authlib's own client sends a desktop
browser (headless Chromium) to the gateway, which shows its login page; a phone scans the
code, sees which application asks, taps the number and confirms; the browser lands back at
the relying party, which has verified the ID token against the JWKS and called userinfo."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.e2e.test_scan_to_log_in import CODE, PHONE, decode_qr
from tests.live_server import chromium, live_gateway, sign_in
from tests.oidc_rp import relying_party
from tests.support import Actions

pytestmark = pytest.mark.browser


@pytest.fixture
def gateway(settings):
    with live_gateway(settings) as (app, base_url):
        actions = Actions(app, app.test_client())
        actions.create_user("alice", display_name="Alice Example", email="alice@example.com")
        actions.ensure_policy()
        yield app, base_url


def test_a_relying_party_signs_alice_in_with_her_phone(gateway):
    app, base_url = gateway
    with relying_party(app.extensions["gateway"].oidc.clients, base_url) as rp, chromium() as browser:
        desktop = browser.new_context(viewport={"width": 1280, "height": 800}).new_page()
        desktop.goto(f"{rp.base_url}/login")
        desktop.wait_for_url(f"{base_url}/login?oidc=*")
        expect(desktop.locator("#code")).to_have_text(CODE)
        expect(desktop.locator("#qr")).to_have_js_property("complete", True)
        link = decode_qr(desktop)

        phone = browser.new_context(**PHONE).new_page()
        sign_in(phone, link)
        expect(phone.locator("#asking")).to_have_text(
            "Superset at 127.0.0.1 wants you to sign in")
        desktop.locator("#number").wait_for(state="visible")
        number = desktop.locator("#number").text_content()
        phone.get_by_role("button", name=f"Number {number}").click()
        phone.get_by_role("button", name="Confirm").click()

        desktop.wait_for_url(f"{rp.base_url}/oauth-authorized/gateway*")
        expect(desktop.locator("#welcome")).to_have_text("Welcome Alice Example")
    assert rp.errors == []
    (_, id_claims, userinfo), = rp.signed_in
    assert id_claims["iss"] == base_url and id_claims["amr"][0] == "qr"
    assert userinfo["email"] == "alice@example.com"
    assert userinfo["sub"] == id_claims["sub"]


@pytest.mark.parametrize("viewport", [{"width": 1280, "height": 800}, {"width": 390, "height": 844}])
def test_the_admin_registers_an_application_and_sees_its_secret_once(gateway, viewport):
    app, base_url = gateway
    Actions(app, app.test_client()).create_user("root", role="admin")
    with chromium() as browser:
        page = browser.new_context(viewport=viewport).new_page()
        page.goto(f"{base_url}/sign-in")
        page.fill("#username", "root")
        page.fill("#password", "correct horse battery")
        page.click("button[type=submit]")
        page.wait_for_url("**/home**")
        page.goto(f"{base_url}/admin/applications")
        expect(page.locator("#issuer")).to_have_text(base_url)
        page.fill("#name", "Superset")
        page.fill("#redirect-uris", "https://bi.example.com/oauth-authorized/gateway")
        page.check("#scope-email")
        page.click("#register button[type=submit]")
        expect(page.locator("#made-secret")).to_have_text(re.compile(r"^gws_"))
        expect(page.locator("#clients")).to_contain_text("Superset")
        secret = page.text_content("#made-secret")
        page.reload()
        expect(page.locator("#clients")).to_contain_text("email, openid, profile")
        assert secret not in page.content()
