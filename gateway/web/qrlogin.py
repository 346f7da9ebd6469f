"""Scan to log in over HTTP: the desktop browser's calls (start, status, wait, draw the
code, redeem), the phone's calls (scan, type the code, confirm, deny), and their pages."""

from __future__ import annotations

from datetime import timedelta

from flask import Blueprint, render_template, request
from flask_babel import gettext as _

from gateway.core import useragent
from gateway.identity import accounts, devices
from gateway.push import announcements
from gateway.qrlogin import logins
from gateway.qrlogin.phone import Phone
from gateway.web import qrflows, streams, waiting
from gateway.web.api import json_response, operation
from gateway.web.auth import current_device, session_cookie_name, set_session_cookie
from gateway.web.context import client_ip, services
from gateway.web.headers import CSP
from gateway.web.limits import by_address, limiter
from gateway.web.pages import page
from gateway.web.qrlogin_schemas import (
    CodeIn,
    ConfirmIn,
    DecisionOut,
    DenyIn,
    HoldIn,
    HoldOut,
    RedeemOut,
    ScanIn,
    ScanOut,
    StartIn,
    StartOut,
    StatusOut,
    Wait,
    WaitQuery,
    status_json,
)
from gateway.web.schemas import UserOut

bp = Blueprint("qrlogin", __name__)
API = "/api/v1/qr-logins"
COOKIE = "gw_qr"
COOKIE_SECONDS = int((logins.LIFETIME + logins.REDEEM_WINDOW).total_seconds())
FINAL = ("confirmed", "redeemed", "denied", "expired")


# -- the desktop browser ----------------------------------------------------------------------



@bp.post(API)
@limiter.limit(qrflows.start_limit, key_func=by_address)
@operation(summary="Start a QR login (anonymous browser)", tag="qr login", body=StartIn,
           response=StartOut, status=201, errors=(400, 410, 429))
def start(body: StartIn):
    svc = services()
    requester = useragent.describe(request.user_agent.string, client_ip(),
                                   svc.settings.geoip_database)
    browser = svc.qrlogin.browser
    if body.oidc:  # refused before a login is made for it
        svc.oidc.requests.find(body.oidc)
    started = browser.start(requester, return_to=body.return_to,
                            allowed_return_urls=svc.settings.return_urls,
                            return_state=body.state, nonce=body.nonce)
    login = started.login
    if body.oidc:  # the phone will name the application asking
        svc.oidc.requests.attach_login(body.oidc, login.id)
    # Read once into the cache: the browser's polls that follow cost no store read.
    status = browser.status(login.id, started.browser_secret, cached=True)
    token = browser.current_link_token(login.id, started.browser_secret)
    out = StartOut(
        **StatusOut.of(status, svc.clock.now()).model_dump(),
        rotates_every=logins.ROTATION.total_seconds(), qr=qrflows.link("q", token),
        qr_png_url=f"{API}/{login.id}/qr.png", qr_svg_url=f"{API}/{login.id}/qr.svg",
        code=started.code, csrf_token=started.csrf_token,
        wait=Wait(events=f"{API}/{login.id}/events", poll=f"{API}/{login.id}/wait"),
    )
    response = json_response(out.model_dump(mode="json"), 201)
    qrflows.set_cookie(response, COOKIE, started.browser_secret, COOKIE_SECONDS)
    return response


def _reader(login_id: str):
    svc, secret = services(), qrflows.cookie(COOKIE)
    return lambda: svc.qrlogin.browser.status(login_id, secret, cached=True)


@bp.get(f"{API}/<login_id>")
@operation(summary="Where a QR login stands (for the browser that started it)",
           tag="qr login", response=StatusOut, errors=(401, 403, 404))
def status(login_id: str):
    svc = services()
    found = svc.qrlogin.browser.status(login_id, qrflows.cookie(COOKIE), cached=True)
    return json_response(status_json(found, svc.clock.now()))


@bp.get(f"{API}/<login_id>/wait")
@operation(summary="Where a QR login stands once it differs from `known` (long poll)",
           tag="qr login", query=WaitQuery, response=StatusOut, errors=(401, 403, 404))
def wait(login_id: str, query: WaitQuery):
    svc = services()
    found = waiting.long_poll(svc.events, logins.channel(login_id), _reader(login_id),
                              svc.clock, query.known, query.seconds, FINAL)
    return json_response(status_json(found, svc.clock.now()))


@bp.get(f"{API}/<login_id>/events")
@operation(summary="Server-Sent Events of a QR login's state", tag="qr login",
           produces="text/event-stream", errors=(401, 403, 404, 429, 503))
def events(login_id: str):
    svc = services()
    read = _reader(login_id)
    read()  # refuse another browser before the stream starts
    frames = waiting.stream(
        svc.events, logins.channel(login_id), read,
        lambda: svc.qrlogin.browser.expire(login_id), svc.clock, FINAL,
        slot=streams.claim())
    return waiting.sse_response(frames)


def _qr_image(login_id: str, kind: str):
    token = services().qrlogin.browser.current_link_token(login_id, qrflows.cookie(COOKIE))
    return qrflows.image(qrflows.link("q", token), kind)


@bp.get(f"{API}/<login_id>/qr.svg")
@operation(summary="The QR code in force as SVG (the browser that started it)",
           tag="qr login", produces="image/svg+xml", errors=(401, 403, 404, 409, 410))
def qr_svg(login_id: str):
    return _qr_image(login_id, "svg")


@bp.get(f"{API}/<login_id>/qr.png")
@operation(summary="The QR code in force as PNG (the browser that started it)",
           tag="qr login", produces="image/png", errors=(401, 403, 404, 409, 410))
def qr_png(login_id: str):
    return _qr_image(login_id, "png")


@bp.post(f"{API}/<login_id>/redeem")
@operation(summary="Finish a confirmed QR login: a new browser session and the assertion",
           tag="qr login", response=RedeemOut, errors=(401, 403, 404, 409, 410))
def redeem(login_id: str):
    svc = services()
    done = svc.qrlogin.browser.redeem(
        login_id=login_id,
        browser_secret=qrflows.cookie(COOKIE), csrf_token=request.headers.get("X-CSRF-Token"),
        audience=svc.settings.bi_client_id,
        session_lifetime=timedelta(hours=svc.settings.web_session_hours),
        replaces=request.cookies.get(session_cookie_name()), ip=client_ip(),
    )
    announcements.new_sign_in(svc.store, svc.clock, user_id=done.user_id,
                              requester=done.login.requester, notice_id=done.login.id,
                              default_language=svc.settings.default_language)
    session = svc.identity.sessions.find(done.session_id)
    out = RedeemOut(
        user=UserOut.of(accounts.get_user(svc.store, done.user_id)),
        csrf_token=session.csrf_token, method=session.method, expires_at=session.expires_at,
        assertion=done.assertion, return_url=done.login.return_url,
        return_state=done.login.return_state,
    )
    response = json_response(out.model_dump(mode="json"))
    set_session_cookie(response, done.session_id)
    qrflows.clear_cookie(response, COOKIE)
    return response


# -- the phone --------------------------------------------------------------------------------

def _phone() -> Phone:
    principal = current_device()
    device = devices.get_device(services().store, principal.device_id)
    where = useragent.describe(None, client_ip(), services().settings.geoip_database)
    return Phone(principal.user_id, principal.device_id, device.public_key, where)


def _application(login_id: str) -> str | None:
    """The application an OpenID Connect sign-in is for, in the phone's words."""
    asking = services().oidc.requests.asking(login_id)
    if asking is None:
        return None
    return _("%(name)s at %(host)s", name=asking.name, host=asking.host) if asking.host else asking.name


@bp.post(f"{API}/scan")
@limiter.limit(qrflows.scan_limit, key_func=qrflows.by_device)
@limiter.limit(qrflows.scan_limit, key_func=by_address)
@operation(summary="Scan a QR login's code (phone): who is asking, and three numbers",
           tag="qr login", auth="device", body=ScanIn, response=ScanOut,
           errors=(403, 404, 409, 410, 429))
def scan(body: ScanIn):
    scanned = services().qrlogin.phone.scan(token=body.token, hold=body.hold, phone=_phone(),
                                            via=body.via)
    return ScanOut.of(scanned, services().clock.now(), _application(scanned.login.id))


@bp.post(f"{API}/hold")
@limiter.limit(qrflows.scan_limit, key_func=by_address)
@operation(summary="Hold a QR login's code while the phone signs in (anonymous): the code "
                   "may rotate meanwhile, the hold stays good for the login's lifetime",
           tag="qr login", body=HoldIn, response=HoldOut, errors=(404, 409, 410, 429))
def hold(body: HoldIn):
    svc = services()
    held, login = svc.qrlogin.phone.hold(body.token)
    left = int((login.expires_at - svc.clock.now()).total_seconds())
    return HoldOut(hold=held, expires_in=max(0, left))


@bp.post(f"{API}/code")
@limiter.limit(qrflows.code_limit, key_func=qrflows.by_device)
@limiter.limit(qrflows.code_limit, key_func=by_address)
@operation(summary="Type a QR login's code (phone): like a scan", tag="qr login",
           auth="device", body=CodeIn, response=ScanOut, errors=(403, 404, 409, 410, 429))
def code(body: CodeIn):
    scanned = services().qrlogin.phone.scan_code(code=body.code, phone=_phone())
    return ScanOut.of(scanned, services().clock.now(), _application(scanned.login.id))


@bp.post(f"{API}/<login_id>/confirm")
@operation(summary="Confirm a scanned QR login with the number shown (phone)",
           tag="qr login", auth="device", body=ConfirmIn, response=DecisionOut,
           errors=(403, 404, 409, 410))
def confirm(login_id: str, body: ConfirmIn):
    login = services().qrlogin.phone.confirm(login_id=login_id, phone=_phone(),
                                             number=body.number, proof=body.proof,
                                             ip=client_ip())
    return DecisionOut(id=login.id, state=login.state)


@bp.post(f"{API}/<login_id>/deny")
@operation(summary="Refuse a scanned QR login (phone)", tag="qr login", auth="device",
           body=DenyIn, response=DecisionOut, errors=(404, 409, 410))
def deny(login_id: str, body: DenyIn):
    login = services().qrlogin.phone.deny(login_id=login_id, phone=_phone(), ip=client_ip())
    return DecisionOut(id=login.id, state=login.state)


# -- pages ------------------------------------------------------------------------------------

def _origin(url: str) -> str:
    scheme, _, rest = url.partition("://")
    return f"{scheme}://{rest.split('/', 1)[0]}"


@bp.get("/login")
@operation(summary="The desktop login page: a QR code to scan with the phone",
           tag="pages", produces="text/html")
def login_page():
    response = page("login.html")
    if request.args.get("oidc") and not services().settings.oidc_password_fallback:
        # An application's sign-in where the operator allows only the phone.
        response.set_data(render_template("login.html", password_fallback=False))
    origins = sorted({_origin(url) for url in services().settings.return_urls})
    if origins:  # the assertion is posted to the return URL, so the form may go there
        response.headers["Content-Security-Policy"] = CSP.replace(
            "form-action 'self'", "form-action 'self' " + " ".join(origins))
    return response


@bp.get("/q/<token>")
@operation(summary="The companion page a scanned QR login code opens on the phone",
           tag="pages", produces="text/html")
def scan_page(token: str):
    return page("qr-scan.html")


@bp.get("/app/code")
@operation(summary="The companion page to type a sign-in code", tag="pages",
           produces="text/html")
def code_page():
    return page("app-code.html")
