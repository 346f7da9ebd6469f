"""The companion's inbox on a phone (390x844) in headless Chromium, against a real server
with the embedded delivery worker and the local push service: a notification sent while
the app is open shows at once (banner, unread count, list) on a device that never gave
push consent and gets no Web Push request; read state moves between two devices of one
user; screenshots of the inbox and the banner in both languages."""

from __future__ import annotations

import os
import re
import time

import pytest
from playwright.sync_api import expect

from gateway.core.clock import SystemClock
from tests.live_server import chromium, live_gateway, shoot
from tests.push_support import PushKit, push_settings
from tests.pushservice import PushService

pytestmark = pytest.mark.browser

PASSWORD = "correct horse battery"
PHONE = {"viewport": {"width": 390, "height": 844}, "is_mobile": True, "has_touch": True,
         "user_agent": "Mozilla/5.0 (Linux; Android 15; Pixel 9) AppleWebKit/537.36 "
                       "(KHTML, like Gecko) Chrome/131.0.0.0 Mobile Safari/537.36"}


@pytest.fixture
def gateway(settings):
    with PushService(delay=0.05) as service, \
            live_gateway(push_settings(settings, push_worker="embedded")) as (app, base_url):
        kit = PushKit(app, app.test_client(), service, SystemClock())
        kit.actions.ensure_policy()
        kit.actions.create_user("alice", display_name="Alice Example")
        app.extensions["gateway"].push.start_embedded()
        try:
            yield kit, base_url
        finally:
            app.extensions["gateway"].push.stop_embedded()


def phone(browser, base_url: str, path: str = "/app/", language: str = "en"):
    """A phone of alice's, signed in the way the companion signs in, on *path*."""
    context = browser.new_context(**PHONE, locale="zh-CN" if language == "zh" else "en-US",
                                  extra_http_headers={"Accept-Language": language})
    page = context.new_page()
    page.goto(f"{base_url}{path}")
    page.wait_for_url("**/app/sign-in**")
    page.fill("#username", "alice")
    page.fill("#password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(re.compile(rf"{re.escape(base_url)}{re.escape(path)}$"))
    return page


def test_a_message_sent_while_the_app_is_open_shows_at_once_without_push_consent(gateway):
    kit, base_url = gateway
    with chromium() as browser:
        page = phone(browser, base_url)
        expect(page.locator("#who")).to_contain_text("Alice Example")
        expect(page.locator("#inbox-count")).to_be_hidden()
        page.wait_for_timeout(300)  # the stream is open once its first frame is in
        kit.send("alice", title="Quarterly numbers are in", body="Revenue up 4 % on last "
                 "quarter.", url="/app/inbox")
        banner = page.locator("#inbox-banner")
        expect(banner).to_contain_text("Quarterly numbers are in", timeout=10_000)
        expect(page.locator("#inbox-count")).to_have_text("1")
        shoot(page, "banner-en")
        banner.locator("a").click()
        page.wait_for_url(f"{base_url}/app/inbox")
        item = page.locator("#messages li")
        expect(item).to_have_count(1)
        expect(item).to_have_class(re.compile("unread"))
        kit.send("alice", title="Second message", body="Shown live on the inbox too.")
        expect(page.locator("#messages li").first).to_contain_text("Second message",
                                                                   timeout=10_000)
        expect(page.locator("#inbox-count")).to_have_text("2")
        shoot(page, "inbox-en")
    # The phone never subscribed nor gave push consent: no request left for it.
    assert kit.service.subscriptions == {} or all(
        s.requests == 0 for s in kit.service.subscriptions.values())
    with kit.svc.store.read() as connection:
        from gateway.push import channels
        ids = [m.notification_id for m in kit.svc.inbox.page(kit.user("alice").id)]
        reached = channels.reached(connection, ids)
    assert all(r["webpush"] == 0 for r in reached.values())


def test_read_state_moves_across_two_devices_of_one_user(gateway):
    kit, base_url = gateway
    kit.send("alice", title="Read me on one phone")
    kit.send("alice", title="And the other")
    with chromium() as browser:
        first = phone(browser, base_url, "/app/inbox")
        second = phone(browser, base_url, "/app/inbox")
        for page in (first, second):
            expect(page.locator("#messages li.unread")).to_have_count(2, timeout=10_000)
        first.locator("#messages li", has_text="Read me on one phone").click()
        expect(second.locator("#messages li.unread")).to_have_count(1, timeout=10_000)
        expect(second.locator("#inbox-count")).to_have_text("1")
        second.click("#read-all")
        expect(first.locator("#messages li.unread")).to_have_count(0, timeout=10_000)
        expect(first.locator("#inbox-count")).to_be_hidden()


def test_a_message_that_comes_between_the_inbox_read_and_its_stream_is_shown(gateway):
    """The inbox page reads the list, then opens its stream: a message kept in between is
    resent by the stream (the page names the newest message it shows), not lost until a
    reload. The stream's request is held here until such a message is in the store."""
    kit, base_url = gateway
    svc = kit.app.extensions["gateway"]
    with chromium() as browser:
        page = phone(browser, base_url)
        held = []

        def between(route):
            if not held:  # the inbox page's first stream: a message comes meanwhile
                held.append(kit.send("alice", title="Came while the inbox opened"))
                svc.push.wake()
                deadline = time.monotonic() + 10
                while not svc.inbox.page(kit.user("alice").id) and time.monotonic() < deadline:
                    time.sleep(0.05)
            route.continue_()

        page.route("**/api/v1/inbox/events", between)
        page.goto(f"{base_url}/app/inbox")
        expect(page.locator("#messages li")).to_have_count(1, timeout=10_000)
        expect(page.locator("#messages li")).to_contain_text("Came while the inbox opened")
        expect(page.locator("#inbox-count")).to_have_text("1")
        assert held


@pytest.mark.parametrize("language", ["zh", "en"])
def test_screenshots_of_the_inbox_and_the_banner(gateway, language):
    kit, base_url = gateway
    words = {"zh": ("季度报表已生成", "收入比上季度增长 4%。", "系统维护通知", "今晚 22:00 至 23:00 暂停服务。"),
             "en": ("Quarterly report ready", "Revenue up 4 % on last quarter.",
                    "Maintenance tonight", "The gateway pauses from 22:00 to 23:00.")}[language]
    kit.send("alice", title=words[0], body=words[1])
    with chromium() as browser:
        page = phone(browser, base_url, "/app/inbox", language)
        expect(page.locator("#messages li")).to_have_count(1, timeout=10_000)
        page.wait_for_timeout(300)
        kit.send("alice", title=words[2], body=words[3])
        expect(page.locator("#inbox-banner")).to_contain_text(words[2], timeout=10_000)
        expect(page.locator("#messages li")).to_have_count(2)
        shoot(page, f"inbox-banner-{language}")
        page.locator("#inbox-banner button").click()
        page.locator("#messages li").last.click()
        expect(page.locator("#messages li.unread")).to_have_count(1)
        shoot(page, f"inbox-{language}")
        page.goto(f"{base_url}/app/")
        expect(page.locator("#inbox-count")).to_have_text("1")
        shoot(page, f"home-{language}")
        page.goto(f"{base_url}/app/notifications")
        expect(page.locator("main a[href='/app/inbox']")).to_be_visible()
        shoot(page, f"notifications-{language}")


def test_the_push_console_shows_how_many_devices_each_channel_reached(gateway):
    kit, base_url = gateway
    kit.device("bob")  # push consent and a subscription: Web Push
    kit.device("carol", consent=False)  # app closed, no consent: the inbox only
    kit.actions.create_user("root", role="admin")
    with chromium() as browser:
        app = phone(browser, base_url)  # alice's app is open: the live stream
        expect(app.locator("#who")).to_contain_text("Alice Example")
        app.wait_for_timeout(300)
        kit.send("alice", "bob", "carol", title="Three channels")
        expect(app.locator("#inbox-banner")).to_contain_text("Three channels", timeout=10_000)
        # The live stream's receipt is written about a second after the burst ends; the
        # console's chart is drawn from what is recorded when the page opens.
        kit.app.extensions["gateway"].live_receipts.flush()
        console = browser.new_context(viewport={"width": 1280, "height": 800}).new_page()
        console.goto(f"{base_url}/admin/push")
        console.wait_for_url("**/sign-in**")
        console.fill("#username", "root")
        console.fill("#password", PASSWORD)
        console.click("button[type=submit]")
        console.wait_for_url(f"{base_url}/admin/push")
        reached = console.locator("#history tbody tr td.reached").first
        expect(reached).to_have_text(re.compile(r"Web Push 1 · Live in the app 1 · Inbox only 1"),
                                     timeout=10_000)
        expect(console.locator("#channel-chart svg rect.c-live")).not_to_have_count(0)
        expect(console.locator("#channel-chart svg rect.c-webpush")).not_to_have_count(0)
        console.locator("#channel-chart").scroll_into_view_if_needed()
        shoot(console, "console-channels-en")
        if os.environ.get("GATEWAY_TEST_SHOTS"):  # the same in Chinese, for the screenshots
            chinese = browser.new_context(viewport={"width": 1280, "height": 800},
                                          locale="zh-CN",
                                          extra_http_headers={"Accept-Language": "zh"})
            chinese.add_cookies(console.context.cookies())
            zh = chinese.new_page()
            zh.goto(f"{base_url}/admin/push")
            expect(zh.locator("#history tbody tr td.reached").first).to_contain_text(
                "仅收件箱 1", timeout=10_000)
            zh.locator("#channel-chart").scroll_into_view_if_needed()
            shoot(zh, "console-channels-zh")
