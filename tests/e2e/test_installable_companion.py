"""The companion as an app a phone installs, in headless Chromium: the manifest its pages
link (names, start URL and scope, standalone display, colours, the icons browsers ask for),
a favicon on every page, and on an iPhone in a Safari tab the hint that notifications need
the app on the Home Screen (Safari delivers Web Push only to installed web apps)."""

from __future__ import annotations

import io

import pytest
from PIL import Image
from playwright.sync_api import expect

from tests.live_server import PHONE, chromium, sign_in

pytestmark = pytest.mark.browser

# Playwright's "iPhone 13" (its devices table), Safari's own user agent.
IPHONE = {"viewport": {"width": 390, "height": 844}, "is_mobile": True, "has_touch": True,
          "device_scale_factor": 3,
          "user_agent": "Mozilla/5.0 (iPhone; CPU iPhone OS 15_0 like Mac OS X) "
                        "AppleWebKit/605.1.15 (KHTML, like Gecko) Version/15.0 "
                        "Mobile/15E148 Safari/604.1"}
# What Safari says of itself: false in a tab, true once opened from the Home Screen.
STANDALONE = "Object.defineProperty(Navigator.prototype, 'standalone', {{ get: () => {} }});"


def test_the_phone_pages_link_a_manifest_that_installs_the_companion(gateway):
    _, base_url = gateway
    with chromium() as browser:
        page = browser.new_context(**PHONE).new_page()
        for path in ("/app/", "/app/sign-in", "/app/notifications", "/app/privacy", "/app/code"):
            page.goto(f"{base_url}{path}")
            expect(page.locator("link[rel=manifest]")).to_have_attribute(
                "href", "/app/manifest.webmanifest")
            expect(page.locator("link[rel=apple-touch-icon]")).to_have_count(1)
            expect(page.locator("meta[name=theme-color]")).to_have_attribute("content", "#1f5fbf")
        answer = page.request.get(f"{base_url}/app/manifest.webmanifest")
        assert answer.ok
        assert answer.headers["content-type"].startswith("application/manifest+json")
        manifest = answer.json()
        assert manifest["name"] == "Companion Gateway" and manifest["short_name"] == "Companion"
        assert (manifest["start_url"], manifest["scope"], manifest["display"]) == (
            "/app/", "/app/", "standalone")
        assert manifest["theme_color"] == "#1f5fbf" and manifest["background_color"]
        icons = {(icon["sizes"], icon["purpose"]): icon for icon in manifest["icons"]}
        assert set(icons) == {("192x192", "any"), ("512x512", "any"), ("512x512", "maskable")}
        for (sizes, _), icon in icons.items():
            image = page.request.get(f"{base_url}{icon['src']}")
            assert image.ok and image.headers["content-type"] == "image/png"
            width, height = Image.open(io.BytesIO(image.body())).size
            assert f"{width}x{height}" == sizes
        touch = page.locator("link[rel=apple-touch-icon]").get_attribute("href")
        assert Image.open(io.BytesIO(page.request.get(f"{base_url}{touch}").body())).size == (180, 180)


def test_the_manifest_describes_the_app_in_the_readers_language(gateway):
    _, base_url = gateway
    with chromium() as browser:
        page = browser.new_context(**PHONE, locale="zh-CN").new_page()
        manifest = page.request.get(f"{base_url}/app/manifest.webmanifest",
                                    headers={"Accept-Language": "zh-CN"}).json()
        assert manifest["lang"] == "zh-CN"
        assert any("\u4e00" <= ch <= "\u9fff" for ch in manifest["description"])


def test_every_page_has_a_favicon(gateway):
    _, base_url = gateway
    with chromium() as browser:
        page = browser.new_page(viewport={"width": 1280, "height": 800})
        for path in ("/", "/sign-in", "/login", "/policies", "/app/sign-in"):
            page.goto(f"{base_url}{path}")
            href = page.locator("link[rel=icon]").first.get_attribute("href")
            icon = page.request.get(f"{base_url}{href}")
            assert icon.ok and len(icon.body()) > 100, path
        # Desktop pages are not the installable app.
        page.goto(f"{base_url}/sign-in")
        expect(page.locator("link[rel=manifest]")).to_have_count(0)


def test_safari_on_an_iphone_is_told_to_add_the_app_to_the_home_screen(gateway):
    _, base_url = gateway
    with chromium() as browser:
        context = browser.new_context(**IPHONE)
        context.add_init_script(STANDALONE.format("false"))
        page = context.new_page()
        sign_in(page, base_url, "/app/notifications")
        hint = page.locator("#home-screen-hint")
        expect(hint).to_be_visible()
        expect(hint).to_contain_text("Add to Home Screen")


@pytest.mark.parametrize("device, standalone", [(IPHONE, "true"), (PHONE, "undefined")])
def test_no_home_screen_hint_once_installed_or_on_other_phones(gateway, device, standalone):
    _, base_url = gateway
    with chromium() as browser:
        context = browser.new_context(**device)
        context.add_init_script(STANDALONE.format(standalone))
        page = context.new_page()
        sign_in(page, base_url, "/app/notifications")
        expect(page.locator("#push-state")).not_to_have_text("Checking…")
        expect(page.locator("#home-screen-hint")).to_be_hidden()
