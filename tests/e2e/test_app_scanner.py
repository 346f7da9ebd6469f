"""The companion's own scanner in headless Chromium, with a fake rear camera filming a real QR
code of the running gateway: the phone grants the camera in the app's dialog, the scanner
reads the desktop login's code and reaches the decision (the desktop sees it scanned); a
report preview code and a connect code go on in their pages, all as the app's scan
(via=app_camera). With the camera refused the camera is never started and typing the code
works; another site's code is shown, never opened; hidden, the page stops the camera."""

from __future__ import annotations

import io
import re

import pytest
from PIL import Image
from playwright.sync_api import expect
from sqlalchemy import select

from gateway.core.qrimage import render_png
from gateway.enrollment.tables import enrollments
from gateway.qrlogin.tables import qr_logins
from gateway.reports.tables import preview_grants
from tests.e2e.test_scan_to_connect_a_phone import desktop_offers
from tests.e2e.test_scan_to_log_in import PHONE
from tests.live_server import DESKTOP, chromium_launcher, live_gateway, shoot, sign_in
from tests.preview_support import integration_key, register
from tests.support import Actions

pytestmark = pytest.mark.browser

CODE = re.compile(r"^[B-Z]{4}-[B-Z]{4}$")

# Counts the page's calls for the camera, before any of its scripts runs.
COUNT_CAMERA_CALLS = """
window.__cameraCalls = 0;
if (navigator.mediaDevices && navigator.mediaDevices.getUserMedia) {
  const original = navigator.mediaDevices.getUserMedia.bind(navigator.mediaDevices);
  navigator.mediaDevices.getUserMedia = (constraints) => {
    window.__cameraCalls += 1;
    return original(constraints);
  };
}
"""


@pytest.fixture
def gateway(settings):
    with live_gateway(settings) as (app, base_url):
        actions = Actions(app, app.test_client())
        actions.create_user("alice", display_name="Alice Example")
        actions.publish_policy(summary="The first published agreement")
        yield app, base_url


def qr_scene(png: bytes, width: int = 640, height: int = 480) -> Image.Image:
    """The QR image *png* in the middle of a white picture, whole pixels per module."""
    qr = Image.open(io.BytesIO(png)).convert("RGB")
    room = height - 80
    side = qr.width * (room // qr.width) if qr.width <= room else room
    picture = Image.new("RGB", (width, height), "white")
    picture.paste(qr.resize((side, side), Image.NEAREST), ((width - side) // 2, (height - side) // 2))
    return picture


def y4m(picture: Image.Image, frames: int = 3) -> bytes:
    """A Y4M video (4:2:0) of *frames* identical frames of *picture*, as Chromium's fake
    camera plays it (looping)."""
    width, height = picture.size
    y, u, v = picture.convert("YCbCr").split()
    half = (width // 2, height // 2)
    frame = b"FRAME\n" + y.tobytes() + u.resize(half, Image.BILINEAR).tobytes() \
        + v.resize(half, Image.BILINEAR).tobytes()
    return f"YUV4MPEG2 W{width} H{height} F10:1 Ip A1:1 C420jpeg\n".encode() + frame * frames


def desktop_login(browser, base_url: str):
    """The desktop login page, and the PNG of the QR code it shows."""
    desktop = browser.new_context(**DESKTOP).new_page()
    with desktop.expect_response(lambda r: r.url == f"{base_url}/api/v1/qr-logins"
                                 and r.request.method == "POST") as started:
        desktop.goto(f"{base_url}/login")
    login = started.value.json()
    expect(desktop.locator("#code")).to_have_text(CODE)
    png = desktop.request.get(f"{base_url}{login['qr_png_url']}")
    assert png.ok, png.status
    return desktop, png.body()


def phone_signs_in(browser, base_url: str, init: str = ""):
    context = browser.new_context(**PHONE)
    context.add_init_script(COUNT_CAMERA_CALLS + init)
    phone = context.new_page()
    sign_in(phone, base_url, "/app/")
    return phone


def fake_camera(path) -> tuple[str, ...]:
    return ("--use-fake-ui-for-media-stream", "--use-fake-device-for-media-stream",
            f"--use-file-for-fake-video-capture={path}")


def test_the_app_scans_the_desktop_code_with_its_camera_and_reaches_the_decision(gateway, tmp_path):
    app, base_url = gateway
    video = tmp_path / "qr.y4m"
    with chromium_launcher() as launch:
        desktop, png = desktop_login(launch(), base_url)
        video.write_bytes(y4m(qr_scene(png)))
        phone = phone_signs_in(launch(fake_camera(video)), base_url)
        phone.get_by_role("link", name="Scan", exact=True).click()
        phone.wait_for_url(f"{base_url}/app/scan")

        # The app asks first, in its own dialog; the browser's prompt comes after.
        dialog = phone.locator("dialog.consent")
        expect(dialog).to_be_visible()
        shoot(phone, "scanner-asks-for-the-camera-en")
        assert phone.evaluate("window.__cameraCalls") == 0
        phone.locator("#consent-grant").click()

        phone.get_by_text("Tap the number the computer shows:").wait_for(timeout=20_000)
        numbers = phone.locator("#decide .choices button")
        expect(numbers).to_have_count(3)
        assert phone.evaluate("window.__cameraCalls") == 1
        decoder = phone.evaluate("document.body.dataset.decoder")
        print(f"scanner decoding path: {decoder}")
        assert decoder in ("jsqr", "barcode-detector")
        # The camera is off once the code is read.
        expect(phone.locator("#viewer")).to_be_hidden()
        assert phone.evaluate("document.getElementById('video').srcObject") is None

        expect(desktop.locator("#match")).to_be_visible()
        expect(desktop.locator("#status")).to_have_text(
            "Code scanned. Tap the same number on your phone, then confirm.")
        number = desktop.locator("#number").text_content()
        phone.get_by_role("button", name=f"Number {number}").click()
        phone.get_by_role("button", name="Confirm").click()
        phone.get_by_text("Confirmed. The computer is signing in.").wait_for()
        desktop.wait_for_url(f"{base_url}/home")

    with app.extensions["gateway"].store.read() as connection:
        assert connection.execute(select(qr_logins.c.via)).scalars().all() == ["app_camera"]


def test_with_the_camera_refused_the_scanner_stays_off_and_the_typed_code_works(gateway, tmp_path):
    _, base_url = gateway
    video = tmp_path / "qr.y4m"
    with chromium_launcher() as launch:
        desktop, png = desktop_login(launch(), base_url)
        code = desktop.locator("#code").text_content()
        video.write_bytes(y4m(qr_scene(png)))
        phone = phone_signs_in(launch(fake_camera(video)), base_url)
        phone.goto(f"{base_url}/app/scan")
        phone.locator("#consent-refuse").click()

        expect(phone.locator("#status")).to_have_text(
            "The camera is not allowed, so the app's scanner stays off.")
        expect(phone.locator("#refused")).to_contain_text("type the code shown under the QR code")
        expect(phone.locator("#viewer")).to_be_hidden()
        phone.wait_for_timeout(500)
        assert phone.evaluate("window.__cameraCalls") == 0

        # Refused stays refused: coming back does not ask again, nor start the camera.
        phone.reload()
        expect(phone.locator("#refused")).to_be_visible()
        expect(phone.locator("dialog.consent")).to_have_count(0)
        assert phone.evaluate("window.__cameraCalls") == 0

        phone.get_by_role("link", name="Type a sign-in code instead").click()
        phone.wait_for_url(f"{base_url}/app/code")
        phone.fill("#code", code)
        phone.get_by_role("button", name="Continue").click()
        phone.get_by_text("Tap the number the computer shows:").wait_for()
        expect(desktop.locator("#match")).to_be_visible()


# Lets the test hide and show the page as a phone does (another app, the screen off), and
# keeps the camera's streams to look at their tracks.
HIDE_AND_SHOW = """
window.__hidden = false;
Object.defineProperty(document, "visibilityState", { get: () => (window.__hidden ? "hidden" : "visible") });
Object.defineProperty(document, "hidden", { get: () => window.__hidden });
window.__streams = [];
const keep = navigator.mediaDevices.getUserMedia.bind(navigator.mediaDevices);
navigator.mediaDevices.getUserMedia = async (constraints) => {
  const stream = await keep(constraints);
  window.__streams.push(stream);
  return stream;
};
window.__setHidden = (hidden) => { window.__hidden = hidden; document.dispatchEvent(new Event("visibilitychange")); };
"""
LIVE_TRACKS = "window.__streams.flatMap((s) => s.getTracks()).filter((t) => t.readyState === 'live').length"


def test_another_sites_code_is_shown_not_opened_and_the_camera_stops_while_hidden(gateway, tmp_path):
    _, base_url = gateway
    video = tmp_path / "elsewhere.y4m"
    video.write_bytes(y4m(qr_scene(render_png("https://elsewhere.example/q/abc"))))
    with chromium_launcher() as launch:
        phone = phone_signs_in(launch(fake_camera(video)), base_url, init=HIDE_AND_SHOW)
        phone.goto(f"{base_url}/app/scan")
        phone.locator("#consent-grant").click()

        expect(phone.locator("#found")).to_have_text("https://elsewhere.example/q/abc", timeout=20_000)
        expect(phone.locator("#status")).to_have_text(
            "This code leads to another site. It was not opened; the address is shown below.")
        expect(phone.locator("#found a")).to_have_count(0)  # text, not a link
        shoot(phone, "scanner-another-site-en")
        assert phone.url == f"{base_url}/app/scan"
        assert phone.evaluate(LIVE_TRACKS) == 1  # still scanning

        phone.evaluate("window.__setHidden(true)")
        assert phone.evaluate(LIVE_TRACKS) == 0
        assert phone.evaluate("document.getElementById('video').srcObject") is None
        phone.evaluate("window.__setHidden(false)")
        expect(phone.locator("#viewer.reading")).to_be_visible()
        assert phone.evaluate("window.__cameraCalls") == 2
        assert phone.evaluate(LIVE_TRACKS) == 1


@pytest.fixture
def reports_gateway(settings):
    with live_gateway(settings) as (app, base_url):
        actions = Actions(app, app.test_client())
        actions.create_user("olivia", display_name="Olivia Owner")
        actions.create_user("alice", display_name="Alice Example", groups=("sales",))
        actions.publish_policy(summary="The first published agreement")
        assert register(app.test_client(), integration_key(app)).status_code == 201
        yield app, base_url


def test_a_scanned_report_preview_code_opens_the_preview_in_the_app(reports_gateway, tmp_path):
    app, base_url = reports_gateway
    video = tmp_path / "preview.y4m"
    with chromium_launcher() as launch:
        desktop = launch().new_context(**DESKTOP).new_page()
        desktop.goto(f"{base_url}/reports/sales-q3")
        desktop.wait_for_url("**/sign-in?next=**")
        desktop.fill("#username", "olivia")
        desktop.fill("#password", "correct horse battery")
        desktop.click("button[type=submit]")
        desktop.wait_for_url(f"{base_url}/reports/sales-q3")
        expect(desktop.locator("#qr")).to_have_js_property("complete", True)
        video.write_bytes(y4m(qr_scene(desktop.locator("#qr").screenshot())))

        phone = phone_signs_in(launch(fake_camera(video)), base_url)
        phone.goto(f"{base_url}/app/scan")
        phone.locator("#consent-grant").click()
        phone.wait_for_url(f"{base_url}/app/preview", timeout=20_000)
        expect(phone.locator("svg.chart")).to_be_visible()

    with app.extensions["gateway"].store.read() as connection:
        assert connection.execute(select(preview_grants.c.via)).scalars().all() == ["app_camera"]


def test_a_scanned_connect_code_goes_on_in_the_connect_page_as_the_apps_scan(gateway, tmp_path):
    app, base_url = gateway
    video = tmp_path / "connect.y4m"
    with chromium_launcher() as launch:
        desktop, link = desktop_offers(launch(), base_url)
        video.write_bytes(y4m(qr_scene(desktop.locator("#qr").screenshot())))

        phone = phone_signs_in(launch(fake_camera(video)), base_url)
        phone.goto(f"{base_url}/app/scan")
        phone.locator("#consent-grant").click()
        phone.wait_for_url(f"{link}?via=app_camera", timeout=20_000)
        phone.get_by_role("button", name="Allow", exact=True).click()
        expect(phone.locator("#number")).to_have_text(re.compile(r"^\d\d$"))

    with app.extensions["gateway"].store.read() as connection:
        assert connection.execute(select(enrollments.c.via)).scalars().all() == ["app_camera"]
