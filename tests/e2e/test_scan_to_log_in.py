"""Scan to log in, end to end in headless Chromium: a desktop page shows a QR code, a phone
(a second browser context with a mobile viewport) opens its link, signs in, taps the
number the desktop shows and confirms; the desktop is then signed in."""

from __future__ import annotations

import io
import re

import pytest
import zxingcpp
from PIL import Image
from playwright.sync_api import expect

from tests import live_server
from tests.live_server import chromium, live_gateway, shoot, sign_in
from tests.support import Actions

pytestmark = pytest.mark.browser

PHONE = {**live_server.PHONE, "device_scale_factor": 2}  # sharp enough to read codes from


CODE = re.compile(r"^[B-Z]{4}-[B-Z]{4}$")


def decode_qr(page) -> str:
    """What the QR code on *page* says, read from a screenshot as a camera would."""
    png = page.locator("#qr").screenshot()
    found = zxingcpp.read_barcodes(Image.open(io.BytesIO(png)))
    assert found, "no QR code could be read from the page"
    return found[0].text


def test_a_phone_scans_the_desktop_code_confirms_and_the_desktop_is_signed_in(gateway):
    app, base_url = gateway
    with chromium() as browser:
        desktop = browser.new_context(viewport={"width": 1280, "height": 800}).new_page()
        desktop.goto(f"{base_url}/login")
        expect(desktop.locator("#code")).to_have_text(CODE)
        expect(desktop.locator("#qr")).to_have_js_property("complete", True)
        link = decode_qr(desktop)
        assert link.startswith(f"{base_url}/q/")
        assert link not in desktop.url

        phone = browser.new_context(**PHONE).new_page()
        sign_in(phone, link)
        phone.get_by_text("Tap the number the computer shows:").wait_for()
        assert "Headless Chrome" in phone.locator(".who").text_content()
        expect(phone.locator("#decide .countdown")).to_have_text(re.compile(r"Decide within [12]:\d\d"))

        desktop.locator("#number").wait_for(state="visible")
        number = desktop.locator("#number").text_content()
        phone.get_by_role("button", name=f"Number {number}").click()
        phone.get_by_role("button", name="Confirm").click()
        phone.get_by_text("Confirmed. The computer is signing in.").wait_for()

        # Signed in, the computer goes on to the user's home (not the login page).
        desktop.wait_for_url(f"{base_url}/home")
        expect(desktop.locator("h1")).to_have_text("Welcome, Alice Example")
        expect(desktop.locator("header button[data-sign-out]")).to_be_visible()
        session = desktop.request.get(f"{base_url}/api/v1/web/session")
        assert session.ok and session.json()["method"] == "qr"


def test_a_browser_sent_to_sign_in_scans_instead_and_goes_on_where_it_was_going(gateway):
    _, base_url = gateway
    with chromium() as browser:
        desktop = browser.new_context(viewport={"width": 1280, "height": 800}).new_page()
        desktop.goto(f"{base_url}/reports")
        desktop.wait_for_url(f"{base_url}/sign-in?next=%2Freports")
        desktop.get_by_role("link", name="Log in with your phone instead").click()
        desktop.wait_for_url(f"{base_url}/login?next=%2Freports")
        expect(desktop.locator("#code")).to_have_text(CODE)
        expect(desktop.locator("#qr")).to_have_js_property("complete", True)
        # The way back to a password keeps the destination too.
        expect(desktop.locator("#password-link")).to_have_attribute("href",
                                                                    "/sign-in?next=%2Freports")
        phone = browser.new_context(**PHONE).new_page()
        sign_in(phone, decode_qr(desktop))
        desktop.locator("#number").wait_for(state="visible")
        phone.get_by_role("button", name=f"Number {desktop.locator('#number').text_content()}").click()
        phone.get_by_role("button", name="Confirm").click()
        desktop.wait_for_url(f"{base_url}/reports")
        expect(desktop.locator("header button[data-sign-out]")).to_be_visible()


def test_the_desktop_redraws_the_code_on_the_period_the_gateway_sends(gateway):
    _, base_url = gateway
    with chromium() as browser:
        desktop = browser.new_context(viewport={"width": 1280, "height": 800}).new_page()
        desktop.clock.install()

        def quicker(route):
            # The same answer with a period the page cannot have guessed.
            answer = route.fetch()
            login = answer.json() | {"rotates_every": 5}
            route.fulfill(response=answer, json=login)

        desktop.route(f"{base_url}/api/v1/qr-logins", quicker)
        desktop.goto(f"{base_url}/login")
        expect(desktop.locator("#code")).to_have_text(CODE)
        qr = desktop.locator("#qr")
        expect(qr).to_have_attribute("src", re.compile(r"\?r=0$"))
        desktop.clock.run_for(30_500)  # rotates_in: 30 s
        expect(qr).to_have_attribute("src", re.compile(r"\?r=1$"))
        desktop.clock.run_for(5_000)
        expect(qr).to_have_attribute("src", re.compile(r"\?r=2$"))


def test_a_wrong_number_is_named_on_the_computer(gateway):
    app, base_url = gateway
    with chromium() as browser:
        desktop = browser.new_context(viewport={"width": 1280, "height": 800}).new_page()
        desktop.goto(f"{base_url}/login")
        expect(desktop.locator("#qr")).to_have_js_property("complete", True)
        phone = browser.new_context(**PHONE).new_page()
        sign_in(phone, decode_qr(desktop))
        desktop.locator("#number").wait_for(state="visible")
        right = desktop.locator("#number").text_content()
        wrong = next(b for b in phone.locator(".choices button").all_text_contents() if b != right)
        phone.get_by_role("button", name=f"Number {wrong}").click()
        phone.get_by_role("button", name="Confirm").click()
        phone.get_by_text("That was not the number on the computer.", exact=False).wait_for()
        expect(desktop.locator("#status")).to_contain_text("was not this one")
        expect(desktop.locator("#qr-box")).to_be_hidden()


def test_after_a_refusal_the_desktop_offers_one_button_for_a_new_code(gateway):
    app, base_url = gateway
    with chromium() as browser:
        desktop = browser.new_context(viewport={"width": 1280, "height": 800}).new_page()
        desktop.goto(f"{base_url}/login")
        expect(desktop.locator("#code")).to_have_text(CODE)
        first_code = desktop.locator("#code").text_content()
        link = decode_qr(desktop)
        phone = browser.new_context(**PHONE).new_page()
        sign_in(phone, link)
        phone.get_by_role("button", name="Deny").click()
        phone.get_by_text("Refused. The computer was not signed in.").wait_for()

        expect(desktop.locator("#status")).to_have_text("The sign-in was refused on the phone.")
        # Nothing of the spent login stays usable on screen: no code, no number, no clock.
        expect(desktop.locator("#qr-box")).to_be_hidden()
        expect(desktop.locator("#match")).to_be_hidden()
        expect(desktop.locator("#countdown")).to_have_text("")
        again = desktop.get_by_role("button", name="Show a new code")
        expect(again).to_be_visible()
        again.click()
        expect(desktop.locator("#code")).not_to_have_text(first_code)
        expect(desktop.locator("#code")).to_have_text(CODE)
        expect(desktop.locator("#qr")).to_have_js_property("complete", True)
        assert decode_qr(desktop).startswith(f"{base_url}/q/")
        expect(again).to_be_hidden()


def test_once_the_code_expires_the_desktop_offers_one_button_for_a_new_code(settings):
    from datetime import datetime, timezone

    from gateway.qrlogin.logins import LIFETIME
    from tests.support import FakeClock

    clock = FakeClock(datetime.now(timezone.utc))
    with live_gateway(settings, clock) as (_, base_url), chromium() as browser:
        desktop = browser.new_context(viewport={"width": 1280, "height": 800}).new_page()
        desktop.goto(f"{base_url}/login")
        expect(desktop.locator("#code")).to_have_text(CODE)
        expect(desktop.locator("#countdown")).to_contain_text("This code expires in")
        clock.advance(LIFETIME.total_seconds() + 1)
        # The waiting stream reads the login again at its next heartbeat (15 s at most).
        expect(desktop.locator("#status")).to_have_text("This code has expired.", timeout=30_000)
        expect(desktop.locator("#qr-box")).to_be_hidden()
        expect(desktop.locator("#countdown")).to_have_text("")
        again = desktop.get_by_role("button", name="Show a new code")
        again.click()
        expect(desktop.locator("#code")).to_have_text(CODE)
        expect(desktop.locator("#qr")).to_have_js_property("complete", True)
        expect(again).to_be_hidden()


def test_a_phone_signed_out_completes_the_login_even_after_the_code_rotated(settings):
    from datetime import datetime, timedelta, timezone

    from tests.support import FakeClock

    # The gateway's clock runs 95 s behind until the phone has signed in, then catches up
    # with the phone's (which signs the proof of its confirmation with its own time).
    clock = FakeClock(datetime.now(timezone.utc) - timedelta(seconds=95))
    with live_gateway(settings, clock) as (app, base_url):
        actions = Actions(app, app.test_client())
        actions.create_user("alice", display_name="Alice Example")
        actions.ensure_policy()  # as `flask init` publishes on a fresh install
        with chromium() as browser:
            desktop = browser.new_context(viewport={"width": 1280, "height": 800}).new_page()
            desktop.goto(f"{base_url}/login")
            expect(desktop.locator("#code")).to_have_text(CODE)
            expect(desktop.locator("#qr")).to_have_js_property("complete", True)
            link = decode_qr(desktop)
            phone = browser.new_context(**PHONE).new_page()
            phone.goto(link)
            phone.wait_for_url("**/app/sign-in**")
            clock.advance(95)  # three codes later: a new user takes a while to sign in
            phone.fill("#username", "alice")
            phone.fill("#password", "correct horse battery")
            phone.click("button[type=submit]")
            phone.wait_for_url(link)
            phone.get_by_text("Tap the number the computer shows:").wait_for()
            desktop.locator("#number").wait_for(state="visible")
            number = desktop.locator("#number").text_content()
            phone.get_by_role("button", name=f"Number {number}").click()
            phone.get_by_role("button", name="Confirm").click()
            desktop.wait_for_url(f"{base_url}/home")


def test_a_new_user_s_first_scan_completes_once_the_one_time_password_is_replaced(gateway):
    app, base_url = gateway
    Actions(app, app.test_client()).create_user("bob", display_name="Bob Li",
                                                 password="one-time-secret",
                                                 must_change_password=True)
    with chromium() as browser:
        desktop = browser.new_context(viewport={"width": 1280, "height": 800}).new_page()
        desktop.goto(f"{base_url}/login")
        expect(desktop.locator("#code")).to_have_text(CODE)
        expect(desktop.locator("#qr")).to_have_js_property("complete", True)
        link = decode_qr(desktop)
        phone = browser.new_context(**PHONE).new_page()
        phone.goto(link)
        phone.wait_for_url("**/app/sign-in**")
        phone.fill("#username", "bob")
        phone.fill("#password", "one-time-secret")
        phone.click("button[type=submit]")
        # The phone asks for Bob's own password right there, then goes back to the login.
        phone.fill("#new", "bob's own passphrase")
        phone.fill("#repeat", "bob's own passphrase")
        shoot(phone, "phone-choose-password-390x844")
        phone.click("#choose-password button[type=submit]")
        phone.wait_for_url(link)
        phone.get_by_text("Tap the number the computer shows:").wait_for()
        desktop.locator("#number").wait_for(state="visible")
        number = desktop.locator("#number").text_content()
        phone.get_by_role("button", name=f"Number {number}").click()
        phone.get_by_role("button", name="Confirm").click()
        desktop.wait_for_url(f"{base_url}/home")
        expect(desktop.locator("h1")).to_have_text("Welcome, Bob Li")
