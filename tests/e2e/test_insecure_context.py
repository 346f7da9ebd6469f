"""The phone pages that need WebCrypto (the device's key and its proofs), opened where the
browser gives none: plain http on an address other than localhost, where `crypto.subtle`
is undefined. Each says it needs https and to ask the administrator, instead of failing
with a TypeError; the test takes `crypto.subtle` away before any page script runs."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.live_server import PHONE, chromium

pytestmark = pytest.mark.browser

# What a browser has on http://192.168.1.20: crypto.getRandomValues, but no crypto.subtle.
NO_SUBTLE = "Object.defineProperty(Crypto.prototype, 'subtle', { get: () => undefined });"
PAGES = ("/app/sign-in", "/app/connect", "/c/some-offer-token", "/app/code", "/q/some-qr-token")


def insecure_phone(browser):
    """A phone page without WebCrypto, and the list its uncaught errors go to."""
    context = browser.new_context(**PHONE)
    context.add_init_script(NO_SUBTLE)
    page = context.new_page()
    errors = []
    page.on("pageerror", lambda error: errors.append(error))
    return page, errors


@pytest.mark.parametrize("path", PAGES)
def test_a_page_that_needs_webcrypto_says_it_needs_https(gateway, path):
    _, base_url = gateway
    with chromium() as browser:
        page, errors = insecure_phone(browser)
        page.goto(f"{base_url}{path}")
        notice = page.get_by_role("alert")
        expect(notice).to_contain_text("needs a secure connection (https)")
        expect(notice).to_contain_text("ask your administrator")
        expect(notice).to_be_in_viewport()
        assert page.url == f"{base_url}{path}"  # no sign-in detour that cannot work either
        for button in page.locator("main button").all():
            expect(button).to_be_disabled()
        expect(page.locator("main form:visible")).to_have_count(0)
        assert errors == []


def test_signing_in_over_plain_http_leaves_nothing_to_submit(gateway):
    _, base_url = gateway
    with chromium() as browser:
        page, errors = insecure_phone(browser)
        page.goto(f"{base_url}/app/sign-in")
        expect(page.get_by_role("alert")).to_be_visible()
        expect(page.locator("#sign-in")).to_be_hidden()
        expect(page.locator("#status")).to_have_text("")
        assert errors == []


def test_a_secure_context_shows_no_such_notice(gateway):
    _, base_url = gateway
    with chromium() as browser:
        page = browser.new_context(**PHONE).new_page()
        page.goto(f"{base_url}/app/sign-in")
        expect(page.locator("#sign-in button[type=submit]")).to_be_enabled()
        expect(page.locator("#insecure")).to_have_count(0)


def test_the_notice_is_in_chinese_for_a_chinese_reader(gateway):
    _, base_url = gateway
    with chromium() as browser:
        context = browser.new_context(**PHONE, locale="zh-CN")
        context.add_init_script(NO_SUBTLE)
        page = context.new_page()
        page.goto(f"{base_url}/app/sign-in")
        expect(page.get_by_role("alert")).to_contain_text("安全连接（https）")
