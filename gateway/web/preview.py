"""Scan to preview a report, over HTTP.

- The BI server (integration key, scope ``reports:write``) registers, replaces and removes
  reports: ``PUT``/``DELETE /api/v1/reports/<id>``.
- A signed-in viewer (browser session) lists the reports they may see, opens one, and asks
  for a preview QR; the report's owner and admins list and revoke its preview grants.
- A signed-in device opens a preview link and gets a grant in the response body; it sends
  the grant back in the ``X-Preview-Grant`` header, beside its own access token, to read the
  preview. A header rather than a cookie: the grant must travel with the device's token
  anyway (it is bound to that device), a header is never sent by the browser on its own (no
  CSRF, no ambient authority), works the same for the native app and the companion page,
  and never lands in a URL; the page fetches the snapshot with it and shows a blob: URL.
"""

from __future__ import annotations

from flask import Blueprint, Response, request

from gateway.core import qrimage
from gateway.core.tokens import digest
from gateway.reports import library as reports
from gateway.reports import preview, snapshots
from gateway.web.api import json_response, operation
from gateway.web.auth import (
    current_device,
    current_integration,
    current_web_session,
    session_cookie_name,
)
from gateway.web.context import client_ip, services
from gateway.web.limits import by_address, limiter
from gateway.web.pages import page, signed_in_page
from gateway.web.preview_schemas import (
    GrantIssued,
    GrantList,
    GrantOut,
    OpenPreview,
    PreviewContent,
    PreviewLinkOut,
    PreviewStatus,
    RegisterReport,
    ReportContent,
    ReportList,
    ReportListItem,
    ReportOut,
    ReportView,
    RevokedCount,
    RevokedGrant,
    seconds_left,
)

bp = Blueprint("preview", __name__)
GRANT_HEADER = "X-Preview-Grant"
SCOPE = "reports:write"
_GRANT_PARAMETER = {"parameters": [{
    "name": GRANT_HEADER, "in": "header", "required": True, "schema": {"type": "string"},
    "description": "The preview grant the open call answered with"}]}


def by_caller() -> str:
    """One bucket per device sign-in or browser session (a room of phones behind one NAT
    address must not share one)."""
    credential = (request.headers.get("Authorization", "")
                  or request.cookies.get(session_cookie_name(), ""))
    return "caller:" + digest(credential)[:32] if credential else f"ip:{client_ip()}"


def _image(media_type: str, data: bytes) -> Response:
    response = Response(data, mimetype=media_type)
    response.headers["Cache-Control"] = "no-store"
    return response


# -- the BI server --------------------------------------------------------------------------

@bp.put("/api/v1/reports/<report_id>")
@operation(summary="Register or replace a report and its preview content (201 when new)",
           tag="reports", auth="integration", scope=SCOPE, body=RegisterReport,
           response=ReportOut, errors=(400, 413, 415, 422))
def register_report(report_id: str, body: RegisterReport):
    svc = services()
    reports.check_id(report_id)
    snapshot = None
    if body.snapshot is not None:
        snapshot = snapshots.validate(
            body.snapshot.image(), declared=body.snapshot.media_type,
            max_bytes=svc.settings.preview_snapshot_max_bytes,
            max_pixels=svc.settings.preview_snapshot_max_pixels)
    report, created = svc.reports.library.register(
        report_id=report_id, title=body.title, owner=body.owner,
        users_=body.users, groups=body.groups, generated_at=body.generated_at,
        summary=body.summary, snapshot=snapshot, integration_id=current_integration(SCOPE).id)
    return json_response(ReportOut.of(report).model_dump(mode="json"), 201 if created else 200)


@bp.delete("/api/v1/reports/<report_id>")
@operation(summary="Remove a report; its preview links and grants end with it", tag="reports",
           auth="integration", scope=SCOPE, status=204, errors=(404,))
def remove_report(report_id: str):
    services().reports.library.remove(report_id, current_integration(SCOPE).id)
    return Response(status=204)


# -- viewers at a desktop ---------------------------------------------------------------------

@bp.get("/api/v1/reports")
@operation(summary="The reports the signed-in viewer may see", tag="reports", auth="web",
           response=ReportList)
def list_reports():
    session = current_web_session()
    found = services().reports.library.visible_to(session.user_id)
    return ReportList(reports=[ReportListItem(
        id=r.id, title=r.title, generated_at=r.generated_at, content=r.content_kind,
        can_manage=reports.may_manage(r, session.user_id, session.role)) for r in found])


@bp.get("/api/v1/reports/<report_id>")
@operation(summary="A report's preview content, for a viewer", tag="reports", auth="web",
           response=ReportView, errors=(404,))
def show_report(report_id: str):
    session = current_web_session()
    report = services().reports.library.for_viewer(report_id, session.user_id)
    return ReportView(**ReportContent.fields_of(report),
                      can_manage=reports.may_manage(report, session.user_id, session.role))


@bp.get("/api/v1/reports/<report_id>/snapshot")
@operation(summary="A report's snapshot image, for a viewer", tag="reports", auth="web",
           produces="image/*", errors=(404,))
def report_snapshot(report_id: str):
    return _image(*services().reports.library.viewer_snapshot(report_id,
                                                              current_web_session().user_id))


@bp.post("/api/v1/reports/<report_id>/preview-links")
@limiter.limit("30 per minute", key_func=by_caller)
@operation(summary="A preview link and its QR code (PNG and SVG) for a report one may see",
           tag="reports", auth="web", response=PreviewLinkOut, status=201, errors=(404, 429))
def create_preview_link(report_id: str):
    svc = services()
    link = svc.reports.previews.create_link(report_id=report_id,
                                            user_id=current_web_session().user_id,
                                            ip=client_ip())
    return PreviewLinkOut.of(link, svc.clock.now(), qrimage.render_svg(link.url),
                             qrimage.render_png(link.url))


@bp.get("/api/v1/reports/<report_id>/grants")
@operation(summary="The report's live preview grants (owner or admin)", tag="reports",
           auth="web", response=GrantList, errors=(404,))
def list_grants(report_id: str):
    session = current_web_session()
    report, active = services().reports.control.active_grants(
        report_id, user_id=session.user_id, role=session.role)
    return GrantList(report_id=report.id, report_title=report.title,
                     grants=[GrantOut.of(item) for item in active])


@bp.delete("/api/v1/reports/<report_id>/grants/<grant_id>")
@operation(summary="End one preview grant now (owner or admin)", tag="reports", auth="web",
           response=RevokedGrant, errors=(404,))
def revoke_grant(report_id: str, grant_id: str):
    session = current_web_session()
    grant = services().reports.control.revoke(report_id, grant_id, user_id=session.user_id,
                                              role=session.role, ip=client_ip())
    return RevokedGrant(id=grant.id, report_id=grant.report_id, revoked_at=grant.revoked_at,
                        revoked_reason=grant.revoked_reason)


@bp.delete("/api/v1/reports/<report_id>/grants")
@operation(summary="End every live preview grant of the report now (owner or admin)",
           tag="reports", auth="web", response=RevokedCount, errors=(404,))
def revoke_all_grants(report_id: str):
    session = current_web_session()
    count = services().reports.control.revoke_all(report_id, user_id=session.user_id,
                                                  role=session.role, ip=client_ip())
    return RevokedCount(revoked=count)


# -- phones -------------------------------------------------------------------------------------

@bp.post("/api/v1/previews/open")
@limiter.limit("30 per minute", key_func=by_caller)
@limiter.limit("600 per minute", key_func=by_address)
@operation(summary="Open a preview link on this device and get a preview grant",
           tag="previews", auth="device", body=OpenPreview, response=GrantIssued, status=201,
           errors=(400, 404, 410, 429))
def open_preview(body: OpenPreview):
    svc = services()
    principal = current_device()
    issued = svc.reports.previews.open_preview(
        user_id=principal.user_id, device_id=principal.device_id, token=body.token,
        code=body.code, via=body.via, ip=client_ip())
    return GrantIssued.of(issued, svc.clock.now())


def _use_grant():
    principal = current_device()
    token = request.headers.get(GRANT_HEADER, "").strip()
    if not token:
        raise preview.PreviewGrantInvalid("Send the preview grant in the {header} header.",
                                          params={"header": GRANT_HEADER})
    return token, principal


@bp.get("/api/v1/previews/current")
@operation(summary="Whether this device's preview grant still works", tag="previews",
           auth="device", response=PreviewStatus, errors=(410,), extra=_GRANT_PARAMETER)
def preview_status():
    svc = services()
    token, principal = _use_grant()
    grant, _ = svc.reports.previews.use_grant(token, user_id=principal.user_id,
                                              device_id=principal.device_id)
    return PreviewStatus(grant_id=grant.id, report_id=grant.report_id,
                         expires_at=grant.expires_at,
                         expires_in=seconds_left(grant.expires_at, svc.clock.now()))


@bp.get("/api/v1/previews/current/content")
@operation(summary="The previewed report: title, summary or snapshot details, and when the "
                   "preview ends", tag="previews", auth="device", response=PreviewContent,
           errors=(410,), extra=_GRANT_PARAMETER)
def preview_content():
    svc = services()
    token, principal = _use_grant()
    grant, report = svc.reports.previews.use_grant(token, user_id=principal.user_id,
                                                   device_id=principal.device_id)
    return PreviewContent(**ReportContent.fields_of(report), grant_id=grant.id,
                          expires_at=grant.expires_at,
                          expires_in=seconds_left(grant.expires_at, svc.clock.now()))


@bp.get("/api/v1/previews/current/snapshot")
@operation(summary="The previewed report's snapshot image", tag="previews", auth="device",
           produces="image/*", errors=(404, 410), extra=_GRANT_PARAMETER)
def preview_snapshot():
    token, principal = _use_grant()
    return _image(*services().reports.previews.grant_snapshot(
        token, user_id=principal.user_id, device_id=principal.device_id))


# -- pages --------------------------------------------------------------------------------------

@bp.get("/reports")
@operation(summary="The reports one may preview (desktop page)", tag="pages",
           produces="text/html")
def reports_page():
    return signed_in_page("reports.html")


@bp.get("/reports/<report_id>")
@operation(summary="A report with its preview QR code (desktop page)", tag="pages",
           produces="text/html")
def report_page(report_id: str):
    return signed_in_page("report.html")


@bp.get("/p/<token>")
@operation(summary="A preview link opened on a phone (mobile page)", tag="pages",
           produces="text/html")
def preview_link_page(token: str):
    return page("preview.html")


@bp.get("/app/preview")
@operation(summary="The preview on the phone, or a form for a typed code (mobile page)",
           tag="pages", produces="text/html")
def preview_page():
    return page("preview.html")
