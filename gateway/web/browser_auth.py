"""Browser sign-in for the desktop pages and the admin console (a cookie session), and
changing the password from a browser (the first thing a one-time password is good for)."""

from __future__ import annotations

from datetime import datetime, timedelta

from flask import Blueprint, Response, request
from pydantic import BaseModel, Field

from gateway.identity import accounts, devices, web_sessions
from gateway.identity.password_change import Changer
from gateway.web.api import Model, json_response, operation
from gateway.web.auth import (
    clear_session_cookie,
    current_web_session,
    session_cookie_name,
    set_session_cookie,
)
from gateway.web.context import client_ip, services
from gateway.web.limits import by_account, by_address, limiter, sign_in_limit
from gateway.web.oidc_logout import end_browser_session
from gateway.web.schemas import DeviceList, DeviceOut, PasswordChange, UserOut

bp = Blueprint("browser_auth", __name__, url_prefix="/api/v1/web")


class WebSignIn(Model):
    username: str = Field(min_length=1, max_length=64)
    password: str = Field(min_length=1, max_length=1024)


class SessionOut(BaseModel):
    user: UserOut
    csrf_token: str
    method: str
    expires_at: datetime


def start_session(user_id: str, method: str, status: int = 200) -> Response:
    """Open a new browser session for *user_id* (ending the one the browser had) and answer
    with it, setting the cookie."""
    svc = services()
    lifetime = timedelta(hours=svc.settings.web_session_hours)
    sessions = svc.identity.sessions
    session_id = sessions.sign_in(user_id, method, lifetime,
                                  replaces=request.cookies.get(session_cookie_name()),
                                  ip=client_ip())
    session = sessions.find(session_id)
    response = json_response(_session_out(session).model_dump(mode="json"), status)
    set_session_cookie(response, session_id)
    return response


def _session_out(session: web_sessions.WebSession) -> SessionOut:
    user = accounts.get_user(services().store, session.user_id)
    return SessionOut(
        user=UserOut.of(user), csrf_token=session.csrf_token, method=session.method,
        expires_at=session.expires_at,
    )


@bp.post("/sign-in")
@limiter.limit(sign_in_limit, key_func=by_address)
@limiter.limit(sign_in_limit, key_func=by_account)
@operation(summary="Sign a browser in with a password", tag="browser sign-in", body=WebSignIn,
           response=SessionOut, errors=(401, 429))
def sign_in(body: WebSignIn):
    svc = services()
    user = accounts.authenticate(svc.store, svc.passwords, body.username, body.password)
    return start_session(user.id, "password")


@bp.get("/session")
@operation(summary="The browser's session and its CSRF token", tag="browser sign-in",
           auth="web", response=SessionOut, before_password_change=True)
def session():
    return _session_out(current_web_session())


@bp.post("/sign-out")
@operation(summary="Sign the browser out", tag="browser sign-in", auth="web", status=204,
           before_password_change=True)
def sign_out():
    # The applications signed in through this session are signed out too (back-channel).
    end_browser_session()
    response = Response(status=204)
    clear_session_cookie(response)
    return response


@bp.post("/password")
@operation(summary="Change the signed-in user's password", tag="browser sign-in", auth="web",
           body=PasswordChange, response=SessionOut, errors=(400, 401),
           before_password_change=True)
def change_password(body: PasswordChange):
    svc = services()
    session = current_web_session()
    svc.identity.password_changes.change_password(
        session.user_id, current=body.current_password, new=body.new_password,
        sign_out_others=body.sign_out_other_devices,
        by=Changer(session_hash=session.id_hash, ip=client_ip()))
    return _session_out(svc.identity.sessions.find(request.cookies[session_cookie_name()]))


@bp.get("/devices")
@operation(summary="The signed-in browser user's phones", tag="devices", auth="web",
           response=DeviceList)
def list_devices():
    session = current_web_session()
    return DeviceList(devices=[DeviceOut.of(d) for d in
                               devices.list_devices(services().store, session.user_id)])


@bp.delete("/devices/<device_id>")
@operation(summary="Revoke one of the signed-in browser user's phones", tag="devices",
           auth="web", response=DeviceOut, errors=(404,))
def revoke_device(device_id: str):
    svc = services()
    return DeviceOut.of(svc.identity.devices.revoke(current_web_session().user_id, device_id))
