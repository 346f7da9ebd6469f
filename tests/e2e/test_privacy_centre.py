"""The privacy centre on a phone (390x844) in headless Chromium: a field the gateway refuses
is named under the field itself; after the account is deleted the page keeps nothing of it
and says what happened; a link leads back to the app."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from gateway.identity import accounts
from tests.live_server import PASSWORD, PHONE, chromium, sign_in

pytestmark = pytest.mark.browser



def open_privacy_centre(browser, base_url: str):
    page = browser.new_context(**PHONE).new_page()
    sign_in(page, base_url, "/app/privacy")
    expect(page.locator("#display_name")).to_have_value("Alice Example")
    return page


def test_an_invalid_email_is_named_under_its_field(gateway):
    _, base_url = gateway
    with chromium() as browser:
        page = open_privacy_centre(browser, base_url)
        page.fill("#email", "alice@example")  # the browser lets it through; the gateway does not
        page.click("#profile button[type=submit]")
        problem = page.locator("#email-error")
        expect(problem).to_contain_text("not an e-mail address")
        expect(page.locator("#email")).to_have_attribute("aria-invalid", "true")
        expect(page.locator("#email")).to_have_attribute("aria-describedby", "email-error")
        expect(page.locator("#email")).to_be_focused()
        expect(page.locator("#status")).to_contain_text("correct the marked field")
        expect(page.locator("#display_name")).not_to_have_attribute("aria-invalid", "true")
        page.fill("#email", "alice@example.com")
        page.click("#profile button[type=submit]")
        expect(page.locator("#status")).to_have_text("Saved.")
        expect(problem).to_have_count(0)
        expect(page.locator("#email")).not_to_have_attribute("aria-invalid", "true")


def test_after_deletion_the_page_keeps_nothing_of_the_account_and_says_so(gateway):
    app, base_url = gateway
    with chromium() as browser:
        page = open_privacy_centre(browser, base_url)
        expect(page.locator("#devices li")).to_have_count(1)
        page.on("dialog", lambda dialog: dialog.accept())
        page.fill("#delete-password", PASSWORD)
        page.click("#delete button[type=submit]")
        expect(page.locator("#status")).to_have_text(
            "Your account is deleted. Your personal data was erased and this phone is signed out.")
        main = page.locator("main")
        expect(main.locator("section, form, input, dl, ul")).to_have_count(0)
        for stale in ("Alice Example", "alice", "Pixel"):
            expect(main).not_to_contain_text(stale)
        expect(page.get_by_role("link", name="Back to the app")).to_have_attribute("href", "/app/")
        assert page.evaluate("localStorage.length") == 0
    assert accounts.find_user(app.extensions["gateway"].store, "alice") is None


def test_the_privacy_centre_leads_back_to_the_app(gateway):
    _, base_url = gateway
    with chromium() as browser:
        page = open_privacy_centre(browser, base_url)
        page.get_by_role("link", name="Back to the app").click()
        page.wait_for_url(f"{base_url}/app/")
        expect(page.locator("#who")).to_contain_text("Alice Example")


def test_the_privacy_centre_says_how_long_each_kind_of_data_is_kept(gateway):
    app, base_url = gateway
    with chromium() as browser:
        page = open_privacy_centre(browser, base_url)
        kept = page.locator("#retention li")
        expect(kept.filter(has_text="GPS positions")).to_contain_text(
            f"{app.extensions['gateway'].settings.retain_location_days} days")
        assert kept.count() >= 8


@pytest.mark.parametrize("locale, devices", [("zh-CN", "您的手机"), ("en-US", "Your phones")])
def test_the_export_lists_its_sections_in_the_readers_language(gateway, locale, devices):
    _, base_url = gateway
    with chromium() as browser:
        page = browser.new_context(locale=locale, accept_downloads=True, **PHONE).new_page()
        page.goto(f"{base_url}/app/sign-in?next=/app/privacy")
        page.fill("#username", "alice")
        page.fill("#password", PASSWORD)
        page.click("button[type=submit]")
        page.wait_for_url(f"{base_url}/app/privacy")
        with page.expect_download() as download:
            page.click("#export")
        assert download.value.suggested_filename == "my-data.json"
        sections = page.locator("#export-sections li")
        # The key stays "devices" in every language; its name is the reader's.
        expect(sections.filter(has_text="“devices”")).to_contain_text(devices)
        assert sections.count() > 10
