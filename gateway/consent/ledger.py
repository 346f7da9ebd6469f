"""The ledger: append-only consent decisions per user x device x purpose.

``record`` checks a decision against the catalogue, the policy versions and the notice
served, appends it to the hash chain and logs it; a refusal or withdrawal runs what the
catalogue says withdrawing the purpose undoes (``Catalogue.withdrawn``, declared by the
composition root) in the same transaction, so what the purpose allowed (a push
subscription, say) is undone at once.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import Connection, func, select

from gateway.consent import chain
from gateway.consent.errors import NothingToWithdraw, PolicyNotCurrent
from gateway.consent.notices import current_notice, require_language
from gateway.consent.policies import PolicyVersion, current_policy, get_policy, last_change_seq
from gateway.consent.purposes import Catalogue, Purpose
from gateway.consent.tables import consent_events
from gateway.core import audit
from gateway.core.clock import Clock
from gateway.core.errors import InvalidRequest, NotFound
from gateway.core.tokens import new_id

DECISIONS = ("granted", "refused", "withdrawn")
METHODS = ("in_app_dialog", "settings_toggle", "os_permission_sync", "admin", "enrollment")
# What the phone's OS says about the permission behind a purpose: notifications
# (authorized, denied, provisional, ephemeral, not_determined), location (precise,
# approximate, denied), camera (authorized, denied, restricted, not_determined).
OS_PERMISSIONS = ("authorized", "denied", "provisional", "ephemeral", "not_determined",
                  "restricted", "limited", "precise", "approximate")
CLIENT_CLOCK_SKEW = timedelta(minutes=5)



@dataclass(frozen=True)
class ConsentEvent:
    seq: int
    id: str
    user_id: str
    device_id: str
    purpose: str
    decision: str
    policy_version: str
    notice_hash: str
    language: str
    method: str
    os_permission: str | None
    app_version: str | None
    client_time: datetime | None
    server_time: datetime
    prev_hash: str
    hash: str


def event_of(row) -> ConsentEvent:
    return ConsentEvent(**{name: getattr(row, name) for name in ConsentEvent.__dataclass_fields__})


def _last_decision(connection: Connection, user_id: str, device_id: str, purpose: str):
    return connection.execute(
        select(consent_events.c.decision, consent_events.c.language)
        .where(consent_events.c.user_id == user_id, consent_events.c.device_id == device_id,
               consent_events.c.purpose == purpose)
        .order_by(consent_events.c.seq.desc()).limit(1)).first()


def check(
    connection: Connection, clock: Clock, catalogue: Catalogue, *, purpose: str,
    decision: str, policy_version: str, notice_hash: str, language: str = "en",
    method: str = "in_app_dialog", os_permission: str | None = None,
    client_time: datetime | None = None,
) -> tuple[str, datetime | None]:
    """Check one decision as ``record`` would, writing nothing; return its language and
    client time as they would be recorded. Used to refuse at once a decision that will be
    recorded later (as a phone's, when the desktop approves it).

    Raises what ``record`` raises, except ``NothingToWithdraw`` (that depends on the
    device's own history, checked when the decision is recorded).
    """
    purpose_ = catalogue.get(purpose)
    if decision not in DECISIONS:
        raise InvalidRequest("A decision is one of {choices}.",
                             params={"choices": ", ".join(DECISIONS)}, field="decision")
    if method not in METHODS:
        raise InvalidRequest("The method is one of {choices}.",
                             params={"choices": ", ".join(METHODS)}, field="method")
    if os_permission is not None and os_permission not in OS_PERMISSIONS:
        raise InvalidRequest("The system permission is one of {choices}.",
                             params={"choices": ", ".join(OS_PERMISSIONS)},
                             field="os_permission")
    language = require_language(language)
    now = clock.now()
    if client_time is not None:
        if client_time.tzinfo is None:
            raise InvalidRequest("The phone's time needs its UTC offset.", field="client_time")
        client_time = client_time.astimezone(UTC)
        if client_time > now + CLIENT_CLOCK_SKEW:
            raise InvalidRequest("The phone's time lies in the future: check its clock.",
                                 field="client_time")
    policy = get_policy(connection, policy_version)
    newest = last_change_seq(connection, clock, purpose)
    if policy.effective_at > now or policy.seq < newest:
        current = current_policy(connection, clock)
        raise PolicyNotCurrent(
            "Version {version} of the agreement no longer applies to this permission: show "
            "the notice of the current version.", params={"version": policy_version},
            current_version=current and current.version)
    require_notice_shown(connection, catalogue, purpose_, policy, language, notice_hash)
    return language, client_time


def require_notice_shown(connection: Connection, catalogue: Catalogue, purpose: Purpose,
                         policy: PolicyVersion, language: str, notice_hash: str) -> None:
    """A decision answers the notice of *purpose* shown now under *policy* in *language*
    (with a partner's current terms): raise ``InvalidRequest`` when *notice_hash* is
    another's, e.g. one read before the terms changed."""
    if notice_hash != current_notice(connection, catalogue, purpose, policy, language).hash:
        raise InvalidRequest("The notice answered is not the one shown now for this "
                             "permission (it may have changed since): show it again.",
                             field="notice_hash")


def record(
    connection: Connection, clock: Clock, catalogue: Catalogue, *, user_id: str,
    device_id: str, purpose: str, decision: str, policy_version: str, notice_hash: str,
    language: str = "en", method: str = "in_app_dialog", os_permission: str | None = None,
    app_version: str | None = None, client_time: datetime | None = None,
) -> ConsentEvent:
    """Append one decision to the ledger inside an open write transaction.

    Raises ``UnknownPurpose``, ``UnknownPolicyVersion``, ``PolicyNotCurrent`` (the
    version is not in effect, or a newer one in effect changed the purpose),
    ``NothingToWithdraw`` (a withdrawal without a grant), and ``InvalidRequest`` (an
    unknown decision, method, language or OS permission state, a notice hash that is
    not the one served, or a client time in the future).
    """
    language, client_time = check(
        connection, clock, catalogue, purpose=purpose, decision=decision,
        policy_version=policy_version, notice_hash=notice_hash, language=language,
        method=method, os_permission=os_permission, client_time=client_time)
    now = clock.now()
    if decision == "withdrawn":
        last = _last_decision(connection, user_id, device_id, purpose)
        if last is None or last.decision != "granted":
            raise NothingToWithdraw("This permission is not granted on this device, so "
                                    "there is nothing to withdraw.", purpose=purpose)
    values = dict(
        id=new_id(), user_id=user_id, device_id=device_id, purpose=purpose, decision=decision,
        policy_version=policy_version, notice_hash=notice_hash, language=language,
        method=method, os_permission=os_permission, app_version=app_version,
        client_time=client_time, server_time=now,
    )
    # The operation log first: every transaction that writes both takes the operation
    # log's lock before the ledger's, so two of them can never wait on each other.
    audit.record(connection, clock, f"consent.{decision}", actor=user_id, device_id=device_id,
                 subject=purpose, details={"policy_version": policy_version, "method": method})
    seq = chain.append(connection, clock, values)
    if decision != "granted":
        for undo in catalogue.withdrawn(purpose):
            undo(connection, clock, user_id, device_id)
    return event_of(connection.execute(select(consent_events)
                                       .where(consent_events.c.seq == seq)).one())


def withdraw(
    connection: Connection, clock: Clock, catalogue: Catalogue, *, user_id: str,
    device_id: str, purpose: str, method: str = "settings_toggle",
    app_version: str | None = None, client_time: datetime | None = None,
    os_permission: str | None = None,
) -> ConsentEvent | None:
    """Withdraw a granted consent under the current policy version; None (and nothing
    written) when the purpose is not granted on the device, so a repeat is harmless.
    Raises ``UnknownPurpose``."""
    purpose_ = catalogue.get(purpose)
    last = _last_decision(connection, user_id, device_id, purpose)
    policy = current_policy(connection, clock)
    if last is None or last.decision != "granted" or policy is None:
        return None
    shown = current_notice(connection, catalogue, purpose_, policy, last.language)
    return record(connection, clock, catalogue, user_id=user_id, device_id=device_id,
                  purpose=purpose, decision="withdrawn", policy_version=policy.version,
                  notice_hash=shown.hash, language=last.language, method=method,
                  os_permission=os_permission, app_version=app_version, client_time=client_time)


def history(connection: Connection, *, user_id: str, device_id: str | None = None,
            purpose: str | None = None) -> list[ConsentEvent]:
    """A user's decisions, oldest first, optionally for one device or purpose."""
    query = select(consent_events).where(consent_events.c.user_id == user_id)
    if device_id:
        query = query.where(consent_events.c.device_id == device_id)
    if purpose:
        query = query.where(consent_events.c.purpose == purpose)
    return [event_of(row) for row in connection.execute(query.order_by(consent_events.c.seq))]


def get_event(connection: Connection, event_id: str) -> ConsentEvent:
    """One decision by its id. Raises ``NotFound``."""
    row = connection.execute(select(consent_events).where(consent_events.c.id == event_id)).first()
    if row is None:
        raise NotFound("There is no such consent decision.")
    return event_of(row)


def count_events(connection: Connection) -> int:
    return connection.execute(select(func.count()).select_from(consent_events)).scalar_one()


def redact_user(connection: Connection, clock: Clock, user_id: str,
                before: datetime | None = None) -> int:
    """Erase *user_id* (and their devices) from their decisions, optionally only those
    recorded before *before*: what retention does once the evidence is no longer needed.
    The decisions themselves stay, and the chain still verifies. Returns the count."""
    condition = consent_events.c.user_id == user_id
    if before is not None:
        condition = condition & (consent_events.c.server_time < before)
    return chain.redact(connection, clock, condition)
