"""The sign-in pages in headless Chromium: where they go afterwards.

A sign-in page follows its ``?next=`` only when the browser would stay on this origin
(``static/js/same-origin.js``, shared by every page). Browsers drop tabs and newlines from
URLs and read ``\\`` as ``/``, so ``/%09/other.example`` is ``//other.example``: another
origin, which a prefix test on the raw text let through. A page's navigations are recorded
(and held back) with the Navigation API's ``navigate`` event, which fires as the page calls
``location.assign``, so nothing here waits for a navigation that should not happen.

A one-time password leads from the desktop sign-in to the change-password page, and only
after the change on to ``next``; the companion's sign-in asks for the user's own password in
its place, then goes on to ``next`` too.
"""

from __future__ import annotations

import re
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import expect

from gateway.identity import accounts
from gateway.identity.tables import devices
from tests.live_server import PHONE, chromium, live_gateway
from tests.support import Actions

pytestmark = pytest.mark.browser

PASSWORD = "correct horse battery"
ONE_TIME = "one-time-secret"
# `next` values (as they stand in the query string) that lead to another origin.
ELSEWHERE = ("/%09/other.example/x", "/%0A/other.example/x", "/%0D/other.example/x",
             "/%5Cother.example/x", "/%5C/other.example/x", "//other.example/x",
             "https://other.example/x", "javascript:alert(1)", "/%09%09/other.example/x")
# Record each navigation the page starts, and keep it from leaving.
HOLD_NAVIGATIONS = """
window.__went = [];
navigation.addEventListener("navigate", (event) => {
  window.__went.push(event.destination.url);
  event.preventDefault();
});
"""


@pytest.fixture
def gateway(settings):
    with live_gateway(settings) as (app, base_url):
        actions = Actions(app, app.test_client())
        actions.ensure_policy()  # as `flask init` publishes on a fresh install
        actions.create_user("alice", display_name="Alice Example")
        actions.create_user("root", password=ONE_TIME, role="admin", must_change_password=True)
        yield app, base_url


def went(page) -> list[str]:
    return page.evaluate("window.__went")


def origins(urls: list[str]) -> set[str]:
    return {f"{urlsplit(u).scheme}://{urlsplit(u).netloc}" for u in urls}


def sign_in(page, username: str = "alice", password: str = PASSWORD) -> None:
    page.fill("#username", username)
    page.fill("#password", password)
    page.click("button[type=submit]")


@pytest.mark.parametrize("path", ["/sign-in", "/app/sign-in", "/change-password"])
def test_a_password_form_is_never_sent_before_its_script_runs(gateway, path):
    # Before a page's module has run (or without scripts), its form must not go out as a
    # plain GET with the password in the address: its submit button stays disabled.
    _, base_url = gateway
    with chromium() as browser:
        page = browser.new_context(java_script_enabled=False).new_page()
        page.goto(f"{base_url}{path}")
        for submit in page.locator("button[type=submit]").all():  # hidden forms' too
            expect(submit).to_be_disabled()
        field = page.locator("input[type=password]").first
        field.fill(PASSWORD, force=True)
        field.press("Enter")
        assert urlsplit(page.url).query == "" and PASSWORD not in page.url


def test_the_desktop_sign_in_never_leaves_the_origin(gateway):
    _, base_url = gateway
    with chromium() as browser:
        context = browser.new_context()
        context.add_init_script(HOLD_NAVIGATIONS)
        page = context.new_page()
        for next_ in ELSEWHERE:
            page.goto(f"{base_url}/sign-in?next={next_}")
            sign_in(page)
            expect(page.locator("#status")).to_have_text("Signed in as Alice Example.")
            assert went(page) == [f"{base_url}/home"], f"next={next_} led to {went(page)}"
        page.goto(f"{base_url}/sign-in?next=/reports%3Fq%3D1")
        sign_in(page)
        expect(page.locator("#status")).to_have_text("Signed in as Alice Example.")
        assert went(page) == [f"{base_url}/reports?q=1"]


def test_the_companion_sign_in_never_leaves_the_origin(gateway):
    _, base_url = gateway
    with chromium() as browser:
        context = browser.new_context(**PHONE)
        context.add_init_script(HOLD_NAVIGATIONS)
        page = context.new_page()
        for next_ in ELSEWHERE:
            page.goto(f"{base_url}/app/sign-in?next={next_}")
            sign_in(page)
            expect(page.locator("#status")).to_have_text("Signed in.")
            assert went(page) == [f"{base_url}/app/"], f"next={next_} led to {went(page)}"
        page.goto(f"{base_url}/app/sign-in?next=/app/consents")
        sign_in(page)
        expect(page.locator("#status")).to_have_text("Signed in.")
        assert went(page) == [f"{base_url}/app/consents"]


def test_the_shared_check_follows_the_browser_s_own_reading_of_the_address(gateway):
    _, base_url = gateway
    with chromium() as browser:
        page = browser.new_page()
        page.goto(f"{base_url}/sign-in")
        target = ("async next => (await import('/static/js/same-origin.js'))"
                  ".target(next, 'fallback')")
        for raw in ("/\t/other.example", "/\n/other.example", "/\\other.example", "\t//x.example",
                    " //other.example", "//other.example@127.0.0.1", "data:text/html,hi"):
            assert page.evaluate(target, raw) == "fallback", repr(raw)
        assert page.evaluate(target, "/a/..//other.example/x") == f"{base_url}//other.example/x"
        assert page.evaluate(target, "/connect#here") == f"{base_url}/connect#here"


def test_a_one_time_password_leads_to_the_change_password_page_first(gateway, tmp_path):
    app, base_url = gateway
    with chromium() as browser:
        page = browser.new_context(viewport={"width": 1280, "height": 800}).new_page()
        page.goto(f"{base_url}/sign-in?next=/admin/push")
        sign_in(page, "root", ONE_TIME)
        page.wait_for_url(f"{base_url}/change-password?next=%2Fadmin%2Fpush")
        expect(page.locator("#one-time")).to_be_visible()
        refused = page.evaluate("fetch('/api/v1/admin/users').then(r => r.status)")
        assert refused == 403
        page.screenshot(path=str(tmp_path / "change-password-desktop.png"), full_page=True)

        page.fill("#current", ONE_TIME)
        page.fill("#new", "my very own password")
        page.fill("#repeat", "my very own passwrod")
        page.click("button[type=submit]")
        expect(page.locator("#status")).to_have_text("The two new passwords differ.")
        page.fill("#repeat", "my very own password")
        page.click("button[type=submit]")
        page.wait_for_url(f"{base_url}/admin/push")
        assert page.evaluate("fetch('/api/v1/admin/users').then(r => r.status)") == 200
        svc = app.extensions["gateway"]
        assert not accounts.find_user(svc.store, "root").must_change_password
        assert accounts.authenticate(svc.store, svc.passwords, "root", "my very own password")


def test_a_refused_new_password_is_told_in_the_readers_language(gateway):
    # The gateway refuses a password longer than it hashes; what the page says is the
    # problem's words (Chinese here), never the English field messages meant for developers.
    _, base_url = gateway
    with chromium() as browser:
        page = browser.new_context(locale="zh-CN").new_page()
        page.goto(f"{base_url}/sign-in")
        sign_in(page, "root", ONE_TIME)
        page.wait_for_url(f"{base_url}/change-password")
        page.fill("#current", ONE_TIME)
        page.fill("#new", "x" * 1100)
        page.fill("#repeat", "x" * 1100)
        page.click("button[type=submit]")
        expect(page.locator("#new")).to_have_attribute("aria-invalid", "true")
        said = page.locator("#status").inner_text() + page.locator("#new-error").inner_text()
        assert re.search(r"[\u4e00-\u9fff]", said) and not re.search(r"[A-Za-z]{2,}", said), said


def test_the_change_password_page_fits_a_phone(gateway, tmp_path):
    _, base_url = gateway
    with chromium() as browser:
        page = browser.new_context(**PHONE).new_page()
        page.goto(f"{base_url}/sign-in")
        sign_in(page, "root", ONE_TIME)
        page.wait_for_url(f"{base_url}/change-password")
        expect(page.locator("#change-password")).to_be_visible()
        page.screenshot(path=str(tmp_path / "change-password-phone.png"), full_page=True)
        assert page.evaluate("document.documentElement.scrollWidth") <= 390


def test_the_change_password_page_sends_a_signed_out_browser_to_sign_in_and_back(gateway):
    _, base_url = gateway
    with chromium() as browser:
        page = browser.new_page()
        page.goto(f"{base_url}/change-password")
        link = page.get_by_role("link", name="sign in with a password")
        expect(link).to_have_attribute("href", "/sign-in?next=%2Fchange-password")
        link.click()
        sign_in(page)
        page.wait_for_url(f"{base_url}/change-password")
        expect(page.locator("#one-time")).to_be_hidden()
        expect(page.locator("#change-password")).to_be_visible()


def test_the_companion_has_a_one_time_password_replaced_in_place_then_goes_on(gateway):
    app, base_url = gateway
    with chromium() as browser:
        page = browser.new_context(**PHONE).new_page()
        page.goto(f"{base_url}/app/sign-in?next=/app/consents")
        sign_in(page, "root", ONE_TIME)
        expect(page.locator("#choose-password")).to_be_visible()
        expect(page.locator("#sign-in")).to_be_hidden()
        signed_in = "async () => (await import('/static/js/companion.js')).signedIn()"
        assert page.evaluate(signed_in) is False  # the restricted sign-in ended at once
        page.fill("#new", "my own passphrase")
        page.fill("#repeat", "my own passphrase, mistyped")
        page.click("#choose-password button[type=submit]")
        expect(page.locator("#status")).to_have_text("The two new passwords differ.")
        page.fill("#repeat", "my own passphrase")
        page.click("#choose-password button[type=submit]")
        page.wait_for_url(f"{base_url}/app/consents")
        assert page.evaluate(signed_in) is True
        user = accounts.find_user(app.extensions["gateway"].store, "root")
        assert not user.must_change_password
    client = app.test_client()
    assert client.post("/api/v1/web/sign-in", json={"username": "root", "password": ONE_TIME}
                       ).status_code == 401
    assert client.post("/api/v1/web/sign-in", json={"username": "root",
                                                    "password": "my own passphrase"}
                       ).status_code == 200


def test_a_refused_choice_leaves_the_phone_signed_out_and_the_one_time_password_as_it_was(
        gateway):
    app, base_url = gateway
    with chromium() as browser:
        page = browser.new_context(**PHONE).new_page()
        page.goto(f"{base_url}/app/sign-in")
        sign_in(page, "root", ONE_TIME)
        page.fill("#new", ONE_TIME)  # the same again
        page.fill("#repeat", ONE_TIME)
        page.click("#choose-password button[type=submit]")
        expect(page.locator("#status.bad")).not_to_be_empty()
        signed_in = "async () => (await import('/static/js/companion.js')).signedIn()"
        assert page.evaluate(signed_in) is False
        assert accounts.find_user(app.extensions["gateway"].store, "root").must_change_password


def test_after_the_change_the_page_follows_next_only_to_the_same_origin(gateway):
    _, base_url = gateway
    with chromium() as browser:
        page = browser.new_page()
        page.goto(f"{base_url}/sign-in?next=/%09/other.example/x")
        sign_in(page, "root", ONE_TIME)
        page.wait_for_url(f"{base_url}/change-password?next=*")
        page.evaluate(HOLD_NAVIGATIONS)
        page.fill("#current", ONE_TIME)
        page.fill("#new", "my very own password")
        page.fill("#repeat", "my very own password")
        page.click("button[type=submit]")
        expect(page.locator("#status")).to_have_text("Password changed.")
        assert went(page) == [f"{base_url}/home"]


def test_a_phone_is_named_as_its_owner_knows_it(gateway):
    app, base_url = gateway
    with chromium() as browser:
        page = browser.new_context(**PHONE).new_page()
        page.goto(f"{base_url}/app/sign-in")
        sign_in(page)
        page.wait_for_url(f"{base_url}/app/")
        with app.extensions["gateway"].store.read() as connection:
            (row,) = connection.execute(devices.select()).all()
        assert (row.model, row.os, row.os_version) == ("Pixel 9", "Android", "15")
