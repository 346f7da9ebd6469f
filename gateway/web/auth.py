"""Who is calling: a device with a bearer token, or a browser with a session cookie.

Browser calls that change state must also carry the session's CSRF token in the
``X-CSRF-Token`` header; the cookie alone is never enough.

A user who still has a one-time password (``must_change_password``) gets
``PasswordChangeRequired`` from every endpoint, whether it is called from a browser or a
device, except those declared ``before_password_change=True`` (changing the password,
signing out, who am I): enforced here, where every caller is identified, so no view can
forget it.
"""

from __future__ import annotations

from flask import g, request

from gateway.core.errors import CsrfFailed, Forbidden, PasswordChangeRequired, Unauthenticated
from gateway.identity import integrations
from gateway.identity.device_tokens import DevicePrincipal
from gateway.identity.integrations import Integration
from gateway.identity.web_sessions import WebSession
from gateway.web.context import services

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
CSRF_HEADER = "X-CSRF-Token"


def session_cookie_name() -> str:
    """``__Host-`` cookies are only kept over HTTPS, so the prefix follows the public URL."""
    return "__Host-gw_session" if services().settings.https else "gw_session"


def set_session_cookie(response, session_id: str) -> None:
    settings = services().settings
    response.set_cookie(
        session_cookie_name(),
        session_id,
        max_age=settings.web_session_hours * 3600,
        path="/",
        secure=settings.https,
        httponly=True,
        samesite="Lax",
    )


def clear_session_cookie(response) -> None:
    settings = services().settings
    response.delete_cookie(
        session_cookie_name(), path="/", secure=settings.https, httponly=True, samesite="Lax"
    )


def allow_before_password_change(allowed: bool) -> None:
    """Let this request's endpoint serve a user who must still change a one-time password
    (the operation wrapper says so for the few endpoints declared that way)."""
    g.before_password_change = allowed


def _check_password_changed(must_change_password: bool) -> None:
    if must_change_password and not g.get("before_password_change", False):
        raise PasswordChangeRequired(
            "This account still has its one-time password. Change it first "
            "(POST /api/v1/web/password or /api/v1/me/password).")


def current_device() -> DevicePrincipal:
    """The device behind the request's bearer token. Raises ``Unauthenticated`` when there
    is none, ``TokenInvalid``/``TokenExpired`` when it does not check out and
    ``PasswordChangeRequired`` while its user must change a one-time password."""
    if "device" not in g:
        scheme, _, token = request.headers.get("Authorization", "").partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            raise Unauthenticated("Send the device's access token as 'Authorization: Bearer ...'.")
        svc = services()
        g.device = svc.identity.tokens.authenticate(token.strip())
    _check_password_changed(g.device.must_change_password)
    return g.device


def current_integration(scope: str) -> Integration:
    """The integration behind the request's ``Authorization: Bearer gwk_...`` key, checked
    for *scope*. Raises ``Unauthenticated``, ``TokenInvalid`` or ``Forbidden``."""
    if "integration" not in g:
        scheme, _, key = request.headers.get("Authorization", "").partition(" ")
        if scheme.lower() != "bearer" or not key.strip():
            raise Unauthenticated("Send the integration key as 'Authorization: Bearer gwk_...'.")
        svc = services()
        g.integration = integrations.authenticate(svc.store, svc.clock, key.strip(), scope)
    return g.integration


def optional_web_session() -> WebSession | None:
    """The browser's live session, or None."""
    if "web_session" not in g:
        session_id = request.cookies.get(session_cookie_name())
        svc = services()
        g.web_session = svc.identity.sessions.find(session_id) if session_id else None
    return g.web_session


def current_web_session(*, admin: bool = False) -> WebSession:
    """The browser's session, its CSRF token checked on state-changing methods.

    Raises ``Unauthenticated`` without a live session, ``CsrfFailed`` without the right
    token, ``PasswordChangeRequired`` while the user must change a one-time password, and
    ``Forbidden`` when *admin* is asked for and the user is not one.
    """
    session = optional_web_session()
    if session is None:
        raise Unauthenticated("Sign in first.")
    if request.method not in SAFE_METHODS and not session.csrf_matches(
        request.headers.get(CSRF_HEADER)
    ):
        raise CsrfFailed("Send the session's CSRF token in the {header} header.",
                         params={"header": CSRF_HEADER})
    _check_password_changed(session.must_change_password)
    if admin and session.role != "admin":
        raise Forbidden("Only an administrator may do this.")
    return session
