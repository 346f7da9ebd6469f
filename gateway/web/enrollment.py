"""Scan to connect a phone over HTTP: the signed-in desktop's calls (offer, wait, draw the
code, approve, deny), the phone's calls (claim, wait, collect the tokens), and their pages.

The parts every QR flow shares (links, images, cookies, limits, waiting) come from
``gateway.web.qrflows`` and ``gateway.web.waiting``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from flask import Blueprint, request

from gateway.core import useragent
from gateway.enrollment import offers as enrollment
from gateway.enrollment import phone as enrollment_phone
from gateway.push import announcements
from gateway.web import qrflows, streams, waiting
from gateway.web.api import json_response, operation
from gateway.web.auth import current_web_session
from gateway.web.bodies import peek_json
from gateway.web.context import client_ip, services
from gateway.web.device_auth import Tokens, description_of
from gateway.web.enrollment_schemas import (
    SECRET_HEADER,
    ClaimIn,
    ClaimOut,
    EmptyIn,
    NumberIn,
    OfferOut,
    OfferStatusOut,
    PhoneStatusOut,
    Wait,
    WaitQuery,
)
from gateway.web.i18n import asked_language
from gateway.web.limits import by_address, limiter
from gateway.web.pages import page, signed_in_page

bp = Blueprint("enrollment", __name__)
API = "/api/v1/enrollments"
COOKIE = "gw_enroll"
DESKTOP_FINAL = ("approved", "collected", "denied", "expired")
PHONE_FINAL = ("approved", "collected", "denied", "expired")


@dataclass(frozen=True)
class _View:
    """An offer as one side may see it, in the shape ``waiting`` streams."""

    state: str
    expires_at: datetime
    fields: dict

    def event(self) -> dict:
        return self.fields


# -- the desktop ------------------------------------------------------------------------------

def _session_hash() -> str:
    return current_web_session().id_hash


def _desktop_view(offer: enrollment.Offer, now: datetime) -> _View:
    fields = offer.event(now)
    return _View(fields["state"], offer.expires_at, fields)


def _desktop_reader(offer_id: str):
    # Captures what it needs now: an event stream calls it after the request has ended.
    svc, session_hash = services(), _session_hash()
    return lambda: _desktop_view(svc.enrollment.offers.for_session(offer_id, session_hash),
                                 svc.clock.now())


@bp.post(API)
@limiter.limit(qrflows.start_limit, key_func=by_address)
@operation(summary="Offer to connect a phone (signed-in desktop)", tag="connect a phone",
           auth="web", body=EmptyIn, response=OfferOut, status=201, errors=(429,))
def offer(body: EmptyIn):
    svc = services()
    session = current_web_session()
    offers = svc.enrollment.offers
    offered = offers.offer(user_id=session.user_id, session_hash=session.id_hash)
    found = offered.offer
    token = offers.link_token(found.id, session.id_hash)
    return OfferOut(
        id=found.id, **found.event(svc.clock.now()), qr=qrflows.link("c", token),
        qr_png_url=f"{API}/{found.id}/qr.png", qr_svg_url=f"{API}/{found.id}/qr.svg",
        code=offered.code, expires_in=int(enrollment.LIFETIME.total_seconds()),
        wait=Wait(events=f"{API}/{found.id}/events", poll=f"{API}/{found.id}/wait"),
    )


@bp.get(f"{API}/<offer_id>")
@operation(summary="Where an offer stands, with the claiming phone", tag="connect a phone",
           auth="web", response=OfferStatusOut, errors=(404,))
def status(offer_id: str):
    return json_response(_desktop_reader(offer_id)().event())


@bp.get(f"{API}/<offer_id>/events")
@operation(summary="Server-Sent Events of an offer's state (desktop)", tag="connect a phone",
           auth="web", produces="text/event-stream", errors=(404, 429, 503))
def events(offer_id: str):
    svc = services()
    read = _desktop_reader(offer_id)
    read()
    return waiting.sse_response(waiting.stream(
        svc.events, enrollment.channel(offer_id), read,
        lambda: svc.enrollment.offers.expire(offer_id), svc.clock,
        DESKTOP_FINAL, slot=streams.claim()))


@bp.get(f"{API}/<offer_id>/wait")
@operation(summary="An offer's state once it differs from `known` (long poll, desktop)",
           tag="connect a phone", auth="web", query=WaitQuery, response=OfferStatusOut,
           errors=(404,))
def wait(offer_id: str, query: WaitQuery):
    svc = services()
    found = waiting.long_poll(svc.events, enrollment.channel(offer_id),
                              _desktop_reader(offer_id), svc.clock, query.known,
                              query.seconds, DESKTOP_FINAL)
    return json_response(found.event())


def _qr_image(offer_id: str, kind: str):
    token = services().enrollment.offers.link_token(offer_id, _session_hash())
    return qrflows.image(qrflows.link("c", token), kind)


@bp.get(f"{API}/<offer_id>/qr.svg")
@operation(summary="The offer's QR code as SVG", tag="connect a phone", auth="web",
           produces="image/svg+xml", errors=(404, 409, 410))
def qr_svg(offer_id: str):
    return _qr_image(offer_id, "svg")


@bp.get(f"{API}/<offer_id>/qr.png")
@operation(summary="The offer's QR code as PNG", tag="connect a phone", auth="web",
           produces="image/png", errors=(404, 409, 410))
def qr_png(offer_id: str):
    return _qr_image(offer_id, "png")


@bp.post(f"{API}/<offer_id>/approve")
@operation(summary="Approve the claiming phone with the number it shows", auth="web",
           tag="connect a phone", body=NumberIn, response=OfferStatusOut,
           errors=(404, 409, 410))
def approve(offer_id: str, body: NumberIn):
    svc = services()
    found = svc.enrollment.offers.approve(offer_id=offer_id, session_hash=_session_hash(),
                                          number=body.number, ip=client_ip())
    announcements.phone_connected(svc.store, svc.clock, user_id=found.user_id,
                                  model=(found.device or {}).get("model", "A phone"),
                                  notice_id=found.id,
                                  default_language=svc.settings.default_language)
    return json_response(found.event(svc.clock.now()))


@bp.post(f"{API}/<offer_id>/deny")
@operation(summary="End an offer from the desktop", tag="connect a phone", auth="web",
           body=EmptyIn, response=OfferStatusOut, errors=(404, 409, 410))
def deny(offer_id: str, body: EmptyIn):
    svc = services()
    found = svc.enrollment.offers.deny(offer_id=offer_id, session_hash=_session_hash(),
                                       ip=client_ip())
    return json_response(found.event(svc.clock.now()))


# -- the phone --------------------------------------------------------------------------------

def _claim_secret() -> str | None:
    return request.headers.get(SECRET_HEADER) or qrflows.cookie(COOKIE)


def _phone_view(offer: enrollment.Offer, now: datetime) -> _View:
    state = offer.state_at(now)
    fields = {"id": offer.id, "state": state, "number": offer.number,
              "expires_at": enrollment.iso(offer.expires_at)}
    return _View(state, offer.expires_at, fields)


def _phone_reader(offer_id: str):
    svc, secret = services(), _claim_secret()
    return lambda: _phone_view(svc.enrollment.phone.for_phone(offer_id, secret),
                               svc.clock.now())


def _typing_a_code() -> bool:
    body = peek_json()
    return isinstance(body, dict) and body.get("code") is not None


@bp.post(f"{API}/claim")
@limiter.limit(qrflows.scan_limit, key_func=by_address)
@limiter.limit(qrflows.code_limit, key_func=by_address, exempt_when=lambda: not _typing_a_code())
@operation(summary="Claim an offer with this phone (not signed in yet)",
           tag="connect a phone", body=ClaimIn, response=ClaimOut, status=201,
           errors=(403, 404, 409, 410, 429))
def claim(body: ClaimIn):
    svc = services()
    where = useragent.describe(None, client_ip(), svc.settings.geoip_database)
    decisions = [enrollment_phone.Decision(**d.model_dump()) for d in body.consents]
    claimed = svc.enrollment.phone.claim(
        token=body.token, code=body.code, via=body.via, device=description_of(body.device),
        decisions=decisions, where=where, proof=body.device_proof)
    found = claimed.offer
    out = ClaimOut(
        id=found.id, state=found.state, number=found.number, expires_at=found.expires_at,
        claim_secret=claimed.claim_secret,
        wait=Wait(events=f"{API}/{found.id}/phone/events", poll=f"{API}/{found.id}/phone/wait"),
        tokens_url=f"{API}/{found.id}/tokens")
    response = json_response(out.model_dump(mode="json"), 201)
    # The page on the phone waits with EventSource, which sends cookies but no headers.
    qrflows.set_cookie(response, COOKIE, claimed.claim_secret,
                       int((enrollment.LIFETIME + enrollment.COLLECT_WINDOW).total_seconds()))
    return response


@bp.get(f"{API}/<offer_id>/phone")
@operation(summary="Where a claimed offer stands (the claiming phone)",
           tag="connect a phone", response=PhoneStatusOut, errors=(401, 404))
def phone_status(offer_id: str):
    return json_response(_phone_reader(offer_id)().event())


@bp.get(f"{API}/<offer_id>/phone/events")
@operation(summary="Server-Sent Events of a claimed offer (the claiming phone)",
           tag="connect a phone", produces="text/event-stream", errors=(401, 404, 429, 503))
def phone_events(offer_id: str):
    svc = services()
    read = _phone_reader(offer_id)
    read()
    return waiting.sse_response(waiting.stream(
        svc.events, enrollment.channel(offer_id), read,
        lambda: svc.enrollment.offers.expire(offer_id), svc.clock,
        PHONE_FINAL, slot=streams.claim()))


@bp.get(f"{API}/<offer_id>/phone/wait")
@operation(summary="A claimed offer's state once it differs from `known` (long poll, phone)",
           tag="connect a phone", query=WaitQuery, response=PhoneStatusOut, errors=(401, 404))
def phone_wait(offer_id: str, query: WaitQuery):
    svc = services()
    found = waiting.long_poll(svc.events, enrollment.channel(offer_id), _phone_reader(offer_id),
                              svc.clock, query.known, query.seconds, PHONE_FINAL)
    return json_response(found.event())


@bp.post(f"{API}/<offer_id>/tokens")
@operation(summary="Collect the approved phone's tokens, once", tag="connect a phone",
           response=Tokens, errors=(401, 404, 409, 410))
def collect(offer_id: str):
    pair = services().enrollment.phone.collect(offer_id=offer_id, claim_secret=_claim_secret(),
                                               ip=client_ip(), reads_in=asked_language())
    response = json_response(Tokens.of(pair).model_dump(mode="json"))
    qrflows.clear_cookie(response, COOKIE)
    return response


# -- pages ------------------------------------------------------------------------------------

@bp.get("/connect")
@operation(summary="The desktop page to connect a phone by scanning", tag="pages",
           produces="text/html")
def connect_page():
    return signed_in_page("connect.html")


@bp.get("/c/<token>")
@operation(summary="The companion page a scanned connect code opens on the phone",
           tag="pages", produces="text/html")
def claim_page(token: str):
    return page("connect-phone.html")


@bp.get("/app/connect")
@operation(summary="The companion page to connect by typing a code", tag="pages",
           produces="text/html")
def claim_code_page():
    return page("connect-phone.html")
