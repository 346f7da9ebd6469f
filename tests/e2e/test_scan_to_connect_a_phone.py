"""Scan to connect a phone, end to end in headless Chromium: a signed-in desktop shows a QR
code, a phone (mobile viewport, not signed in) opens its link, allows the camera and
claims it, the desktop picks the number the phone shows and approves, and the phone is
then signed in and calls an authenticated endpoint."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from gateway import consent
from tests.e2e.test_scan_to_log_in import CODE, PHONE, decode_qr
from tests.live_server import chromium

pytestmark = pytest.mark.browser


def desktop_offers(browser, base_url):
    """The signed-in desktop's connect page showing a fresh code; the page and its link."""
    desktop = browser.new_context(viewport={"width": 1280, "height": 900}).new_page()
    desktop.goto(f"{base_url}/sign-in?next=/connect")
    desktop.fill("#username", "alice")
    desktop.fill("#password", "correct horse battery")
    desktop.click("button[type=submit]")
    desktop.wait_for_url(f"{base_url}/connect")
    desktop.get_by_role("button", name="Connect a phone").click()
    expect(desktop.locator("#code")).to_have_text(CODE)
    expect(desktop.locator("#qr")).to_have_js_property("complete", True)
    link = decode_qr(desktop)
    assert link.startswith(f"{base_url}/c/")
    return desktop, link


def test_a_signed_in_desktop_connects_a_phone_by_scanning(gateway):
    app, base_url = gateway
    with chromium() as browser:
        desktop, link = desktop_offers(browser, base_url)

        phone = browser.new_context(**PHONE).new_page()
        phone.goto(link)
        phone.get_by_role("button", name="Allow", exact=True).click()
        number = phone.locator("#number")
        expect(number).to_have_text(re.compile(r"^\d\d$"))

        expect(desktop.locator("#phone")).to_contain_text("Android")
        desktop.get_by_role("button", name=f"Number {number.text_content()}").click()
        desktop.get_by_role("button", name="Approve").click()
        expect(desktop.locator("#status")).to_contain_text("Connected")

        expect(phone.locator("#status")).to_have_text("Connected. This phone is signed in.")
        phone.goto(f"{base_url}/app/")
        expect(phone.locator("#who")).to_have_text("Signed in as Alice Example (alice).")

    svc = app.extensions["gateway"]
    with svc.store.read() as connection:
        decided = consent.history(connection, user_id=_alice(app))
    assert [(e.purpose, e.decision, e.method) for e in decided] == [
        ("camera", "granted", "enrollment")]


def test_a_phone_that_was_connected_before_reconnects_as_the_same_device(gateway):
    app, base_url = gateway
    with chromium() as browser:
        phone = browser.new_context(**PHONE).new_page()
        phone.goto(f"{base_url}/app/sign-in")
        phone.fill("#username", "alice")
        phone.fill("#password", "correct horse battery")
        phone.click("button[type=submit]")
        phone.wait_for_url(f"{base_url}/app/")
        before = _devices(app)

        desktop, link = desktop_offers(browser, base_url)
        phone.goto(link)
        phone.get_by_role("button", name="Allow", exact=True).click()
        number = phone.locator("#number")
        expect(number).to_have_text(re.compile(r"^\d\d$"))
        desktop.get_by_role("button", name=f"Number {number.text_content()}").click()
        desktop.get_by_role("button", name="Approve").click()
        expect(phone.locator("#status")).to_have_text("Connected. This phone is signed in.")

    assert [(d.id, d.public_key) for d in _devices(app)] == [
        (d.id, d.public_key) for d in before]
    assert len(before) == 1


def _devices(app):
    from gateway.identity import devices

    return devices.list_devices(app.extensions["gateway"].store, _alice(app))


def _alice(app) -> str:

    return next(u.id for u in app.extensions["gateway"].identity.accounts.list_users()
                if u.username == "alice")
