"""Scan to preview over HTTP: QR for a viewer, open on a phone, grants bound to device and
report, checked again on every use, revocable, expiring; refusals that reveal nothing."""

import base64
import io
from types import SimpleNamespace

import pytest
import zxingcpp
from PIL import Image
from sqlalchemy import select

from gateway.core import audit
from gateway.core.tokens import digest
from gateway.reports.tables import preview_grants, preview_links
from tests.core.test_qrimage import rasterise_svg
from tests.preview_support import image_bytes, integration_key, register, snapshot
from tests.problems import assert_problem

TITLE = "Sales Q3 (secret)"


@pytest.fixture
def room(app, actions):
    """Olivia owns the report, Victor sees it through the group 'sales', Ursula does not."""
    olivia = actions.create_user("olivia")
    victor = actions.create_user("victor", groups=("sales",))
    ursula = actions.create_user("ursula", groups=("hr",))
    actions.create_user("root", role="admin")
    key = integration_key(app)
    assert register(app.test_client(), key).status_code == 201
    return SimpleNamespace(olivia=olivia, victor=victor, ursula=ursula, key=key,
                           svc=app.extensions["gateway"])


def desktop(app, actions, username):
    """A browser signed in as *username*: (client, headers with its CSRF token)."""
    browser = app.test_client()
    return browser, actions.web_sign_in(username, client=browser)


def new_link(app, actions, username="victor", report_id="sales-q3") -> dict:
    browser, headers = desktop(app, actions, username)
    response = browser.post(f"/api/v1/reports/{report_id}/preview-links", headers=headers)
    assert response.status_code == 201, response.get_json()
    return response.get_json()


def token_of(link: dict) -> str:
    return link["url"].rsplit("/p/", 1)[1]


def open_link(client, device, link, **body):
    return client.post("/api/v1/previews/open", headers=device.headers,
                       json={"token": token_of(link), **body})


def with_grant(device, grant: str) -> dict:
    return {**device.headers, "X-Preview-Grant": grant}


def content(client, device, grant):
    return client.get("/api/v1/previews/current/content", headers=with_grant(device, grant))


def problem_slug(response) -> str:
    return assert_problem(response, response.status_code)["type"].rsplit(":", 1)[1]


# -- the preview QR -------------------------------------------------------------------------

def test_a_viewer_gets_a_short_link_whose_png_and_svg_decode_to_it(app, actions, room):
    link = new_link(app, actions)
    token = token_of(link)
    assert link["url"] == f"https://gateway.test/p/{token}"
    assert len(base64.urlsafe_b64decode(token + "==")) >= 16  # >= 128 bits
    assert link["expires_in"] == 300
    png = Image.open(io.BytesIO(base64.b64decode(link["qr_png"])))
    assert [r.text for r in zxingcpp.read_barcodes(png)] == [link["url"]]
    assert [r.text for r in zxingcpp.read_barcodes(rasterise_svg(link["qr_svg"]))] == [link["url"]]
    assert png.size[0] <= (33 + 8) * 8  # version <= 4: quick to scan from across a room
    assert len(link["code"]) == 9 and link["code"][4] == "-"


def test_the_link_token_is_stored_only_as_its_hash(app, actions, room):
    token = token_of(new_link(app, actions))
    with room.svc.store.read() as connection:
        rows = connection.execute(select(preview_links)).all()
    assert [row.token_hash for row in rows] == [digest(token)]
    assert token not in str([tuple(row) for row in rows])


def test_no_qr_for_a_report_one_may_not_see_and_the_refusal_names_nothing(app, actions, room):
    browser, headers = desktop(app, actions, "ursula")
    response = browser.post("/api/v1/reports/sales-q3/preview-links", headers=headers)
    assert response.status_code == 403 and problem_slug(response) == "report-refused"
    assert TITLE not in response.get_data(as_text=True)
    shown = browser.get("/api/v1/reports/sales-q3")
    assert shown.status_code == 403 and TITLE not in shown.get_data(as_text=True)


def test_a_qr_needs_a_browser_session_and_its_csrf_token(app, actions, room, client):
    assert client.post("/api/v1/reports/sales-q3/preview-links").status_code == 401
    browser, _ = desktop(app, actions, "victor")
    response = browser.post("/api/v1/reports/sales-q3/preview-links")
    assert response.status_code == 403 and problem_slug(response) == "csrf-failed"


def test_an_unknown_report_is_a_clear_404(app, actions, room):
    browser, headers = desktop(app, actions, "victor")
    for response in (browser.get("/api/v1/reports/nope"),
                     browser.post("/api/v1/reports/nope/preview-links", headers=headers),
                     browser.get("/api/v1/reports/nope/grants")):
        assert response.status_code == 404 and problem_slug(response) == "report-not-found"


# -- opening on a phone ---------------------------------------------------------------------

def test_a_phone_opens_the_link_and_reads_the_preview(app, actions, room, client):
    link = new_link(app, actions)
    phone = actions.device_sign_in("victor")
    opened = open_link(client, phone, link)
    assert opened.status_code == 201, opened.get_json()
    body = opened.get_json()
    assert body["report_id"] == "sales-q3" and body["expires_in"] == 600
    assert "grant" not in opened.headers.get("Location", "")
    shown = content(client, phone, body["grant"])
    assert shown.status_code == 200
    page = shown.get_json()
    assert page["title"] == TITLE and page["content"] == "summary"
    assert page["summary"]["chart"]["kind"] == "bar" and page["expires_in"] == 600
    status = client.get("/api/v1/previews/current", headers=with_grant(phone, body["grant"]))
    assert status.get_json()["grant_id"] == body["grant_id"]


def test_every_opened_preview_is_in_the_operation_log_without_secrets(app, actions, room, client):
    link = new_link(app, actions)
    phone = actions.device_sign_in("victor")
    body = open_link(client, phone, link).get_json()
    with room.svc.store.read() as connection:
        [entry] = audit.recent(connection, action="preview.opened")
    assert (entry.actor, entry.device_id, entry.subject) == (room.victor.id, phone.device_id,
                                                             "sales-q3")
    assert entry.at == room.svc.clock.now()
    assert entry.details == {"grant": body["grant_id"], "via": "link"}
    assert token_of(link) not in str(entry) and body["grant"] not in str(entry)


def test_several_phones_may_open_one_link(app, actions, room, client):
    link = new_link(app, actions)
    for username, device_id in (("victor", "phone-0001"), ("olivia", "phone-0002"),
                                ("victor", "tablet-0003")):
        phone = actions.device_sign_in(username, device_id=device_id)
        assert open_link(client, phone, link).status_code == 201


def test_permissions_are_checked_when_the_link_is_opened(app, actions, room, client):
    link = new_link(app, actions)  # made while Victor was in 'sales'
    room.svc.identity.accounts.set_groups(room.victor.id, ())
    phone = actions.device_sign_in("victor")
    refused = open_link(client, phone, link)
    assert refused.status_code == 403 and problem_slug(refused) == "report-refused"
    assert TITLE not in refused.get_data(as_text=True)
    with room.svc.store.read() as connection:
        assert connection.execute(select(preview_grants)).first() is None
        assert audit.recent(connection, action="preview.opened") == []


def test_losing_access_ends_a_grant_already_held(app, actions, room, client):
    phone = actions.device_sign_in("victor")
    grant = open_link(client, phone, new_link(app, actions)).get_json()["grant"]
    room.svc.identity.accounts.set_groups(room.victor.id, ("hr",))
    refused = content(client, phone, grant)
    assert refused.status_code == 403 and problem_slug(refused) == "report-refused"
    assert TITLE not in refused.get_data(as_text=True)


def test_an_outsider_is_refused_without_learning_the_title(app, actions, room, client):
    link = new_link(app, actions)
    phone = actions.device_sign_in("ursula")
    refused = open_link(client, phone, link)
    assert refused.status_code == 403 and problem_slug(refused) == "report-refused"
    text = refused.get_data(as_text=True)
    assert TITLE not in text and "olivia" not in text


def test_a_report_registered_later_for_the_viewer_is_open_to_them(app, actions, room, client):
    room.svc.identity.accounts.set_groups(room.ursula.id, ("hr", "sales"))
    phone = actions.device_sign_in("ursula")
    assert open_link(client, phone, new_link(app, actions)).status_code == 201


# -- a grant is bound to one device and one report --------------------------------------------

def test_a_grant_used_from_another_device_is_refused(app, actions, room, client):
    phone = actions.device_sign_in("victor", device_id="phone-0001")
    tablet = actions.device_sign_in("victor", device_id="tablet-0002")
    stranger = actions.device_sign_in("olivia", device_id="phone-0003")
    grant = open_link(client, phone, new_link(app, actions)).get_json()["grant"]
    for other in (tablet, stranger):
        response = content(client, other, grant)
        assert response.status_code == 403 and problem_slug(response) == "preview-wrong-device"
    assert content(client, phone, grant).status_code == 200


def test_a_grant_shows_only_its_own_report(app, actions, room, client):
    register(client, room.key, "churn", title="Churn", users=("victor",), groups=())
    phone = actions.device_sign_in("victor")
    first = open_link(client, phone, new_link(app, actions)).get_json()
    second = open_link(client, phone, new_link(app, actions, report_id="churn")).get_json()
    assert content(client, phone, first["grant"]).get_json()["title"] == TITLE
    assert content(client, phone, second["grant"]).get_json()["title"] == "Churn"


def test_a_tampered_or_missing_grant_is_refused(app, actions, room, client):
    phone = actions.device_sign_in("victor")
    grant = open_link(client, phone, new_link(app, actions)).get_json()["grant"]
    header, payload, signature = grant.split(".")
    claims = base64.urlsafe_b64decode(payload + "==").replace(b"sales-q3", b"churn-q3")
    forged = ".".join([header, base64.urlsafe_b64encode(claims).decode().rstrip("="), signature])
    for bad in (forged, "not-a-grant", phone.access_token):
        response = content(client, phone, bad)
        assert response.status_code == 403 and problem_slug(response) == "preview-grant-invalid"
    missing = client.get("/api/v1/previews/current/content", headers=phone.headers)
    assert missing.status_code == 403 and problem_slug(missing) == "preview-grant-invalid"
    assert client.get("/api/v1/previews/current/content",
                      headers={"X-Preview-Grant": grant}).status_code == 401


# -- time -------------------------------------------------------------------------------------

def test_the_link_lives_five_minutes(app, actions, room, client, clock):
    link = new_link(app, actions)
    phone = actions.device_sign_in("victor")
    clock.advance(minutes=4, seconds=59)
    assert open_link(client, phone, link).status_code == 201
    clock.advance(seconds=1)
    expired = open_link(client, phone, link)
    assert expired.status_code == 410 and problem_slug(expired) == "preview-link-expired"


def test_an_unknown_or_mangled_token_is_refused(app, actions, room, client):
    phone = actions.device_sign_in("victor")
    unknown = client.post("/api/v1/previews/open", headers=phone.headers,
                          json={"token": "A" * 22})
    assert unknown.status_code == 404 and problem_slug(unknown) == "preview-link-unknown"
    for body in ({"token": "short"}, {"token": "A" * 22, "code": "ABCD-EFGH"}, {},
                 {"token": "A" * 22, "via": "telepathy"}, {"token": "<script>" * 3}):
        response = client.post("/api/v1/previews/open", headers=phone.headers, json=body)
        assert response.status_code == 422, body


def test_the_grant_lives_ten_minutes(app, actions, room, client, clock):
    phone = actions.device_sign_in("victor")
    grant = open_link(client, phone, new_link(app, actions)).get_json()["grant"]
    clock.advance(minutes=9, seconds=58)
    phone = actions.device_sign_in("victor")  # a fresh access token; the grant is older
    assert content(client, phone, grant).status_code == 200
    clock.advance(seconds=2)
    ended = content(client, phone, grant)
    assert ended.status_code == 410 and problem_slug(ended) == "preview-ended"
    assert ended.get_json()["reason"] == "expired"
    assert TITLE not in ended.get_data(as_text=True)


# -- control: list and revoke ---------------------------------------------------------------

def test_the_owner_lists_live_grants_and_revocation_takes_effect_on_the_next_request(
        app, actions, room, client):
    phone = actions.device_sign_in("victor")
    opened = open_link(client, phone, new_link(app, actions)).get_json()
    owner, headers = desktop(app, actions, "olivia")
    [listed] = owner.get("/api/v1/reports/sales-q3/grants").get_json()["grants"]
    assert (listed["id"], listed["username"], listed["device_model"]) == (
        opened["grant_id"], "victor", "Pixel 9")
    assert content(client, phone, opened["grant"]).status_code == 200
    revoked = owner.delete(f"/api/v1/reports/sales-q3/grants/{opened['grant_id']}",
                           headers=headers)
    assert revoked.status_code == 200 and revoked.get_json()["revoked_reason"] == "revoked"
    ended = content(client, phone, opened["grant"])
    assert ended.status_code == 410 and ended.get_json()["reason"] == "revoked"
    assert owner.get("/api/v1/reports/sales-q3/grants").get_json()["grants"] == []
    with room.svc.store.read() as connection:
        [entry] = audit.recent(connection, action="preview.revoked")
    assert entry.actor == room.olivia.id and entry.details == {"grant": opened["grant_id"]}


def test_an_admin_ends_every_preview_of_a_report(app, actions, room, client):
    grants = [open_link(client, actions.device_sign_in(name, device_id=f"phone-{name}"),
                        new_link(app, actions)).get_json() for name in ("victor", "olivia")]
    admin, headers = desktop(app, actions, "root")
    assert len(admin.get("/api/v1/reports/sales-q3/grants").get_json()["grants"]) == 2
    assert admin.delete("/api/v1/reports/sales-q3/grants", headers=headers).get_json() == {
        "revoked": 2}
    assert admin.get("/api/v1/reports/sales-q3/grants").get_json()["grants"] == []
    phone = actions.device_sign_in("victor", device_id="phone-victor")
    assert content(client, phone, grants[0]["grant"]).status_code == 410


def test_only_the_owner_and_admins_control_previews(app, actions, room):
    viewer, headers = desktop(app, actions, "victor")
    response = viewer.get("/api/v1/reports/sales-q3/grants")
    assert response.status_code == 403 and problem_slug(response) == "forbidden"
    assert viewer.delete("/api/v1/reports/sales-q3/grants", headers=headers).status_code == 403
    outsider, headers = desktop(app, actions, "ursula")
    response = outsider.get("/api/v1/reports/sales-q3/grants")
    assert response.status_code == 403 and problem_slug(response) == "report-refused"
    assert TITLE not in response.get_data(as_text=True)


def test_revoking_an_unknown_grant_is_a_404(app, actions, room):
    owner, headers = desktop(app, actions, "olivia")
    response = owner.delete("/api/v1/reports/sales-q3/grants/" + "0" * 32, headers=headers)
    assert response.status_code == 404 and problem_slug(response) == "preview-grant-not-found"


def test_revoking_the_device_ends_its_previews(app, actions, room, client):
    phone = actions.device_sign_in("victor", device_id="phone-0001")
    tablet = actions.device_sign_in("victor", device_id="tablet-0002")
    opened = open_link(client, phone, new_link(app, actions)).get_json()
    assert client.delete(f"/api/v1/devices/{phone.device_id}",
                         headers=tablet.headers).status_code == 200
    with room.svc.store.read() as connection:
        row = connection.execute(select(preview_grants)).one()
    assert row.id == opened["grant_id"] and row.revoked_reason == "device-revoked"


# -- camera consent ---------------------------------------------------------------------------

def test_only_a_scan_by_the_apps_own_camera_needs_camera_consent(app, actions, room, client):
    link = new_link(app, actions)
    phone = actions.device_sign_in("victor")
    refused = open_link(client, phone, link, via="app_camera")
    assert refused.status_code == 403 and problem_slug(refused) == "consent-required"
    assert refused.get_json()["purpose"] == "camera"
    assert open_link(client, phone, link, via="link").status_code == 201
    typed = client.post("/api/v1/previews/open", headers=phone.headers,
                        json={"code": link["code"]})
    assert typed.status_code == 201
    actions.grant(phone, "camera")
    assert open_link(client, phone, link, via="app_camera").status_code == 201
    with room.svc.store.read() as connection:
        vias = [e.details["via"] for e in audit.recent(connection, action="preview.opened")]
    assert sorted(vias) == ["app_camera", "link", "typed_code"]


def test_a_typed_code_forgives_case_spaces_and_dashes(app, actions, room, client, clock):
    code = new_link(app, actions)["code"]
    phone = actions.device_sign_in("victor")
    typed = code.lower().replace("-", " ")  # "abcd efgh"
    assert client.post("/api/v1/previews/open", headers=phone.headers,
                       json={"code": typed}).status_code == 201
    clock.advance(minutes=6)
    expired = client.post("/api/v1/previews/open", headers=phone.headers, json={"code": code})
    assert expired.status_code == 410
    wrong = client.post("/api/v1/previews/open", headers=phone.headers, json={"code": "BBBB-BBBB"})
    assert wrong.status_code == 404 and problem_slug(wrong) == "preview-link-unknown"


# -- snapshots --------------------------------------------------------------------------------

def test_a_snapshot_preview_is_served_to_the_phone_and_the_desktop(app, actions, room, client):
    png = image_bytes("PNG", (120, 80))
    response = register(client, room.key, snapshot=snapshot(png, "image/png"))
    assert response.status_code == 200 and response.get_json()["content"] == "snapshot"
    phone = actions.device_sign_in("victor")
    grant = open_link(client, phone, new_link(app, actions)).get_json()["grant"]
    page = content(client, phone, grant).get_json()
    assert page["snapshot"] == {"media_type": "image/png", "width": 120, "height": 80}
    assert page["summary"] is None
    image = client.get("/api/v1/previews/current/snapshot", headers=with_grant(phone, grant))
    assert image.status_code == 200 and image.mimetype == "image/png"
    assert image.headers["Cache-Control"] == "no-store"
    assert Image.open(io.BytesIO(image.data)).size == (120, 80)
    browser, _ = desktop(app, actions, "victor")
    assert browser.get("/api/v1/reports/sales-q3/snapshot").mimetype == "image/png"
    outsider, _ = desktop(app, actions, "ursula")
    assert outsider.get("/api/v1/reports/sales-q3/snapshot").status_code == 403


def test_a_summary_report_has_no_snapshot_to_fetch(app, actions, room, client):
    browser, _ = desktop(app, actions, "victor")
    response = browser.get("/api/v1/reports/sales-q3/snapshot")
    assert response.status_code == 404 and problem_slug(response) == "report-not-found"


# -- removal and listing ----------------------------------------------------------------------

def test_removing_a_report_ends_its_previews(app, actions, room, client):
    phone = actions.device_sign_in("victor")
    grant = open_link(client, phone, new_link(app, actions)).get_json()["grant"]
    assert client.delete("/api/v1/reports/sales-q3", headers=room.key).status_code == 204
    ended = content(client, phone, grant)
    assert ended.status_code == 410 and ended.get_json()["reason"] == "removed"
    again = client.delete("/api/v1/reports/sales-q3", headers=room.key)
    assert again.status_code == 404 and problem_slug(again) == "report-not-found"


def test_a_viewer_lists_only_the_reports_they_may_see(app, actions, room, client):
    register(client, room.key, "hr-costs", title="HR costs", groups=("hr",))
    for username, expected in (("victor", ["sales-q3"]), ("ursula", ["hr-costs"]),
                               ("olivia", ["hr-costs", "sales-q3"]), ("root", [])):
        browser, _ = desktop(app, actions, username)
        listed = browser.get("/api/v1/reports").get_json()["reports"]
        assert sorted(r["id"] for r in listed) == expected, username


@pytest.mark.parametrize("path", ["/reports", "/reports/sales-q3", "/p/abcdefghijklmnopqrstuv",
                                  "/app/preview"])
def test_the_pages_are_served_under_the_strict_csp(client, actions, path):
    actions.create_user("olivia")
    actions.web_sign_in("olivia")  # the desktop pages are a signed-in browser's
    response = client.get(path)
    assert response.status_code == 200 and response.mimetype == "text/html"
    assert "script-src 'self'" in response.headers["Content-Security-Policy"]
    assert response.headers["Referrer-Policy"] == "no-referrer"


@pytest.mark.parametrize("path", ["/reports", "/reports/sales-q3"])
def test_a_signed_out_browser_is_sent_to_sign_in_and_back(client, path):
    response = client.get(path)
    assert response.status_code == 302
    assert response.headers["Location"] == f"/sign-in?next={path.replace('/', '%2F')}"
