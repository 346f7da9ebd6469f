"""Consent over HTTP: the catalogue, each device's decisions, history, receipts, the
policy versions and their public page, and ``requires_consent`` and ``requires_policy``
for other endpoints."""

from __future__ import annotations

import dataclasses
import functools

from flask import Blueprint, Response, request

from gateway import consent
from gateway.consent import selfservice
from gateway.consent.purposes import REQUIRED_PERMISSIONS
from gateway.web.api import operation
from gateway.web.auth import current_device
from gateway.web.consent_schemas import (
    CatalogueOut,
    ConsentsOut,
    ConsentStateOut,
    DecisionIn,
    DecisionOut,
    DeviceHistoryOut,
    EventOut,
    HistoryOut,
    HistoryQuery,
    LanguageQuery,
    NoticeOut,
    PermissionOut,
    PolicyAnnouncement,
    PolicyList,
    PolicyOut,
    PolicySeenIn,
    PurposeOut,
    ReceiptOut,
    WithdrawalOut,
    WithdrawQuery,
)
from gateway.web.context import services
from gateway.web.pages import page

bp = Blueprint("consent", __name__)
TAG = "consent"


def requires_policy(view):
    """Decorate an endpoint that collects what needs a notice (a device's id, model,
    system, address) so it answers 409 ``no-policy-in-effect`` while no version of the
    agreement is in effect (agreement 1.6). Place it below ``@operation``: a malformed
    body is still told so first."""

    @functools.wraps(view)
    def wrapper(*args, **kwargs):
        svc = services()
        with svc.store.read() as connection:
            consent.policy_in_effect(connection, svc.clock)
        return view(*args, **kwargs)

    return wrapper


def requires_consent(purpose: str):
    """Decorate an endpoint so it answers 403 ``consent-required`` (naming *purpose*)
    unless the calling device may use *purpose* now. Place it between the route and
    ``@operation``, so the check comes before the body is read and the OpenAPI document
    names the purpose (``x-consent-purpose``); below ``@operation`` it still enforces."""

    def decorate(view):
        @functools.wraps(view)
        def wrapper(*args, **kwargs):
            principal = current_device()
            svc = services()
            with svc.store.read() as connection:
                consent.require(connection, svc.clock, svc.catalogue, user_id=principal.user_id,
                                device_id=principal.device_id, purpose=purpose)
            return view(*args, **kwargs)

        declared = getattr(view, "operation", None)
        if declared is not None:
            wrapper.operation = dataclasses.replace(
                declared, errors=tuple(sorted({*declared.errors, 403})),
                extra={**declared.extra, "x-consent-purpose": purpose})
        wrapper.consent_purpose = purpose
        return wrapper

    return decorate


def _language(query: LanguageQuery) -> str:
    preferences = [query.lang] if query.lang else list(request.accept_languages.values())
    return consent.pick_language(preferences)


# -- the catalogue and this device's decisions ----------------------------------------------

@bp.get("/api/v1/purposes")
@operation(summary="The permissions the app needs and why, with their notices (public)",
           tag=TAG, query=LanguageQuery, response=CatalogueOut)
def purposes(query: LanguageQuery):
    svc = services()
    language = _language(query)
    with svc.store.read() as connection:
        policy = consent.current_policy(connection, svc.clock)
        notices = {p.name: policy and consent.current_notice(connection, svc.catalogue, p,
                                                             policy, language)
                   for p in svc.catalogue}
    return CatalogueOut(
        language=language, policy_version=policy and policy.version,
        required=[PermissionOut.of(name, texts.get(language, texts["en"]))
                  for name, texts in REQUIRED_PERMISSIONS],
        purposes=[PurposeOut.of_purpose(p, language, notices[p.name]) for p in svc.catalogue],
    )


@bp.get("/api/v1/consents")
@operation(summary="This device's consents, which need a decision, and their notices",
           tag=TAG, auth="device", query=LanguageQuery, response=ConsentsOut)
def consents(query: LanguageQuery):
    svc = services()
    principal = current_device()
    found = selfservice.overview(svc.store, svc.clock, svc.catalogue, user_id=principal.user_id,
                                 device_id=principal.device_id, language=_language(query))
    policy = found.policy
    if policy:
        with svc.store.read() as connection:
            first = consent.is_first(connection, policy)
    return ConsentsOut(
        device_id=principal.device_id, language=found.language,
        policy=policy and PolicyAnnouncement(
            version=policy.version, summary=policy.in_language(found.language).summary,
            changes=list(policy.changes),
            effective_at=policy.effective_at, text_hash=policy.text_hash,
            unseen=found.policy_unseen, first=first),
        needs_decision=[s.purpose.name for s in found.purposes if s.status.needs_decision],
        purposes=[ConsentStateOut.of_state(s, found.language) for s in found.purposes],
    )


@bp.get("/api/v1/consents/<purpose>/notice")
@operation(summary="The notice to show before asking for one purpose (recorded as shown)",
           tag=TAG, auth="device", query=LanguageQuery, response=NoticeOut, errors=(404,))
def notice(purpose: str, query: LanguageQuery):
    svc = services()
    principal = current_device()
    return NoticeOut.of(selfservice.notice_for(
        svc.store, svc.clock, svc.catalogue, user_id=principal.user_id,
        device_id=principal.device_id, purpose=purpose, language=_language(query)))


@bp.post("/api/v1/consents")
@operation(summary="Record one decision (grant, refuse or withdraw) with its evidence",
           tag=TAG, auth="device", body=DecisionIn, response=DecisionOut, status=201,
           errors=(400, 404, 409))
def decide(body: DecisionIn):
    svc = services()
    principal = current_device()
    event, status = selfservice.decide(
        svc.store, svc.clock, svc.catalogue, user_id=principal.user_id,
        acting_device_id=principal.device_id, device_id=body.device_id, purpose=body.purpose,
        decision=body.decision, policy_version=body.policy_version,
        notice_hash=body.notice_hash, language=body.language, method=body.method,
        os_permission=body.os_permission, app_version=body.app_version,
        client_time=body.client_time)
    return DecisionOut(event=EventOut.of(event),
                       status=ConsentStateOut.of(svc.catalogue.get(body.purpose), status))


@bp.delete("/api/v1/consents/<purpose>")
@operation(summary="Withdraw a consent in one call, effective at once (idempotent)",
           tag=TAG, auth="device", query=WithdrawQuery, response=WithdrawalOut, errors=(404,))
def withdraw(purpose: str, query: WithdrawQuery):
    svc = services()
    principal = current_device()
    event, status = selfservice.withdraw_on(
        svc.store, svc.clock, svc.catalogue, user_id=principal.user_id,
        acting_device_id=principal.device_id, device_id=query.device_id, purpose=purpose)
    return WithdrawalOut(withdrawn=event is not None, event=event and EventOut.of(event),
                         status=ConsentStateOut.of(svc.catalogue.get(purpose), status))


@bp.get("/api/v1/consents/history")
@operation(summary="The user's decisions on every device, per device and purpose",
           tag=TAG, auth="device", query=HistoryQuery, response=HistoryOut)
def history(query: HistoryQuery):
    principal = current_device()
    found = selfservice.user_history(services().store, user_id=principal.user_id,
                                     device_id=query.device_id, purpose=query.purpose)
    return HistoryOut(devices=[DeviceHistoryOut.of(d, principal.device_id) for d in found])


@bp.get("/api/v1/consents/<event_id>/receipt")
@operation(summary="A decision's signed receipt (JWT after the Kantara Consent Receipt)",
           tag=TAG, auth="device", response=ReceiptOut, errors=(404,))
def receipt(event_id: str):
    svc = services()
    event, token = selfservice.receipt(
        svc.store, svc.receipts, svc.catalogue,
        user_id=current_device().user_id, event_id=event_id)
    return ReceiptOut(event_id=event.id, receipt=token,
                      jwks_uri=f"{svc.settings.public_url}/.well-known/jwks.json")


@bp.post("/api/v1/policy/seen")
@operation(summary="Acknowledge the announcement of a policy version", tag=TAG,
           auth="device", body=PolicySeenIn, status=204, errors=(404, 409))
def policy_seen(body: PolicySeenIn):
    svc = services()
    principal = current_device()
    selfservice.acknowledge(svc.store, svc.clock, user_id=principal.user_id,
                            device_id=principal.device_id, version=body.version)
    return Response(status=204)


# -- policy versions ------------------------------------------------------------------------

@bp.get("/api/v1/policy")
@operation(summary="The policy version in effect now, in the language asked for (public)",
           tag=TAG, query=LanguageQuery, response=PolicyOut, errors=(404,))
def current_policy(query: LanguageQuery):
    svc = services()
    with svc.store.read() as connection:
        policy = consent.current_policy(connection, svc.clock)
    if policy is None:
        raise consent.UnknownPolicyVersion("no policy version is in effect yet")
    return PolicyOut.of(policy, _language(query))


@bp.get("/api/v1/policies")
@operation(summary="Every published policy version with what it changed, in the language "
                   "asked for (public)", tag=TAG, query=LanguageQuery, response=PolicyList)
def policies(query: LanguageQuery):
    svc = services()
    with svc.store.read() as connection:
        found = consent.list_policies(connection)
        current = consent.current_policy(connection, svc.clock)
    language = _language(query)
    return PolicyList(policies=[PolicyOut.of(p, language) for p in found],
                      current=current and current.version)


# -- pages ----------------------------------------------------------------------------------

@bp.get("/policies")
@operation(summary="The activity rules page: every policy version and what changed",
           tag="pages", produces="text/html")
def policies_page():
    return page("policies.html")


@bp.get("/app/consents")
@operation(summary="The companion's permission settings: toggles and history",
           tag="pages", produces="text/html")
def settings_page():
    return page("consents.html")


@bp.get("/app/consent")
@operation(summary="The companion's consent dialog for one purpose (?purpose=&next=)",
           tag="pages", produces="text/html")
def dialog_page():
    return page("consent.html")
