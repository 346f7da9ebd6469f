"""The consent pages in headless Chromium: the companion's permission settings (toggles,
the notice dialog with equal choices, the policy announcement, history with receipts),
the one-purpose dialog page, and the public page of policy versions."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from gateway import consent
from tests.live_server import PHONE, chromium, live_gateway, sign_in
from tests.support import Actions

pytestmark = pytest.mark.browser


@pytest.fixture
def gateway(settings):
    with live_gateway(settings) as (app, base_url):
        actions = Actions(app, app.test_client())
        actions.create_user("alice", display_name="Alice Example")
        actions.publish_policy(summary="The first published agreement")
        yield app, base_url


def states(app) -> dict:
    svc = app.extensions["gateway"]
    with svc.store.read() as connection:
        device_id = consent.history(connection, user_id=_alice(app))[-1].device_id
        return {s.purpose: s for s in consent.statuses(
            connection, svc.clock, svc.catalogue, user_id=_alice(app), device_id=device_id)}


def _alice(app) -> str:
    from gateway.identity import accounts

    return accounts.find_user(app.extensions["gateway"].store, "alice").id


def test_the_settings_page_toggles_each_consent_through_the_notice_dialog(gateway):
    app, base_url = gateway
    with chromium() as browser:
        phone = browser.new_context(**PHONE).new_page()
        sign_in(phone, base_url, "/app/consents")
        camera = phone.get_by_role("switch", name="Camera")
        expect(camera).not_to_be_checked()
        expect(phone.locator("#state-camera")).to_contain_text("Not asked yet")

        # The first version is introduced, not announced as an update.
        announcement = phone.get_by_role("region", name="User agreement")
        expect(announcement).to_contain_text("The user agreement (version 1.0, in effect since")
        expect(announcement).not_to_contain_text("updated")
        expect(announcement.get_by_role("link")).to_have_text("Read it")
        phone.get_by_role("button", name="Got it").click()
        expect(announcement).to_be_hidden()

        camera.click()
        dialog = phone.get_by_role("dialog")
        expect(dialog).to_contain_text("Policy version 1.0")
        allow, refuse = dialog.get_by_role("button", name="Allow", exact=True), dialog.get_by_role(
            "button", name="Don't allow")
        allow_box, refuse_box = allow.bounding_box(), refuse.bounding_box()
        assert (allow_box["width"], allow_box["height"]) == (refuse_box["width"],
                                                            refuse_box["height"])
        style = "e => [getComputedStyle(e).backgroundColor, getComputedStyle(e).color, " \
                "getComputedStyle(e).fontWeight]"
        assert allow.evaluate(style) == refuse.evaluate(style)
        allow.click()
        expect(dialog).to_have_count(0)
        expect(camera).to_be_checked()
        expect(phone.locator("#state-camera")).to_have_text("Allowed")
        granted = states(app)["camera"]
        assert granted.granted and granted.last_event.method == "settings_toggle"
        assert granted.last_event.client_time is not None

        phone.get_by_role("switch", name="Notifications").click()
        phone.get_by_role("dialog").get_by_role("button", name="Don't allow").click()
        expect(phone.locator("#state-push")).to_have_text("Not allowed")
        expect(phone.get_by_role("switch", name="Notifications")).not_to_be_checked()

        camera.click()  # off: withdrawn at once, no dialog
        expect(phone.locator("#state-camera")).to_have_text("Turned off")
        assert states(app)["camera"].state == "withdrawn"
        assert states(app)["push"].state == "refused"

        history = phone.locator("#history")
        expect(history.locator("tbody tr")).to_have_count(3)
        history.get_by_role("button", name="Receipt").first.click()
        expect(history.locator(".receipt")).to_contain_text("eyJ")


def test_the_dialog_page_asks_for_one_purpose_and_goes_on(gateway):
    app, base_url = gateway
    with chromium() as browser:
        phone = browser.new_context(**PHONE).new_page()
        sign_in(phone, base_url, "/app/consent?purpose=location&next=/app/")
        dialog = phone.get_by_role("dialog")
        expect(dialog).to_contain_text("sensitive personal information")
        dialog.get_by_role("button", name="Allow", exact=True).click()
        phone.wait_for_url(f"{base_url}/app/")
        assert states(app)["location"].granted


def test_the_public_page_lists_every_version_with_what_changed(gateway):
    app, base_url = gateway
    Actions(app, app.test_client()).publish_policy("2.0", changes=["push"],
                                                  summary="Notifications about reports")
    with chromium() as browser:
        page = browser.new_page()
        page.goto(f"{base_url}/policies")
        versions = page.locator("article.policy")
        expect(versions).to_have_count(2)
        expect(versions.first).to_contain_text("Version 2.0 (in effect)")
        expect(versions.first.locator(".changes")).to_have_text("Asks again about: Notifications.")  # push, by its title
        expect(versions.nth(1)).to_contain_text("The first published agreement")


def test_a_later_version_is_announced_as_an_update_with_what_changed(gateway):
    app, base_url = gateway
    Actions(app, app.test_client()).publish_policy("2.0", changes=["push"],
                                                  summary="Notifications about reports")
    with chromium() as browser:
        phone = browser.new_context(**PHONE).new_page()
        sign_in(phone, base_url, "/app/consents")
        announcement = phone.get_by_role("region", name="Policy update")
        expect(announcement).to_contain_text("updated to version 2.0")
        expect(announcement).to_contain_text("Notifications about reports")
        expect(announcement.get_by_role("link")).to_have_text("Read what changed")
