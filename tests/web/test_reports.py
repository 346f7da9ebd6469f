"""The BI server registers reports with an integration key: bad input is a clear problem and
stores nothing."""

import copy
import io
import random
import struct
import zlib

import pytest
from PIL import Image
from sqlalchemy import func, select

from gateway.core import audit
from gateway.reports.tables import report_snapshots, reports
from tests.preview_support import (
    SUMMARY,
    image_bytes,
    integration_key,
    register,
    report_body,
    snapshot,
)
from tests.problems import assert_problem


@pytest.fixture
def key(app, actions):
    actions.create_user("olivia")
    actions.create_user("victor")
    return integration_key(app)


def stored_reports(app) -> int:
    with app.extensions["gateway"].store.read() as connection:
        return connection.execute(select(func.count()).select_from(reports)).scalar_one()


def assert_refused(app, response, status, slug):
    assert_problem(response, status, ":" + slug)
    assert stored_reports(app) == 0


def test_a_report_is_registered_then_replaced_by_a_second_call(app, client, key):
    first = register(client, key, users=("victor",), groups=("sales", "board"))
    assert first.status_code == 201
    body = first.get_json()
    assert (body["owner"], body["users"], body["groups"], body["content"]) == (
        "olivia", ["victor"], ["board", "sales"], "summary")
    second = register(client, key, title="Sales Q3, final", groups=())
    assert second.status_code == 200
    body = second.get_json()
    assert (body["title"], body["users"], body["groups"]) == ("Sales Q3, final", [], [])
    assert body["registered_at"] == first.get_json()["registered_at"]
    with app.extensions["gateway"].store.read() as connection:
        actions = [op.action for op in audit.recent(connection) if op.action.startswith("report.")]
    assert actions == ["report.updated", "report.registered"]


def test_registering_needs_a_live_key_with_the_reports_scope(app, client, key):
    assert_refused(app, client.put("/api/v1/reports/r1", json=report_body()), 401,
                   "unauthenticated")
    push_only = integration_key(app, scopes=("push:send",), name="pusher")
    assert_refused(app, register(client, push_only, "r1"), 403, "forbidden")
    svc = app.extensions["gateway"]
    [integration] = [i for i in svc.identity.integrations.list_all() if i.name == "bi-server"]
    svc.identity.integrations.revoke(integration.id, None)
    assert_refused(app, register(client, key, "r1"), 401, "token-invalid")


def test_a_browser_session_cannot_register_reports(app, client, actions, key):
    headers = actions.web_sign_in("olivia")
    response = client.put("/api/v1/reports/r1", headers=headers, json=report_body())
    assert_refused(app, response, 401, "unauthenticated")


def test_unknown_users_are_named_and_nothing_is_stored(app, client, key):
    response = register(client, key, owner="nobody")
    assert_refused(app, response, 422, "unknown-users")
    assert response.get_json()["users"] == ["nobody"]
    response = register(client, key, users=("victor", "ghost", "phantom"))
    assert_refused(app, response, 422, "unknown-users")
    assert response.get_json()["users"] == ["ghost", "phantom"]


@pytest.mark.parametrize("report_id", ["-leading-dash", "x" * 129, "sp ace", "ünï"])
def test_a_bad_report_id_is_refused(app, client, key, report_id):
    assert_refused(app, register(client, key, report_id), 400, "invalid-request")


def test_a_bad_group_name_or_a_future_generation_time_is_refused(app, client, key):
    assert_refused(app, register(client, key, groups=("<b>",)), 400, "invalid-request")
    response = client.put("/api/v1/reports/r1", headers=key, json={
        **report_body(), "generated_at": "2030-01-01T00:00:00Z"})
    assert_refused(app, response, 400, "invalid-request")
    response = client.put("/api/v1/reports/r1", headers=key, json={
        **report_body(), "generated_at": "2026-11-28T10:00:00"})  # no time zone
    assert_refused(app, response, 422, "validation-failed")


def broken(path: str, value):
    """SUMMARY with the item at the dotted *path* replaced by *value* (or removed)."""
    summary = copy.deepcopy(SUMMARY)
    *parents, last = path.split(".")
    node = summary
    for part in parents:
        node = node[int(part)] if part.isdigit() else node[part]
    if value is _REMOVE:
        del node[int(last) if last.isdigit() else last]
    elif last.isdigit():
        node[int(last)] = value
    else:
        node[last] = value
    return summary


_REMOVE = object()


@pytest.mark.parametrize("summary, field", [
    (broken("table.rows.0", ["North", 1]), "summary.table"),
    (broken("chart.series.0.values", [1, 2, 3]), "summary.chart"),
    (broken("chart.kind", "pie"), "summary.chart.kind"),
    (broken("table.rows", [["a", 1, 2]] * 21), "summary.table.rows"),
    (broken("chart.categories", [f"c{i}" for i in range(61)]), "summary.chart.categories"),
    (broken("key_figures", [{"label": "x", "value": 1}] * 9), "summary.key_figures"),
    (broken("key_figures.0.value", True), "summary.key_figures.0.value"),
    (broken("key_figures.0.value", {"nested": 1}), "summary.key_figures.0.value"),
    (broken("key_figures.0.label", ""), "summary.key_figures.0.label"),
    (broken("key_figures.0.surprise", 1), "summary.key_figures.0.surprise"),
    (broken("table.columns", []), "summary.table.columns"),
    (broken("chart.series", []), "summary.chart.series"),
    ({}, "summary"),
    ({"key_figures": [], "table": None, "chart": None}, "summary"),
])
def test_a_summary_that_does_not_fit_its_schema_is_refused(app, client, key, summary, field):
    response = register(client, key, summary=summary)
    assert_refused(app, response, 422, "validation-failed")
    fields = [error["field"] for error in response.get_json()["errors"]]
    assert any(f.startswith(field) for f in fields), fields


def test_numbers_must_be_finite(app, client, key):
    text = ('{"title": "t", "owner": "olivia", "summary": {"key_figures": '
            '[{"label": "x", "value": 1e999}]}}')
    response = client.put("/api/v1/reports/r1", headers={**key, "Content-Type": "application/json"},
                          data=text)
    assert_refused(app, response, 422, "validation-failed")


@pytest.mark.parametrize("content", [
    {"summary": SUMMARY, "snapshot": snapshot(image_bytes())},
    {"summary": None},
])
def test_exactly_one_kind_of_content(app, client, key, content):
    response = client.put("/api/v1/reports/r1", headers=key, json={
        "title": "t", "owner": "olivia", **content})
    assert_refused(app, response, 422, "validation-failed")


# -- snapshots --------------------------------------------------------------------------------

def png_claiming(width: int, height: int, rows: int = 0) -> bytes:
    """A 1-bit PNG whose header claims width x height, with *rows* rows of (zero) data."""
    def chunk(kind, data):
        return (struct.pack(">I", len(data)) + kind + data
                + struct.pack(">I", zlib.crc32(kind + data)))
    raw = (b"\x00" + b"\x00" * ((width + 7) // 8)) * rows
    header = struct.pack(">IIBBBBB", width, height, 1, 0, 0, 0, 0)  # 1-bit grayscale
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header)
            + chunk(b"IDAT", zlib.compress(raw, 9)) + chunk(b"IEND", b""))


def test_a_png_and_a_jpeg_snapshot_are_accepted(app, client, key):
    for fmt, media_type in (("PNG", "image/png"), ("JPEG", "image/jpeg")):
        response = register(client, key, snapshot=snapshot(image_bytes(fmt), media_type))
        assert response.status_code in (200, 201), response.get_json()
        assert response.get_json()["snapshot"] == {"media_type": media_type, "width": 64,
                                                   "height": 48}
    # No declared type at all: the decoder decides.
    assert register(client, key, snapshot=snapshot(image_bytes("PNG"))).status_code == 200


def test_an_oversized_snapshot_is_refused(app, client, key):
    app.extensions["gateway"].settings = app.extensions["gateway"].settings.replace(
        preview_snapshot_max_bytes=10_000)
    noise = Image.frombytes("RGB", (100, 100), random.Random(5).randbytes(100 * 100 * 3))
    out = io.BytesIO()
    noise.save(out, "PNG")
    assert len(out.getvalue()) > 10_000
    assert_refused(app, register(client, key, snapshot=snapshot(out.getvalue())), 413,
                   "snapshot-too-large")


def test_a_body_larger_than_the_gateway_accepts_is_refused(app, client, key):
    app.config["MAX_CONTENT_LENGTH"] = 50_000
    big = snapshot(b"\x89PNG" + bytes(60_000))
    assert_refused(app, register(client, key, snapshot=big), 413, "body-too-large")


def test_a_decompression_bomb_is_refused_before_it_is_decoded(app, client, key):
    bomb = png_claiming(8_000, 8_000, rows=8_000)  # 64 megapixels in a few kilobytes
    assert len(bomb) < 100_000
    assert_refused(app, register(client, key, snapshot=snapshot(bomb)), 413, "snapshot-too-large")
    # Without any pixel data, decoding would fail as unreadable: the size check came first.
    header_only = png_claiming(8_000, 8_000)
    assert_refused(app, register(client, key, snapshot=snapshot(header_only)), 413,
                   "snapshot-too-large")
    giant = png_claiming(100_000, 100_000)  # past Pillow's own bomb limit too
    assert_refused(app, register(client, key, snapshot=snapshot(giant)), 413, "snapshot-too-large")


@pytest.mark.parametrize("data, slug, status", [
    (b"%PDF-1.7 not an image", "snapshot-unsupported", 415),
    (b"<svg xmlns='http://www.w3.org/2000/svg'/>", "snapshot-unsupported", 415),
    (image_bytes("GIF"), "snapshot-unsupported", 415),
    (image_bytes("WEBP"), "snapshot-unsupported", 415),
    (image_bytes("PNG")[:60], "snapshot-unreadable", 422),
    (image_bytes("JPEG")[:300], "snapshot-unreadable", 422),
    (image_bytes("JPEG")[:-100], "snapshot-unreadable", 422),
])
def test_a_snapshot_that_is_not_a_whole_png_or_jpeg_is_refused(app, client, key, data, slug,
                                                               status):
    assert_refused(app, register(client, key, snapshot=snapshot(data)), status, slug)


def test_a_snapshot_whose_declared_type_lies_is_refused(app, client, key):
    response = register(client, key, snapshot=snapshot(image_bytes("JPEG"), "image/png"))
    assert_refused(app, response, 422, "snapshot-type-mismatch")
    assert response.get_json()["found"] == "image/jpeg"


def test_snapshot_data_that_is_not_base64_is_refused(app, client, key):
    response = register(client, key, snapshot={"data": "not base64!!", "media_type": "image/png"})
    assert_refused(app, response, 422, "validation-failed")


def test_a_stored_snapshot_keeps_no_exif(app, client, key):
    exif = Image.Exif()
    exif[0x010F] = "PhoneMaker"  # Make
    exif[0x8825] = {1: "N", 2: (48.0, 51.0, 24.0)}  # GPS
    response = register(client, key, snapshot=snapshot(image_bytes("JPEG", exif=exif)))
    assert response.status_code == 201
    with app.extensions["gateway"].store.read() as connection:
        data = connection.execute(select(report_snapshots.c.data)).scalar_one()
    stored = Image.open(io.BytesIO(data))
    assert stored.format == "JPEG" and not stored.getexif()
    assert b"PhoneMaker" not in data


def test_removing_an_unknown_report_is_a_404(app, client, key):
    response = client.delete("/api/v1/reports/nope", headers=key)
    assert response.status_code == 404
    assert response.get_json()["type"].endswith(":report-not-found")
