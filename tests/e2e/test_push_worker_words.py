"""The service worker's own words, in headless Chromium: a push that a push service refused
for its size comes again without its text, and the worker says "open the app to read it" in
the language of the phone's pages (which leave it those words), switching when they do."""

from __future__ import annotations

import json

import pytest
from playwright.sync_api import TimeoutError as PlaywrightTimeoutError
from playwright.sync_api import expect

from gateway.core.catalogues import translate
from gateway.core.languages import N_
from tests.e2e.test_push_console import settle
from tests.live_server import PHONE, chromium

pytestmark = pytest.mark.browser

TRIMMED = N_("Open the app to read it.")
SHOWN = """async () => {
    const reg = await navigator.serviceWorker.getRegistration('/app/');
    const shown = (await reg.getNotifications()).find((n) => n.title === %s);
    return shown ? shown.body : null;
}"""


def words_left(page, text: str) -> None:
    """Wait until the page has left the worker *text* for a push without its own."""
    settle(page, """async () => {
        const found = await caches.match('/app/push-sw-words', {cacheName: 'gateway-words'});
        return Boolean(found) && (await found.json()).trimmed === %s;
    }""" % json.dumps(text))


def shown_body(page, cdp, registration_id: str, base_url: str, title: str) -> str:
    """Hand the worker a push titled *title* without its text (as the gateway sends one
    after a 413) and return the body of the notification it shows."""
    message = {"title": title, "body": "", "trimmed": True, "url": "/app/"}
    # Chromium now and then drops a push DevTools hands over on a busy machine: again then.
    for _ in range(3):
        cdp.send("ServiceWorker.deliverPushMessage", {
            "origin": base_url, "registrationId": registration_id, "data": json.dumps(message)})
        try:
            return settle(page, SHOWN % json.dumps(title), timeout=10_000)
        except PlaywrightTimeoutError:
            continue
    raise AssertionError("the worker showed no notification")


def test_a_push_without_its_text_is_told_in_the_language_of_the_phone(gateway):
    _, base_url = gateway
    with chromium() as browser:
        context = browser.new_context(locale="zh-CN", **PHONE)
        context.grant_permissions(["notifications"], origin=base_url)
        page = context.new_page()
        cdp = context.new_cdp_session(page)
        registrations = []
        cdp.on("ServiceWorker.workerRegistrationUpdated",
               lambda event: registrations.extend(event["registrations"]))
        cdp.send("ServiceWorker.enable")
        page.goto(f"{base_url}/app/sign-in")
        page.evaluate("navigator.serviceWorker.register('/app/push-sw.js', {scope: '/app/'})")
        settle(page, """async () => {
            const reg = await navigator.serviceWorker.getRegistration('/app/');
            return Boolean(reg && reg.active);
        }""")
        registration = next(r for r in registrations if r["scopeURL"] == f"{base_url}/app/")
        words_left(page, translate("zh", TRIMMED))
        chinese = shown_body(page, cdp, registration["registrationId"], base_url, "周报")
        assert chinese == translate("zh", TRIMMED) != TRIMMED

        page.click("button[data-language='en']")
        expect(page.locator("html")).to_have_attribute("lang", "en")
        words_left(page, TRIMMED)
        english = shown_body(page, cdp, registration["registrationId"], base_url, "Weekly")
        assert english == TRIMMED
