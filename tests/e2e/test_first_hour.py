"""The README's first hour on a fresh instance, from the run command: ``flask init`` on an
empty instance folder, gunicorn as ``make run`` starts it, and headless Chromium following
the README's steps (admin sign-in with the printed one-time password, a user in a group, an
integration key and its command, the agreement ``init`` published, a new user's phone, scan
to log in, a report), with the README's report example pasted into a shell.

Screenshots (``GATEWAY_TEST_SHOTS``): the admin home, the users page and the phone's
decision at 390x844, and the user's home after scanning.
"""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest
from playwright.sync_api import expect

from tests.cluster import Cluster
from tests.e2e.test_scan_to_log_in import CODE, decode_qr
from tests.live_server import DESKTOP, PHONE, chromium, shoot

pytestmark = pytest.mark.browser

ROOT = Path(__file__).resolve().parents[2]
SMALL = {"viewport": {"width": 390, "height": 844}}
ADMIN_PASSWORD, ALICE_PASSWORD = "the admin's own passphrase", "alice's own passphrase"


@pytest.fixture(scope="module")
def fresh(tmp_path_factory):
    """(base URL, the admin's one-time password) of a gateway started as `make run` starts
    it, on an instance folder nothing was in: the settings are the defaults but its address."""
    folder = tmp_path_factory.mktemp("first-hour")
    cluster = Cluster(folder, "", "", GATEWAY_KEYS_DIR="", GATEWAY_PUSH_WORKER="embedded",
                      GATEWAY_PUSH_ALLOW_INSECURE_LOCAL_ENDPOINTS="false",
                      GATEWAY_PUSH_SUBJECT="")
    try:
        cluster.init()  # not on a terminal: the one-time password goes to a file
        one_time = folder / "instance" / "keys" / "one-time-password-admin.txt"
        instance = cluster.gateway("gateway", port=cluster.public_port)
        cluster.ready(instance)
        yield instance.url, one_time.read_text().strip()
    finally:
        cluster.close()


def readme_block(after: str) -> str:
    """The README's shell block that follows the line *after*, as a reader pastes it."""
    readme = (ROOT / "README.md").read_text()
    return readme.split(after, 1)[1].split("```", 1)[0]


def shell(script: str, base_url: str, **variables: str) -> str:
    """Run *script* in bash, its README address pointed at *base_url*; its output."""
    if shutil.which("curl") is None:
        pytest.skip("curl is not installed")
    assignments = "".join(f"{name}='{value}'\n" for name, value in variables.items())
    done = subprocess.run(["bash", "-euc", assignments + script.replace(
        "http://127.0.0.1:8000", base_url)], capture_output=True, text=True, timeout=30)
    assert done.returncode == 0, done.stderr
    return done.stdout


def test_the_readme_s_first_hour_on_a_fresh_install(fresh, tmp_path):
    base_url, one_time = fresh
    with chromium() as browser:
        # 1. The admin's first sign-in leads to choosing a password, then home.
        admin = browser.new_context(**DESKTOP).new_page()
        admin.goto(f"{base_url}/sign-in")
        admin.fill("#username", "admin")
        admin.fill("#password", one_time)
        admin.click("button[type=submit]")
        admin.wait_for_url(f"{base_url}/change-password")
        admin.fill("#current", one_time)
        admin.fill("#new", ADMIN_PASSWORD)
        admin.fill("#repeat", ADMIN_PASSWORD)
        admin.click("#change-password button[type=submit]")
        admin.wait_for_url(f"{base_url}/home")
        admin.get_by_role("link", name="Administration").click()
        admin.wait_for_url(f"{base_url}/admin")
        checklist = admin.locator("#checklist")
        expect(checklist.locator("li.ok", has_text="A user agreement is in effect")).to_have_count(1)
        expect(checklist.locator("li.fail", has_text="https")).not_to_have_count(0)
        admin.set_viewport_size(SMALL["viewport"])
        shoot(admin, "first-hour-admin-home-390x844")
        admin.set_viewport_size(DESKTOP["viewport"])

        # 2. Alice, in group sales, with a one-time password shown once.
        admin.goto(f"{base_url}/admin/users")
        admin.fill("#new-username", "alice")
        admin.fill("#new-display-name", "Alice")
        admin.fill("#new-groups", "sales")
        admin.click("#create button[type=submit]")
        expect(admin.locator("#made")).to_be_visible()
        alice_one_time = admin.locator("#made-password").inner_text()
        expect(admin.locator("#users tr", has_text="Alice")).to_contain_text("sales")
        admin.locator("#users a", has_text="Alice").click()
        expect(admin.locator("#detail-name")).to_have_text("Alice (alice)")
        admin.set_viewport_size(SMALL["viewport"])
        shoot(admin, "first-hour-users-390x844")
        admin.set_viewport_size(DESKTOP["viewport"])

        # 3. A key for the BI server: its command works as shown, and so does the README's.
        admin.goto(f"{base_url}/admin/integrations")
        admin.fill("#name", "bi-server")
        admin.check("input[value='reports:write']")
        admin.click("#create button[type=submit]")
        expect(admin.locator("#made-key")).to_have_text(re.compile(r"^gwk_"))
        key = admin.locator("#made-key").inner_text()
        assert '"id":"first-report"' in shell(admin.locator("#made-curl").inner_text(), base_url)
        registered = shell(readme_block("KEY=gwk_...   # the integration key\n"), base_url, KEY=key)
        assert '"users":["alice"]' in registered and '"groups":["sales"]' in registered
        admin.goto(f"{base_url}/admin/policies")
        expect(admin.locator("#in-effect")).to_contain_text("Version 1.0 is in effect")

        # 4. Alice's phone: her one-time password, then her own, on the same page.
        phone = browser.new_context(**{**PHONE, "device_scale_factor": 2}).new_page()
        phone.goto(f"{base_url}/app/sign-in")
        phone.fill("#username", "alice")
        phone.fill("#password", alice_one_time)
        phone.click("button[type=submit]")
        phone.fill("#new", ALICE_PASSWORD)
        phone.fill("#repeat", ALICE_PASSWORD)
        phone.click("#choose-password button[type=submit]")
        phone.wait_for_url(f"{base_url}/app/")

        # 5. A computer sent to sign in scans instead, and lands on Alice's home.
        desktop = browser.new_context(**DESKTOP).new_page()
        desktop.goto(f"{base_url}/home")
        desktop.get_by_role("link", name="Log in with your phone instead").click()
        expect(desktop.locator("#code")).to_have_text(CODE)
        expect(desktop.locator("#qr")).to_have_js_property("complete", True)
        phone.goto(decode_qr(desktop))
        phone.get_by_text("Tap the number the computer shows:").wait_for()
        expect(phone.locator("#decide .countdown")).to_have_text(re.compile(r"Decide within"))
        shoot(phone, "first-hour-phone-decision-390x844")
        desktop.locator("#number").wait_for(state="visible")
        phone.get_by_role("button", name=f"Number {desktop.locator('#number').text_content()}").click()
        phone.get_by_role("button", name="Confirm").click()
        desktop.wait_for_url(f"{base_url}/home")
        expect(desktop.locator("h1")).to_have_text("Welcome, Alice")

        # 6. The report from step 3 is on her home, and its page shows the preview code.
        desktop.get_by_role("link", name="Sales Q3").click()
        desktop.wait_for_url(f"{base_url}/reports/sales-q3")
        expect(desktop.locator("#code")).to_have_text(re.compile(r"\S"))
        expect(desktop.locator("#qr")).to_have_js_property("complete", True)
        shoot(desktop, "first-hour-report")
