"""The administration's user agreement and partner pages in headless Chromium: a version
written in Chinese and English, previewed with what it changes and whom it asks again,
refused while a language is missing (said next to the field), published, and then read by
each user in their language; partner terms listed and changed (consents go stale); both
pages closed to everyone but administrators."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from gateway.privacy import partners
from tests.live_server import chromium, desktop_signed_in, live_gateway
from tests.support import Actions

pytestmark = pytest.mark.browser

PASSWORD = "correct horse battery"
DESKTOP = {"viewport": {"width": 1280, "height": 800}}
PHONE = {"viewport": {"width": 390, "height": 844}, "is_mobile": True, "has_touch": True}
TERMS = {"webhook_url": "https://crm.example/hook", "fields": ["username", "email"],
         "recipient": "CRM Ltd", "contact": "privacy@crm.example", "purpose": "support"}


@pytest.fixture
def gateway(settings):
    with live_gateway(settings.replace(partners=("crm",))) as (app, base_url):
        actions = Actions(app, app.test_client())
        actions.ensure_policy()
        actions.create_user("root", display_name="Root Admin", role="admin")
        actions.create_user("alice", display_name="Alice Example")
        actions.create_user("wang", display_name="王芳")
        yield app, base_url, actions


def signed_in(browser, base_url, username="root", path="/admin/policies", locale="en-US",
              size=DESKTOP):
    return desktop_signed_in(browser, base_url, username, path, locale, size)


def test_an_admin_writes_previews_and_publishes_a_version_read_in_each_language(gateway):
    app, base_url, actions = gateway
    alice = actions.device_sign_in("alice")
    actions.grant(alice, "camera")
    with chromium() as browser:
        page = signed_in(browser, base_url)
        expect(page.locator("#in-effect")).to_contain_text("Version 1.0 is in effect")
        page.fill("#version", "2.0")
        page.fill("#summary-zh", "相机用途扩大")
        page.fill("#text-zh", "用户协议第二版：相机也用于扫码连接新手机。")
        page.fill("#summary-en", "Camera use widened")
        page.fill("#text-en", "The user agreement, second version: the camera also connects new phones.")
        page.check("input[name=tick][value=camera]")
        page.click("#show-preview")
        expect(page.locator("#impact")).to_contain_text("Publishing asks again about: Camera.")
        expect(page.locator("#impact")).to_contain_text("Users asked again: 1. Of them, 1 lose")
        expect(page.locator("#preview-zh pre")).to_have_text("用户协议第二版：相机也用于扫码连接新手机。")
        expect(page.locator("#preview-zh .changes")).to_contain_text("相机")  # titles in Chinese
        expect(page.locator("#preview-en pre")).to_contain_text("second version")
        expect(page.locator("#notices li")).to_have_count(2)
        expect(page.locator("#notices li", has_text="政策版本 2.0")).to_have_count(1)

        # Without its English text the version is refused, and the field says why.
        page.fill("#text-en", "")
        page.click("#draft button[type=submit]")
        expect(page.locator("#text-en-error")).to_contain_text("English")
        expect(page.locator("#text-en")).to_have_attribute("aria-invalid", "true")
        assert page.evaluate("document.activeElement.id") == "text-en"
        assert actions.client.get("/api/v1/policy").get_json()["version"] == "1.0"

        page.fill("#text-en", "The user agreement, second version: the camera also connects new phones.")
        page.click("#draft button[type=submit]")
        expect(page.locator("#status")).to_have_text("Version 2.0 is published.")
        expect(page.locator("#text-en-error")).to_have_count(0)
        expect(page.locator("#in-effect")).to_contain_text("Version 2.0 is in effect")

        chinese = signed_in(browser, base_url, username="wang", path="/policies", locale="zh-CN")
        expect(chinese.locator("#v-2\\.0 .summary")).to_have_text("相机用途扩大")
        expect(chinese.locator("#v-2\\.0 pre")).to_have_text("用户协议第二版：相机也用于扫码连接新手机。",
                                                            use_inner_text=False)
        english = signed_in(browser, base_url, username="alice", path="/policies", locale="en-GB",
                            size=PHONE)
        expect(english.locator("#v-2\\.0 .summary")).to_have_text("Camera use widened")
        expect(english.locator("#v-2\\.0 pre")).to_contain_text("second version", use_inner_text=False)


def test_the_policy_page_says_it_in_chinese_to_a_chinese_admin(gateway):
    _, base_url, _ = gateway
    with chromium() as browser:
        page = signed_in(browser, base_url, locale="zh-CN")
        # The page's script is running once it has said which version is in effect (on CI
        # a click before that once showed no field error).
        expect(page.locator("#in-effect")).not_to_be_empty()
        page.click("#draft button[type=submit]")  # nothing written yet
        expect(page.locator("#version-error, #text-zh-error").first).to_be_visible()
        expect(page.locator("h1")).to_have_text("用户协议")


def test_an_admin_sees_partner_terms_and_changing_them_makes_consents_stale(gateway):
    app, base_url, actions = gateway
    admin = actions.web_sign_in("root")
    actions.client.put("/api/v1/admin/partners/crm", headers=admin, json=TERMS)
    alice = actions.device_sign_in("alice")
    actions.grant(alice, "partner_sharing:crm")
    svc = app.extensions["gateway"]
    for _ in range(2):  # what was disclosed, delivered to the webhook
        partners.share(svc.store, svc.clock, svc.catalogue, partner="crm", user_id=alice.user_id,
                       reason="support", send=lambda url, body: 204)
    with chromium() as browser:
        page = signed_in(browser, base_url, path="/admin/partners")
        row = page.locator("#partner-crm")
        expect(row).to_contain_text("CRM Ltd")
        expect(row).to_contain_text("crm.example")
        expect(row).to_contain_text("e-mail address, user name")
        expect(row).to_contain_text("Users consenting to these terms: 1")
        expect(row).to_contain_text("No consent is stale")
        expect(row).to_contain_text("2 in all")
        row.get_by_text("Recent").click()
        expect(row.locator("details li")).to_have_count(2)
        expect(row.locator("details li").first).to_contain_text("e-mail address, user name · delivered")
        row.get_by_role("button", name="Change the terms").click()
        expect(page.locator("#stale-warning")).to_contain_text("agreed to these terms (1) stale")
        expect(page.locator("#recipient")).to_have_value("CRM Ltd")
        expect(page.locator("#purpose option")).to_have_count(3)
        page.check("#field-phone")
        page.click("#terms button[type=submit]")
        expect(page.locator("#edit-status")).to_have_text("The terms are saved. Users asked again: 1.")
        expect(row).to_contain_text("Users who consented to earlier terms, asked again: 1")
        # A contact left out is refused next to its field.
        page.fill("#contact", "")
        page.click("#terms button[type=submit]")
        expect(page.locator("#contact-error")).to_be_visible()


def test_the_preview_names_the_partner_whose_sharing_a_version_asks_again(gateway):
    _, base_url, _ = gateway
    with chromium() as browser:
        page = signed_in(browser, base_url)
        page.fill("#version", "2.0")
        page.check("input[name=tick][value='partner_sharing:crm']")
        page.click("#show-preview")
        expect(page.locator("#impact")).to_contain_text(
            "Partner systems whose sharing is asked again: crm.")


def test_both_pages_are_closed_to_users_and_to_the_signed_out(gateway):
    _, base_url, _ = gateway
    with chromium() as browser:
        anonymous = browser.new_context(**DESKTOP).new_page()
        for path in ("/admin/policies", "/admin/partners"):
            anonymous.goto(f"{base_url}{path}")
            assert anonymous.url.startswith(f"{base_url}/sign-in?next="), path
        alice = signed_in(browser, base_url, username="alice", path="/home")
        for path in ("/admin/policies", "/admin/partners"):
            answer = alice.goto(f"{base_url}{path}")
            assert answer.status == 403
            expect(alice.locator("h1")).to_have_text("This page is for administrators")
