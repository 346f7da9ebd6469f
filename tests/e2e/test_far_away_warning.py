"""The far-away warning on the phone's decision screen, in headless Chromium at 390x844, in
English and in Chinese: the phone grants location on its permissions page (the notice says
what for and how long), reports where it is as the app does, then opens the QR link of a
computer the GeoIP test database puts in Changchun, China, about 1,446 km away."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from playwright.sync_api import expect

from tests.e2e.test_scan_to_log_in import CODE, decode_qr
from tests.live_server import DESKTOP, PHONE, chromium, sign_in

pytestmark = pytest.mark.browser

GEOIP = str(Path(__file__).parent.parent / "data" / "GeoLite2-City-Test.mmdb")
CHANGCHUN_ADDRESS = "175.16.199.7"
SHANGHAI = {"latitude": 31.2304, "longitude": 121.4737, "accuracy_m": 15, "precision": "precise"}
SHOTS = Path("/tmp/shots-location")

WORDS = {
    "en": {"locale": "en-GB", "notice": ("far from where your phone is", "Kept for 7 days",
                                         "deletes the stored positions at once"),
           "warning": "This sign-in comes from Changchun, China, about 1,446 km from where "
                      "your phone is.",
           "where": "Where: Changchun, China"},
    "zh": {"locale": "zh-CN", "notice": ("离您手机所在之处很远", "保存 7 天", "立即删除已保存的位置"),
           "warning": "此登录请求来自中国长春，距离您手机所在之处约 1,446 公里。",
           "where": "位置：中国长春"},
}


@pytest.fixture
def live_settings(settings):
    # The desktop's address comes as a proxy in front of the gateway would pass it on.
    return settings.replace(geoip_database=GEOIP, trusted_proxies=1)


def grant_location(phone, words: dict, shot: Path) -> None:
    phone.locator("#switch-location").click()
    notice = phone.locator("#consent-notice")
    for said in words["notice"]:
        expect(notice).to_contain_text(said)
    phone.screenshot(path=str(shot))
    # The switch turns at once; the position may only be reported once the grant is stored.
    with phone.expect_response(lambda r: r.url.endswith("/api/v1/consents")
                               and r.request.method == "POST") as granted:
        phone.locator("#consent-grant").click()
    assert granted.value.ok
    expect(phone.locator("#switch-location")).to_be_checked()


def report_position(phone, position: dict) -> dict:
    """The phone reports its details and position with its own sign-in, as the app does."""
    return phone.evaluate("""async (position) => {
        const { json } = await import("/static/js/companion.js");
        return json("/api/v1/devices/current/report", { method: "POST", body: {
            model: "Pixel 9", os: "Android", os_version: "15", app_version: "3.2.0", position } });
    }""", position)


def desktop_link(browser, base_url: str) -> str:
    desktop = browser.new_context(**DESKTOP, extra_http_headers={
        "X-Forwarded-For": CHANGCHUN_ADDRESS}).new_page()
    desktop.goto(f"{base_url}/login")
    expect(desktop.locator("#code")).to_have_text(CODE)  # the login started: its QR follows
    expect(desktop.locator("#qr")).to_have_js_property("complete", True)
    return decode_qr(desktop)


@pytest.mark.parametrize("language", ["en", "zh"])
def test_the_phone_is_told_the_computer_is_far_away_in_its_language(gateway, language):
    _, base_url = gateway
    words = WORDS[language]
    with chromium() as browser:
        phone = browser.new_context(**PHONE, locale=words["locale"]).new_page()
        sign_in(phone, base_url, "/app/consents")
        SHOTS.mkdir(exist_ok=True)
        grant_location(phone, words, SHOTS / f"location-notice-{language}-390x844.png")
        assert report_position(phone, SHANGHAI)["stored"] == ["device", "position"]

        phone.goto(desktop_link(browser, base_url))
        warning = phone.locator("#decide .far-away")
        expect(warning).to_contain_text(words["warning"])
        expect(warning).to_have_attribute("role", "alert")
        expect(phone.locator(".who")).to_contain_text(words["where"])
        box = warning.bounding_box()
        assert box["x"] >= 0 and box["x"] + box["width"] <= 390  # no sideways scrolling
        phone.screenshot(path=str(SHOTS / f"decide-far-away-{language}-390x844.png"))


def test_without_location_consent_only_the_computers_place_is_shown(gateway):
    _, base_url = gateway
    with chromium() as browser:
        phone = browser.new_context(**PHONE, locale="en-GB").new_page()
        sign_in(phone, base_url, "/app/consents")
        assert report_position(phone, SHANGHAI)["dropped"] == ["position"]
        phone.goto(desktop_link(browser, base_url))
        expect(phone.locator(".who")).to_contain_text("Where: Changchun, China")
        expect(phone.locator("#decide .choices button")).to_have_count(3)
        expect(phone.locator("#decide .far-away")).to_have_count(0)
        expect(phone.locator("#decide")).not_to_contain_text(re.compile(r"\d km"))
