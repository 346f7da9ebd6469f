"""Scan to preview, end to end in headless Chromium: the desktop report page shows a QR code;
the test reads it from a screenshot; a phone (mobile viewport) signed in as an allowed user
sees the chart, one signed in as another user is refused without learning the title; the
owner ends the preview and the phone says so; a preview that runs out wipes itself."""

from __future__ import annotations

import io
import re

import pytest
import zxingcpp
from PIL import Image
from playwright.sync_api import expect

from tests import live_server
from tests.live_server import chromium, live_gateway
from tests.preview_support import integration_key, register
from tests.support import Actions

pytestmark = pytest.mark.browser

TITLE = "Sales Q3 (secret)"
PASSWORD = "correct horse battery"
PHONE = {**live_server.PHONE, "device_scale_factor": 2}  # sharp enough to read codes from


@pytest.fixture
def gateway(settings, clock):
    with live_gateway(settings, clock) as (app, base_url):
        actions = Actions(app, app.test_client())
        actions.ensure_policy()  # as `flask init` publishes on a fresh install
        actions.create_user("olivia", display_name="Olivia Owner")
        actions.create_user("victor", display_name="Victor Viewer", groups=("sales",))
        actions.create_user("ursula", display_name="Ursula Outsider", groups=("hr",))
        assert register(app.test_client(), integration_key(app)).status_code == 201
        yield base_url


def sign_in(page, username: str, after: str) -> None:
    """Answer the sign-in page the gateway sent *page* to, and wait to be back at *after*."""
    page.fill("#username", username)
    page.fill("#password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(after)


def decode_qr(page) -> str:
    """What the QR code on *page* says, read from a screenshot as a phone camera would."""
    found = zxingcpp.read_barcodes(Image.open(io.BytesIO(page.locator("#qr").screenshot())))
    assert found, "no QR code could be read from the page"
    return found[0].text


def phone_opens(browser, link: str, username: str):
    phone = browser.new_context(**PHONE).new_page()
    phone.goto(link)
    phone.wait_for_url("**/app/sign-in**")
    sign_in(phone, username, "**/app/preview")
    return phone


def test_a_phone_previews_the_report_whose_qr_the_desktop_shows(gateway, clock):
    base_url = gateway
    with chromium() as browser:
        desktop = browser.new_context(viewport={"width": 1280, "height": 800}).new_page()
        desktop.goto(f"{base_url}/reports/sales-q3")
        desktop.wait_for_url("**/sign-in?next=**")
        sign_in(desktop, "olivia", f"{base_url}/reports/sales-q3")
        expect(desktop.locator(".report-title")).to_have_text(TITLE)
        expect(desktop.locator("#qr")).to_have_js_property("complete", True)
        expect(desktop.locator("#code")).to_have_text(re.compile(r"^[B-Z]{4}-[B-Z]{4}$"))
        link = decode_qr(desktop)
        assert link.startswith(f"{base_url}/p/") and len(link) <= 70

        # An allowed viewer's phone: the chart, figures and table, and when it all ends.
        viewer = phone_opens(browser, link, "victor")
        expect(viewer.locator("svg.chart")).to_be_visible()
        expect(viewer.locator("svg.chart rect.bar")).to_have_count(7)  # 2 series x 4, one gap
        expect(viewer.locator(".report-title")).to_have_text(TITLE)
        expect(viewer.locator(".figure")).to_have_count(2)
        expect(viewer.locator(".summary-table tbody tr")).to_have_count(3)
        expect(viewer.locator("#ends")).to_contain_text("Preview ends at")
        assert "/p/" not in viewer.url  # the link's token left the address bar
        assert viewer.evaluate("document.documentElement.scrollWidth") <= 390

        # Another user's phone: refused, and nothing of the report shows.
        outsider = phone_opens(browser, link, "ursula")
        expect(outsider.locator("#state")).to_have_text(
            "You are not allowed to see this report. Ask its owner for access.")
        assert TITLE not in outsider.content()
        expect(outsider.locator("svg.chart")).to_have_count(0)

        # The owner sees who is looking and ends it; the phone's next request learns it.
        desktop.reload()
        row = desktop.locator("#grants tbody tr")
        expect(row).to_have_count(1)
        expect(row).to_contain_text("Victor Viewer (victor)")
        row.get_by_role("button", name="End").click()
        expect(desktop.locator("#grants-empty")).to_be_visible()
        viewer.reload()
        expect(viewer.locator("#state")).to_have_text(
            "This preview was ended by the report's owner.")
        expect(viewer.locator("svg.chart")).to_have_count(0)
        assert TITLE not in viewer.content()

        # Opened again, a preview that runs out wipes itself on the phone.
        viewer.goto(link)
        expect(viewer.locator("svg.chart")).to_be_visible()
        clock.advance(minutes=9, seconds=58)
        viewer.reload()
        expect(viewer.locator("svg.chart")).to_be_visible()
        expect(viewer.locator("#state")).to_have_text(
            "This preview has ended. Scan the code again to see the report.", timeout=10_000)
        expect(viewer.locator("svg.chart")).to_have_count(0)
        assert TITLE not in viewer.content()
