"""The administrator's first hour in headless Chromium: the set-up checklist, users (added
with a one-time password shown once, disabled, reset), integration keys (the key shown once
with a command to try it), the pages closed to everyone else, and a user's desktop home."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.live_server import DESKTOP, chromium, desktop_signed_in, live_gateway
from tests.support import Actions

pytestmark = pytest.mark.browser

PASSWORD = "correct horse battery"
# Every page of the administration (the agreement and partner pages have their own test).
ADMIN_PAGES = ("/admin", "/admin/users", "/admin/integrations", "/admin/applications",
               "/admin/push")


@pytest.fixture
def gateway(settings):
    with live_gateway(settings) as (app, base_url):
        actions = Actions(app, app.test_client())
        actions.create_user("root", display_name="Root Admin", role="admin")
        actions.create_user("alice", display_name="Alice Example")
        yield app, base_url, actions


def signed_in(browser, base_url, username="root", path="/admin"):
    return desktop_signed_in(browser, base_url, username, path)


def test_the_admin_home_lists_what_the_deployment_still_needs(gateway):
    _, base_url, _ = gateway
    with chromium() as browser:
        page = signed_in(browser, base_url)
        checklist = page.locator("#checklist li")
        expect(checklist.first).to_be_visible()
        # The test gateway serves plain http and has no agreement yet: both are named.
        expect(page.locator("#checklist li.fail", has_text="user agreement")).to_have_count(1)
        expect(page.locator("#checklist li.fail", has_text="https")).not_to_have_count(0)
        expect(page.locator("#checklist li.warn a[href='/admin/push']")).to_have_count(1)


def test_an_admin_adds_a_user_who_signs_in_with_the_one_time_password(gateway):
    app, base_url, _ = gateway
    with chromium() as browser:
        page = signed_in(browser, base_url, path="/admin/users")
        expect(page.locator("#users tr")).to_have_count(2)
        page.fill("#new-username", "bob")
        page.fill("#new-display-name", "Bob Li")
        page.fill("#new-groups", "sales, finance")
        page.click("#create button[type=submit]")
        expect(page.locator("#made")).to_be_visible()
        password = page.locator("#made-password").inner_text()
        assert len(password) >= 12
        expect(page.locator("#users tr", has_text="Bob Li")).to_contain_text("finance, sales")
        # Bob's first sign-in leads to choosing his own password.
        bob = browser.new_context(**DESKTOP).new_page()
        bob.goto(f"{base_url}/sign-in")
        bob.fill("#username", "bob")
        bob.fill("#password", password)
        bob.click("button[type=submit]")
        bob.wait_for_url(f"{base_url}/change-password")


def test_an_admin_disables_and_resets_a_user_from_their_details(gateway):
    _, base_url, _ = gateway
    with chromium() as browser:
        alice = signed_in(browser, base_url, username="alice", path="/home")
        page = signed_in(browser, base_url, path="/admin/users")
        page.fill("#q", "alice")
        expect(page.locator("#users tr")).to_have_count(1)
        page.click("#users a")
        expect(page.locator("#detail-name")).to_have_text("Alice Example (alice)")
        expect(page.locator("#detail-sessions li")).to_have_count(1)
        page.once("dialog", lambda dialog: dialog.accept())
        page.click("#toggle-disabled")
        expect(page.locator("#detail-status")).to_have_text("The account is disabled.")
        expect(page.locator("#users tr")).to_contain_text("Disabled")
        expect(page.locator("#detail-sessions li")).to_have_text("No browser is signed in.")
        alice.reload()
        alice.wait_for_url(re.compile(r"/sign-in\?next="))
        page.click("#toggle-disabled")
        expect(page.locator("#detail-status")).to_have_text("The account is enabled.")
        page.once("dialog", lambda dialog: dialog.accept())
        page.click("#reset-password")
        expect(page.locator("#reset-once")).to_be_visible()
        assert page.locator("#reset-password-value").inner_text()


def test_an_admin_changes_role_and_groups_and_ends_a_user_s_phone_and_browser(gateway):
    app, base_url, actions = gateway
    actions.device_sign_in("alice", device_id="alice-phone")
    with chromium() as browser:
        alice = signed_in(browser, base_url, username="alice", path="/home")
        page = signed_in(browser, base_url, path="/admin/users")
        page.locator("#users a", has_text="Alice Example").click()
        expect(page.locator("#detail-name")).to_have_text("Alice Example (alice)")
        # Her recent sign-ins: the phone's and the browser's, each saying how.
        sign_ins = page.locator("#detail-sign-ins li")
        expect(sign_ins.filter(has_text="Phone")).to_have_count(1)
        expect(sign_ins.filter(has_text="Browser, with a password")).to_have_count(1)

        page.click("#toggle-role")
        expect(page.locator("#detail-status")).to_have_text("The role is changed.")
        expect(page.locator("#detail-facts")).to_contain_text("Administrator")
        expect(page.locator("#users tr", has_text="Alice Example")).to_contain_text("Administrator")
        page.click("#toggle-role")
        expect(page.locator("#users tr", has_text="Alice Example")).to_contain_text("Standard user")

        page.fill("#groups", "sales, finance")
        page.click("#groups-form button[type=submit]")
        expect(page.locator("#detail-status")).to_have_text("The groups are saved.")
        expect(page.locator("#users tr", has_text="Alice Example")).to_contain_text("finance, sales")

        phones = page.locator("#detail-devices li")
        expect(phones).to_contain_text("Pixel 9")
        phones.get_by_role("button", name="Revoke").click()
        expect(page.locator("#detail-status")).to_have_text("The phone is signed out for good.")
        expect(phones).to_have_text("No phone.")

        page.locator("#detail-sessions li").get_by_role("button", name="Sign out").click()
        expect(page.locator("#detail-status")).to_have_text("The browser is signed out.")
        expect(page.locator("#detail-sessions li")).to_have_text("No browser is signed in.")
        alice.reload()
        alice.wait_for_url(re.compile(r"/sign-in\?next="))
    svc = app.extensions["gateway"]
    from gateway.identity import accounts

    user = accounts.find_user(svc.store, "alice")
    assert (user.role, sorted(user.groups)) == ("user", ["finance", "sales"])


def test_an_admin_makes_an_integration_key_shown_once_with_a_command_to_try(gateway):
    _, base_url, _ = gateway
    with chromium() as browser:
        page = signed_in(browser, base_url, path="/admin/integrations")
        expect(page.locator("#status")).to_contain_text("No key yet")
        page.fill("#name", "bi-server")
        page.check("input[value='push:send']")
        page.click("#create button[type=submit]")
        expect(page.locator("#made-key")).to_have_text(re.compile(r"^gwk_"))
        key = page.locator("#made-key").inner_text()
        expect(page.locator("#made-curl")).to_contain_text(key)
        expect(page.locator("#keys tr", has_text="bi-server")).to_contain_text("Never")
        page.reload()
        expect(page.locator("#keys tr", has_text="bi-server")).to_be_visible()
        assert key not in page.content()
        page.once("dialog", lambda dialog: dialog.accept())
        page.click("#keys tr button")
        expect(page.locator("#keys tr", has_text="bi-server")).to_contain_text("Revoked")


def test_admin_pages_are_closed_to_users_and_to_the_signed_out(gateway):
    _, base_url, _ = gateway
    with chromium() as browser:
        anonymous = browser.new_context(**DESKTOP).new_page()
        for path in (*ADMIN_PAGES, "/home"):
            anonymous.goto(f"{base_url}{path}")
            assert anonymous.url.startswith(f"{base_url}/sign-in?next="), path
        alice = signed_in(browser, base_url, username="alice", path="/home")
        for path in ADMIN_PAGES:
            answer = alice.goto(f"{base_url}{path}")
            assert answer.status == 403
            expect(alice.locator("h1")).to_have_text("This page is for administrators")
            assert "Administration" not in alice.locator("header").inner_text()


def test_a_user_s_home_shows_their_phones_and_signs_out(gateway):
    app, base_url, actions = gateway
    actions.device_sign_in("alice", device_id="alice-phone")
    with chromium() as browser:
        page = signed_in(browser, base_url, username="alice", path="/home")
        expect(page.locator("h1")).to_have_text("Welcome, Alice Example")
        expect(page.locator("#devices li")).to_have_count(1)
        expect(page.locator("#reports li")).to_have_text("No reports are shared with you yet.")
        page.click("header button[data-sign-out]")
        page.wait_for_url(f"{base_url}/sign-in")
        page.goto(f"{base_url}/home")
        assert page.url.startswith(f"{base_url}/sign-in?next=")
