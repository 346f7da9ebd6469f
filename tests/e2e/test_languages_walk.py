"""Chinese and English end to end, in headless Chromium: a zh-CN desktop and a zh-CN phone
walk scan to log in (the login page, the phone's decision), the consent dialog, the privacy
centre and the admin home, and read no English word outside the product and protocol names;
an English browser reads no Chinese. The switch changes the language at once, for good."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.e2e.test_scan_to_log_in import CODE, PHONE, decode_qr
from tests.live_server import chromium, live_gateway
from tests.support import Actions

pytestmark = pytest.mark.browser

PASSWORD = "correct horse battery"
HAN = re.compile(r"[\u4e00-\u9fff]")
# What a Chinese page may show in Latin letters: names of products, devices and protocols,
# what the user typed or the gateway generated (names, codes), and the switch's "English".
ALLOWED = {"Companion", "Gateway", "App", "English", "QR", "BI", "VAPID", "Web", "Push", "GPS",
           "Wi", "Fi", "ID", "URL", "API", "OpenAPI", "PNG", "JSON", "https", "iPhone", "iPad",
           "Android", "iOS", "Safari", "Chrome", "Headless", "Linux", "Pixel", "Windows",
           "macOS", "GeoIP", "MaxMind", "GeoLite", "City", "GATEWAY", "HH", "MM", "Root",
           "Admin", "Alice", "Example", "root", "alice", "admin",
           # tools and attributes an administrator types or configures, named as they are
           "PostgreSQL", "Cookie", "Secure", "Host", "cron", "systemd", "pg", "dump", "chmod"}


def stray_english(page) -> set[str]:
    """The Latin words on screen that are not allowed on a Chinese page."""
    text = page.locator("body").inner_text()
    text = re.sub(r"[\w.+-]+@[\w.-]+|https?://\S+|(?<!\w)/[\w/.-]+|[\w*-]+(?:\.[\w-]+)+|`[^`]*`",
                  " ", text)
    words = set(re.findall(r"[A-Za-z]{2,}", text))
    return {w for w in words if w not in ALLOWED and not CODE.search(w)
            and not re.fullmatch(r"[B-Z]{4}", w) and not w.isupper()}


@pytest.fixture
def gateway(settings):
    with live_gateway(settings) as (app, base_url):
        actions = Actions(app, app.test_client())
        actions.ensure_policy()
        actions.create_user("root", display_name="Root Admin", role="admin")
        actions.create_user("alice", display_name="Alice Example")
        yield app, base_url


def walk(browser, base_url: str, locale: str) -> list:
    """Scan to log in, the consent dialog, the privacy centre and the admin home in
    *locale*; returns the pages seen, for the caller to read."""
    desktop = browser.new_context(locale=locale, viewport={"width": 1280, "height": 800}).new_page()
    desktop.goto(f"{base_url}/login")
    expect(desktop.locator("#code")).to_have_text(CODE)
    expect(desktop.locator("#qr")).to_have_js_property("complete", True)
    link = decode_qr(desktop)
    phone = browser.new_context(locale=locale, **PHONE).new_page()
    phone.goto(link)
    phone.wait_for_url("**/app/sign-in**")
    phone.fill("#username", "alice")
    phone.fill("#password", PASSWORD)
    phone.click("button[type=submit]")
    phone.wait_for_url(link)
    phone.locator("#decide .choices button").first.wait_for()
    seen = [("desktop login", desktop), ("phone decision", phone)]
    yield from seen
    number = desktop.locator("#number").text_content()
    phone.locator(f"#decide .choices button:text-is('{number}')").click()
    phone.locator("#decide button.confirm").click()
    desktop.wait_for_url(f"{base_url}/home")  # signed in: the user's home
    desktop.locator("#devices li").first.wait_for()
    yield "desktop signed in", desktop
    phone.goto(f"{base_url}/app/consents")
    phone.locator("button").filter(has_text=re.compile(".")).first.wait_for()
    yield "phone permissions", phone
    phone.goto(f"{base_url}/app/privacy")
    expect(phone.locator("#account dt").first).to_be_visible()
    yield "phone privacy centre", phone
    admin = browser.new_context(locale=locale, viewport={"width": 1280, "height": 800}).new_page()
    admin.goto(f"{base_url}/sign-in?next=/admin")
    admin.fill("#username", "root")
    admin.fill("#password", PASSWORD)
    admin.click("button[type=submit]")
    admin.wait_for_url(f"{base_url}/admin")
    admin.locator("#checklist li").first.wait_for()
    yield "admin home", admin


def test_a_chinese_user_sees_everything_in_chinese(gateway):
    _, base_url = gateway
    with chromium() as browser:
        for name, page in walk(browser, base_url, "zh-CN"):
            assert page.locator("html").get_attribute("lang") == "zh-CN", name
            assert HAN.search(page.locator("body").inner_text()), name
            assert stray_english(page) == set(), f"{name}: {stray_english(page)}"


def test_an_english_user_sees_no_chinese(gateway):
    _, base_url = gateway
    with chromium() as browser:
        for name, page in walk(browser, base_url, "en-US"):
            assert page.locator("html").get_attribute("lang") == "en", name
            text = page.locator("body").inner_text().replace("中文", "")
            assert not HAN.search(text), f"{name}: {HAN.findall(text)[:10]}"


def test_the_switch_changes_the_language_at_once_and_for_good(gateway):
    _, base_url = gateway
    with chromium() as browser:
        context = browser.new_context(locale="en-US")
        page = context.new_page()
        page.goto(f"{base_url}/login")
        expect(page.locator("h1")).to_have_text("Log in with your phone")
        page.click("button[data-language='zh-CN']")
        expect(page.locator("html")).to_have_attribute("lang", "zh-CN")
        expect(page.locator("h1")).not_to_have_text("Log in with your phone")
        page.goto(f"{base_url}/sign-in")
        expect(page.locator("html")).to_have_attribute("lang", "zh-CN")
        page.click("button[data-language='en']")
        expect(page.locator("html")).to_have_attribute("lang", "en")
