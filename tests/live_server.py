"""A real gateway served on 127.0.0.1 in a thread, and headless Chromium to drive its pages.

Used by the end-to-end tests: a werkzeug server (one thread per request, so a page can hold
an event stream open while others call) on an ephemeral port, with the system Chromium;
the phone and the desktop as the tests play them, and a phone signing in where a page
sends it. (The live gateway most of them use is the ``gateway`` fixture of
``tests/e2e/conftest.py``.)
"""

from __future__ import annotations

import os
import re
import shutil
import threading
from contextlib import contextmanager
from pathlib import Path

from werkzeug.serving import WSGIRequestHandler, make_server

from gateway import create_app
from gateway.core.clock import Clock
from gateway.core.settings import Settings

# A phone (an Android phone's Chrome at 390x844) and a desktop, as browser contexts.
PHONE = {"viewport": {"width": 390, "height": 844}, "is_mobile": True, "has_touch": True,
         "user_agent": "Mozilla/5.0 (Linux; Android 15; Pixel 9) AppleWebKit/537.36 "
                       "(KHTML, like Gecko) Chrome/131.0.0.0 Mobile Safari/537.36"}
DESKTOP = {"viewport": {"width": 1280, "height": 800}}
PASSWORD = "correct horse battery"

CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--no-first-run", "--disable-sync"]


class _QuietHandler(WSGIRequestHandler):
    """No request lines on stderr: paths such as /q/<token> carry tokens."""

    def log_request(self, code="-", size="-") -> None:
        pass


class _Deferred:
    """The WSGI app the server starts with, pointed at the real one once its URL is known."""

    app = None

    def __call__(self, environ, start_response):
        return self.app(environ, start_response)


@contextmanager
def live_gateway(settings: Settings, clock: Clock | None = None):
    """Serve a gateway built from *settings* (its public URL set to the server's address);
    yields (app, base_url)."""
    deferred = _Deferred()
    server = make_server("127.0.0.1", 0, deferred, threaded=True,
                         request_handler=_QuietHandler)
    base_url = f"http://127.0.0.1:{server.server_port}"
    app = create_app(settings.replace(public_url=base_url), clock=clock)
    deferred.app = app
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield app, base_url
    finally:
        server.shutdown()
        thread.join(timeout=10)
        app.extensions["gateway"].store.dispose()


@contextmanager
def chromium_launcher():
    """Launches headless system Chromium (Playwright drives it; nothing is downloaded): yields
    ``launch(extra_args=())``, each browser started with CHROMIUM_ARGS and *extra_args* (a
    fake camera, say). Several may run at once (one Playwright); all close at the end."""
    from playwright.sync_api import sync_playwright

    executable = shutil.which("chromium")
    if executable is None:
        import pytest

        pytest.skip("chromium is not installed")
    with sync_playwright() as playwright:
        browsers = []

        def launch(extra_args: tuple[str, ...] = ()):
            browser = playwright.chromium.launch(executable_path=executable,
                                                 args=[*CHROMIUM_ARGS, *extra_args])
            browsers.append(browser)
            return browser

        try:
            yield launch
        finally:
            for browser in browsers:
                browser.close()


@contextmanager
def chromium():
    """Headless system Chromium (Playwright drives it; nothing is downloaded)."""
    with chromium_launcher() as launch:
        yield launch()


def sign_in(page, base_url: str, path: str = "", username: str = "alice",
            password: str = PASSWORD) -> None:
    """Open *base_url* + *path* on *page*, which sends a signed-out phone to sign in; sign
    in there as *username* and wait to be back where it was going."""
    page.goto(f"{base_url}{path}")
    page.wait_for_url("**/app/sign-in**")
    page.fill("#username", username)
    page.fill("#password", password)
    page.click("button[type=submit]")
    page.wait_for_url(f"{base_url}{path}")


def desktop_signed_in(browser, base_url: str, username: str = "root", path: str = "/admin",
                      locale: str = "en-US", size: dict = DESKTOP):
    """A new desktop page of *browser* signed in as *username* through the sign-in page,
    landed on *path*."""
    page = browser.new_context(locale=locale, **size).new_page()
    page.goto(f"{base_url}/sign-in?next={path}")
    page.fill("#username", username)
    page.fill("#password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(re.compile(rf"{re.escape(base_url)}{re.escape(path)}$"))
    return page


def shoot(page, name: str) -> None:
    """Save a screenshot of *page* as NAME.png in the folder GATEWAY_TEST_SHOTS names (to
    look at what a test drove); nothing when it is not set."""
    folder = os.environ.get("GATEWAY_TEST_SHOTS")
    if folder:
        Path(folder).mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(Path(folder) / f"{name}.png"))
