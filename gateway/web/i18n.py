"""The language of each request, and the words of the pages and their scripts in it.

The language is the one this browser chose with the switch on every page (the ``gw_lang``
cookie), else the one the signed-in user chose (saved on the account by the switch on any
of their browsers or phones), else the best of ``Accept-Language`` the gateway speaks,
else ``GATEWAY_DEFAULT_LANGUAGE``. Flask-Babel
translates the pages, the problems people read and the dates; the pages' scripts fetch
their part of the same catalogue from ``/i18n/<language>.json``.
"""

from __future__ import annotations

import hashlib
import json
from functools import cache
from pathlib import Path

from flask import Blueprint, Flask, Response, g, request
from flask_babel import Babel, get_locale
from pydantic import BaseModel, field_validator
from sqlalchemy.exc import SQLAlchemyError

from gateway.core import catalogues
from gateway.core.errors import NotFound
from gateway.core.languages import (
    HTML_TAGS,
    LANGUAGES,
    NAMES,
    language_of,
    pick_language,
    require_language,
)
from gateway.identity import accounts
from gateway.web.api import operation
from gateway.web.auth import (
    current_device,
    current_web_session,
    optional_web_session,
    session_cookie_name,
)
from gateway.web.context import services

COOKIE_SECONDS = 400 * 24 * 3600  # the longest a browser keeps a cookie (RFC 6265bis)

bp = Blueprint("i18n", __name__)


def cookie_name() -> str:
    """Like the session's, a ``__Host-`` cookie where the gateway is served over HTTPS."""
    return "__Host-gw_lang" if services().settings.https else "gw_lang"


def _saved_language() -> str | None:
    """The language the signed-in user chose, from the device that already authenticated
    this request or from the browser's session; None for anyone else."""
    device = g.get("device")
    user_id = device.user_id if device else None
    if user_id is None and request.cookies.get(session_cookie_name()):
        session = optional_web_session()
        user_id = session.user_id if session else None
    if user_id is None:
        return None
    try:
        with services().store.read() as connection:
            return accounts.saved_language(connection, user_id)
    except SQLAlchemyError:  # the language must never be why an answer fails
        return None


def chosen_language() -> str:
    """The language of the current request (see the module's docstring)."""
    chosen = language_of(request.cookies.get(cookie_name(), "")) or _saved_language()
    if chosen:
        return chosen
    return pick_language(request.accept_languages.values(),
                         services().settings.default_language)


def asked_language() -> str | None:
    """The language the client of this request asks for itself: this browser's switch,
    else the best of its ``Accept-Language`` the gateway speaks; None when it names
    neither. A phone's device row keeps it (``reads_in``) for what is sent to it later."""
    asked = [request.cookies.get(cookie_name(), ""), *request.accept_languages.values()]
    return next(filter(None, map(language_of, asked)), None)


def language() -> str:
    """The current request's language, as negotiated once by Flask-Babel."""
    return str(get_locale() or chosen_language())


def remember(response: Response, chosen: str) -> Response:
    """Make *chosen* this browser's language from now on."""
    # Only the gateway reads it (the pages learn their language from <html lang>).
    response.set_cookie(cookie_name(), chosen, max_age=COOKIE_SECONDS, path="/",
                        secure=services().settings.https, httponly=True, samesite="Lax")
    return response


@cache
def _script_catalogue(language: str) -> tuple[bytes, str]:
    body = json.dumps(catalogues.script_messages(language), ensure_ascii=False,
                      sort_keys=True).encode()
    return body, hashlib.sha256(body).hexdigest()[:16]


def catalogue_url(language: str) -> str:
    """Where the pages' scripts find their words in *language*; the address changes with
    the words, so the browser may keep each version for good."""
    return f"/i18n/{language}.json?v={_script_catalogue(language)[1]}"


@bp.get("/i18n/<language>.json")
@operation(summary="The words the pages' scripts show, in one language (source text -> "
                   "translation)", tag="pages", errors=(404,))
def script_catalogue(language: str):
    if language not in LANGUAGES:
        raise NotFound("No such language.")
    body, version = _script_catalogue(language)
    response = Response(body, mimetype="application/json")
    if request.args.get("v") == version:
        response.headers["Cache-Control"] = "public, max-age=31536000, immutable"
    else:
        response.headers["Cache-Control"] = "no-cache"
    response.set_etag(version)
    return response.make_conditional(request)


class LanguageIn(BaseModel):
    language: str  # zh-CN, zh or en

    @field_validator("language")
    @classmethod
    def _spoken(cls, tag: str) -> str:
        return require_language(tag)


@bp.put("/api/v1/language")
@operation(summary="Choose the language of the pages and messages: this browser's from now "
                   "on, and the account's (with a device's token, the device's too)",
           tag="pages", body=LanguageIn, status=204, errors=(400, 401, 403, 415, 422),
           before_password_change=True)
def choose(body: LanguageIn):
    # Signed in, the choice is the account's as well; a credential that is sent must check
    # out (with a session, its CSRF token too), so a stale one is refused, not ignored.
    if request.headers.get("Authorization"):
        device = current_device()
        services().identity.accounts.choose_language(device.user_id, body.language,
                                                    device.device_id)
    elif optional_web_session() is not None:
        session = current_web_session()
        services().identity.accounts.choose_language(session.user_id, body.language)
    return remember(Response(status=204), body.language)


def _page_context() -> dict:
    current = language()
    return {
        "language": current,
        "html_lang": HTML_TAGS[current],
        "catalogue_url": catalogue_url(current),
        "languages": [(code, HTML_TAGS[code], NAMES[code]) for code in LANGUAGES],
    }


def init_app(app: Flask) -> None:
    """Translate *app*: Flask-Babel on the compiled catalogues, the pages' context, and the
    scripts' catalogues."""
    folder = catalogues.compile_into(Path(app.instance_path) / "translations")
    Babel(app, locale_selector=chosen_language,
          default_locale=app.extensions["gateway"].settings.default_language,
          default_translation_directories=str(folder))
    app.jinja_env.policies["ext.i18n.trimmed"] = True
    app.jinja_env.trim_blocks = app.jinja_env.lstrip_blocks = True
    app.context_processor(_page_context)
    app.register_blueprint(bp)
