"""A real gateway served on 127.0.0.1 in a thread, and headless Chromium to drive its pages.

Used by the end-to-end tests: a werkzeug server (one thread per request, so a page can hold
an event stream open while others call) on an ephemeral port, with the system Chromium.
"""

from __future__ import annotations

import shutil
import threading
from contextlib import contextmanager

from werkzeug.serving import WSGIRequestHandler, make_server

from gateway import create_app
from gateway.core.clock import Clock
from gateway.core.settings import Settings

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
