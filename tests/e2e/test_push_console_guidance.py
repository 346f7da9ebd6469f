"""The push console guides the administrator, in headless Chromium at 1280x800: warnings
(no VAPID contact, the test switch) at the top of the page; a refused send names the field
under it and brings it into view; a notification that reached nobody says that no device
subscribed and where a phone subscribes; the chart of an empty period, or of steps without
deliveries, draws no NaN."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from gateway.core.clock import SystemClock
from tests.live_server import DESKTOP, chromium, live_gateway
from tests.push_support import PushKit, push_settings
from tests.pushservice import PushService
from tests.support import Actions

pytestmark = pytest.mark.browser



@pytest.fixture
def push_gateway(settings):
    """A gateway that pushes (the embedded worker, a local push service)."""
    with PushService(delay=0.05) as service, \
            live_gateway(push_settings(settings, push_worker="embedded")) as (app, base_url):
        kit = PushKit(app, app.test_client(), service, SystemClock())
        app.extensions["gateway"].push.start_embedded()
        try:
            yield kit, base_url
        finally:
            app.extensions["gateway"].push.stop_embedded()


def admin_console(browser, base_url: str, actions: Actions):
    actions.create_user("root", role="admin")
    page = browser.new_page(**DESKTOP)
    page.goto(f"{base_url}/sign-in?next=/admin/push")
    page.fill("#username", "root")
    page.fill("#password", "correct horse battery")
    page.click("button[type=submit]")
    page.wait_for_url(f"{base_url}/admin/push")
    expect(page.locator("#status")).to_have_text("")  # the sections are drawn
    return page


def test_a_missing_vapid_contact_is_warned_of_at_the_top(settings):
    # The run command's defaults: no subject set, and a public URL that is not https.
    with live_gateway(settings) as (app, base_url), chromium() as browser:
        page = admin_console(browser, base_url, Actions(app, app.test_client()))
        warning = page.locator("#warnings #warning-no-subject")
        expect(warning).to_contain_text("No VAPID contact")
        expect(warning).to_be_in_viewport()
        send = page.get_by_role("heading", name="Send", exact=True)
        assert warning.bounding_box()["y"] < send.bounding_box()["y"]
        warning.get_by_role("link").click()
        expect(page.locator("#subject")).to_be_focused()
        expect(page.locator("#warning-test-mode")).to_have_count(0)


def test_no_warning_of_the_contact_once_there_is_one(push_gateway):
    kit, base_url = push_gateway
    with chromium() as browser:
        page = admin_console(browser, base_url, kit.actions)
        expect(page.locator("#subject-source")).to_contain_text("In use")
        expect(page.locator("#warning-no-subject")).to_have_count(0)
        expect(page.locator("#warning-test-mode")).to_be_visible()  # push_settings' test switch


def test_a_refused_send_names_the_field_and_shows_it(push_gateway):
    kit, base_url = push_gateway
    with chromium() as browser:
        page = admin_console(browser, base_url, kit.actions)
        page.select_option("#audience-kind", "users")
        page.fill("#audience-names", "nobody, alice")
        kit.actions.create_user("alice")
        page.fill("#title", "Numbers")
        page.click("#send")
        problem = page.locator("#audience-names-error")
        expect(problem).to_have_text("Not known here: nobody.")
        expect(page.locator("#audience-names")).to_have_attribute("aria-invalid", "true")
        expect(page.locator("#audience-names")).to_be_focused()
        expect(page.locator("#audience-names")).to_be_in_viewport()
        # A title of spaces passes the browser's check; the gateway's (after trimming) not.
        page.fill("#audience-names", "alice")
        page.fill("#title", "   ")
        page.evaluate("window.scrollTo(0, document.body.scrollHeight)")
        page.click("#send")
        expect(page.locator("#title-error")).to_have_text("Write a title.")
        expect(page.locator("#title")).to_be_in_viewport()
        expect(problem).to_have_count(0)
        expect(page.locator("#audience-names")).not_to_have_attribute("aria-invalid", "true")


def test_a_notification_for_nobody_says_how_a_device_subscribes(push_gateway):
    kit, base_url = push_gateway
    kit.actions.create_user("alice")  # no phone, so no subscription
    with chromium() as browser:
        page = admin_console(browser, base_url, kit.actions)
        page.select_option("#audience-kind", "users")
        page.fill("#audience-names", "alice")
        page.fill("#title", "Quarterly numbers are in")
        page.click("#send")
        state = page.locator("#progress-state")
        expect(state).to_contain_text("Sent to nobody", timeout=20_000)
        expect(state).to_contain_text("subscribed")
        expect(state).to_contain_text(f"{base_url}/app/notifications")


def test_the_chart_of_a_period_without_deliveries(push_gateway):
    kit, base_url = push_gateway
    with chromium() as browser:
        page = admin_console(browser, base_url, kit.actions)
        chart = page.locator("#chart svg")
        expect(chart).to_contain_text("No deliveries in this period.")
        expect(chart.locator("rect")).to_have_count(0)
        assert "NaN" not in chart.evaluate("svg => svg.outerHTML")
        expect(page.locator("#chart-legend")).not_to_contain_text("NaN")


def test_the_chart_draws_steps_without_deliveries_as_gaps(push_gateway):
    kit, base_url = push_gateway
    points = [{"at": f"2026-12-04T{hour:02d}:00:00Z", "counts": {}} for hour in range(24)]
    points[5]["counts"] = {"delivered": 3, "failed": 1}
    del points[6]["counts"]  # a step the answer leaves without counts at all
    points[7]["counts"] = {"delivered": None}
    with chromium() as browser:
        page = admin_console(browser, base_url, kit.actions)
        # The console's own first read of the figures must not land after the one below.
        page.wait_for_load_state("networkidle")
        page.route("**/api/v1/admin/push/stats?*", lambda route: route.fulfill(
            json={"step_seconds": 3600, "points": points}))
        page.select_option("#chart-hours", "168")
        chart = page.locator("#chart svg")
        expect(chart.locator("rect")).to_have_count(2)
        expect(chart).not_to_contain_text("No deliveries")
        html = chart.evaluate("svg => svg.outerHTML")
        assert "NaN" not in html and "undefined" not in html
        expect(page.locator("#chart-legend")).to_contain_text("delivered 3")
