"""Chinese and English end to end, in headless Chromium: a zh-CN desktop and zh-CN phones
walk scan to log in (the login page, the phone's sign-in and decision), connect a phone (the
desktop's offer, the camera consent, the number, the approval), scan to preview a report,
the permissions with the consent dialog, the privacy centre and the admin home, and read no
English word outside the product and protocol names; an English browser reads no Chinese.
The switch changes the language at once, for good. With GATEWAY_TEST_SHOTS set, every page
of both walks is saved as a screenshot (``tests.live_server.shoot``)."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.e2e.test_scan_to_log_in import CODE, PHONE, decode_qr
from tests.live_server import chromium, live_gateway, shoot
from tests.preview_support import SUMMARY, integration_key, register
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
# A report as a Chinese BI server describes it: its words are the report's, not the gateway's.
CHINESE_REPORT = {
    "title": "华东区第三季度销售",
    "summary": {
        "key_figures": [{"label": "营业额", "value": 1250000, "unit": "元", "change": 4.5},
                        {"label": "订单数", "value": 8312}],
        "table": {"columns": ["地区", "营业额", "订单数"],
                  "rows": [["上海", 520000, 3100], ["南京", 430000, 2900],
                           ["杭州", 300000, None]]},
        "chart": {"kind": "bar", "title": "各月营业额", "unit": "万元",
                  "categories": ["1月", "2月", "3月", "4月"],
                  "series": [{"name": "2026年", "values": [310, 295, 330, 315]},
                             {"name": "2025年", "values": [280, 290, None, 300]}]},
    },
}
REPORTS = {"zh-CN": ("sales-zh", CHINESE_REPORT),
           "en-US": ("sales-en", {"title": "Sales Q3", "summary": SUMMARY})}


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


def report_for(app, locale: str) -> None:
    """Alice's report as a BI server writing in *locale* describes it (only that one: her
    home lists her reports' titles, which are the BI server's words, not the gateway's)."""
    report_id, report = REPORTS[locale]
    answer = register(app.test_client(), integration_key(app), report_id, owner="alice",
                      groups=(), **report)
    assert answer.status_code == 201, answer.get_json()


def walk(browser, base_url: str, locale: str):
    """Scan to log in, connect a phone, scan to preview, the permissions and the consent
    dialog, the privacy centre and the admin home in *locale*; yields (name, page) for each
    screen, for the caller to read."""
    desktop = browser.new_context(locale=locale, viewport={"width": 1280, "height": 800}).new_page()
    desktop.goto(f"{base_url}/login")
    expect(desktop.locator("#code")).to_have_text(CODE)
    expect(desktop.locator("#qr")).to_have_js_property("complete", True)
    link = decode_qr(desktop)
    yield "desktop login", desktop
    phone = browser.new_context(locale=locale, **PHONE).new_page()
    phone.goto(link)
    phone.wait_for_url("**/app/sign-in**")
    yield "phone sign-in", phone
    phone.fill("#username", "alice")
    phone.fill("#password", PASSWORD)
    phone.click("button[type=submit]")
    phone.wait_for_url(link)
    phone.locator("#decide .choices button").first.wait_for()
    yield "phone decision", phone
    # The desktop shows its number once it hears of the scan (a moment after the phone).
    expect(desktop.locator("#number")).to_have_text(re.compile(r"^\d\d$"))
    number = desktop.locator("#number").text_content()
    phone.locator(f"#decide .choices button:text-is('{number}')").click()
    phone.locator("#decide button.confirm").click()
    desktop.wait_for_url(f"{base_url}/home")  # signed in: the user's home
    desktop.locator("#devices li").first.wait_for()
    yield "desktop signed in", desktop

    # Connect a phone: the signed-in desktop offers a code, a new phone scans it.
    desktop.goto(f"{base_url}/connect")
    desktop.click("#start")
    expect(desktop.locator("#code")).to_have_text(CODE)
    expect(desktop.locator("#qr")).to_have_js_property("complete", True)
    link = decode_qr(desktop)
    yield "desktop connect offer", desktop
    new_phone = browser.new_context(locale=locale, **PHONE).new_page()
    new_phone.goto(link)
    expect(new_phone.locator("#consent")).to_be_visible()
    expect(new_phone.locator("#consent-text")).not_to_be_empty()
    yield "new phone camera consent", new_phone
    new_phone.click("#allow")
    expect(new_phone.locator("#number")).to_have_text(re.compile(r"^\d\d$"))
    yield "new phone number", new_phone
    expect(desktop.locator("#claimed")).to_be_visible()
    yield "desktop phone to approve", desktop
    desktop.locator(f"#choices button:text-is('{new_phone.locator('#number').text_content()}')").click()
    desktop.click("#approve")
    expect(desktop.locator("#status.ok")).to_be_visible()
    yield "desktop phone connected", desktop
    expect(new_phone.locator("#done")).to_be_visible()
    yield "new phone connected", new_phone
    new_phone.goto(f"{base_url}/app/")
    expect(new_phone.locator("#who")).to_contain_text("Alice Example")
    yield "new phone home", new_phone

    # Scan to preview: the desktop's report, opened on the phone just connected.
    report_id, report = REPORTS[locale]
    desktop.goto(f"{base_url}/reports/{report_id}")
    expect(desktop.locator(".report-title")).to_have_text(report["title"])
    expect(desktop.locator("#qr")).to_have_js_property("complete", True)
    expect(desktop.locator("#code")).to_have_text(CODE)
    link = decode_qr(desktop)
    yield "desktop report", desktop
    new_phone.goto(link)
    new_phone.wait_for_url("**/app/preview**")
    expect(new_phone.locator("svg.chart")).to_be_visible()
    expect(new_phone.locator("#ends")).to_be_visible()
    yield "new phone preview", new_phone
    desktop.reload()
    expect(desktop.locator("#grants tbody tr")).to_have_count(1)
    yield "desktop report previewed", desktop

    # The permissions, and the consent dialog a switch opens.
    phone.goto(f"{base_url}/app/consents")
    phone.locator("#switch-location").wait_for()
    yield "phone permissions", phone
    phone.click("#switch-location")
    dialog = phone.locator("dialog.consent")
    expect(dialog).to_be_visible()
    expect(dialog.locator("#consent-notice")).not_to_be_empty()
    yield "phone consent dialog", phone
    dialog.locator("#consent-refuse").click()
    expect(dialog).to_have_count(0)
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


def screens(browser, base_url: str, locale: str):
    """The walk's screens, each saved as a screenshot (numbered, named for the locale)."""
    for number, (name, page) in enumerate(walk(browser, base_url, locale), 1):
        shoot(page, f"walk-{locale}-{number:02d}-{name.replace(' ', '-')}")
        yield name, page


def test_a_chinese_user_sees_everything_in_chinese(gateway):
    app, base_url = gateway
    report_for(app, "zh-CN")
    with chromium() as browser:
        for name, page in screens(browser, base_url, "zh-CN"):
            assert page.locator("html").get_attribute("lang") == "zh-CN", name
            assert HAN.search(page.locator("body").inner_text()), name
            assert stray_english(page) == set(), f"{name}: {stray_english(page)}"


def test_an_english_user_sees_no_chinese(gateway):
    app, base_url = gateway
    report_for(app, "en-US")
    with chromium() as browser:
        for name, page in screens(browser, base_url, "en-US"):
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
