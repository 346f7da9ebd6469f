"""What a signed-in device does with its consents: see where it stands and which notices
to show, decide, withdraw with one call, read the history of all the user's devices,
fetch receipts, and acknowledge a new policy version."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from gateway.consent.errors import NoSuchDevice, PolicyNotCurrent
from gateway.consent.ledger import ConsentEvent, get_event, history, record, withdraw
from gateway.consent.notices import (
    Notice,
    acknowledge_policy,
    current_notice,
    policy_seen,
    serve_notice,
)
from gateway.consent.policies import PolicyVersion, current_policy, get_policy
from gateway.consent.purposes import Catalogue, Purpose
from gateway.consent.receipts import ReceiptIssuer
from gateway.consent.state import ConsentStatus, status, statuses
from gateway.core.clock import Clock
from gateway.core.errors import Forbidden, NotFound
from gateway.core.store import Store
from gateway.identity import devices


@dataclass(frozen=True)
class PurposeState:
    purpose: Purpose
    status: ConsentStatus
    notice: Notice | None  # shown (and recorded as served) when a decision is needed


@dataclass(frozen=True)
class Overview:
    policy: PolicyVersion | None
    policy_unseen: bool
    language: str
    purposes: list[PurposeState]


def overview(store: Store, clock: Clock, catalogue: Catalogue, *, user_id: str,
             device_id: str, language: str) -> Overview:
    """The device's state on every purpose, with the notice to show for each purpose that
    needs a decision (recorded as served), and whether the current policy version is
    still unannounced to the user."""
    with store.read() as connection:
        policy = current_policy(connection, clock)
        found = statuses(connection, clock, catalogue, user_id=user_id, device_id=device_id)
        unseen = policy is not None and not policy_seen(connection, user_id=user_id,
                                                        version=policy.version)
        states = []
        for purpose, current in zip(catalogue, found, strict=True):
            shown = (current_notice(connection, catalogue, purpose, policy, language)
                     if policy and current.needs_decision else None)
            states.append(PurposeState(purpose, current, shown))
    to_serve = [state.notice for state in states if state.notice]
    if to_serve:
        with store.write() as connection:
            for shown in to_serve:
                serve_notice(connection, clock, user_id=user_id, device_id=device_id,
                             purpose=shown.purpose, policy=policy, notice_hash=shown.hash,
                             language=language)
    return Overview(policy, unseen, language, states)


def notice_for(store: Store, clock: Clock, catalogue: Catalogue, *, user_id: str,
               device_id: str, purpose: str, language: str) -> Notice:
    """The notice to show before asking for *purpose* now (recorded as served).
    Raises ``UnknownPurpose``, and ``NotFound`` before any policy is published."""
    purpose_ = catalogue.get(purpose)
    with store.write() as connection:
        policy = current_policy(connection, clock)
        if policy is None:
            raise NotFound("No version of the agreement is in effect yet, so nothing can be asked.")
        shown = current_notice(connection, catalogue, purpose_, policy, language)
        serve_notice(connection, clock, user_id=user_id, device_id=device_id, purpose=purpose,
                     policy=policy, notice_hash=shown.hash, language=language)
    return shown


def _own_device(store: Store, user_id: str, device_id: str) -> devices.Device:
    try:
        device = devices.get_device(store, device_id)
    except NotFound:
        device = None
    if device is None or device.user_id != user_id:
        raise NoSuchDevice("This device is not one of yours.", device_id=device_id)
    return device


def decide(store: Store, clock: Clock, catalogue: Catalogue, *, user_id: str,
           acting_device_id: str, device_id: str | None = None, purpose: str, decision: str,
           policy_version: str, notice_hash: str, language: str, method: str,
           os_permission: str | None = None, app_version: str | None = None,
           client_time: datetime | None = None) -> tuple[ConsentEvent, ConsentStatus]:
    """Record one decision made on *acting_device_id*, for itself or (withdrawals only)
    for another of the user's devices. Raises ``NoSuchDevice`` for a device that is not
    the user's, ``Forbidden`` for a grant or refusal on behalf of another device, and
    whatever ``ledger.record`` raises; nothing is written then."""
    target = device_id or acting_device_id
    acting = _own_device(store, user_id, acting_device_id)
    if target != acting_device_id:
        _own_device(store, user_id, target)
        if decision != "withdrawn":
            raise Forbidden("Grant or refuse on the device itself; from another device you can "
                            "only withdraw.")
    with store.write() as connection:
        event = record(connection, clock, catalogue, user_id=user_id, device_id=target,
                       purpose=purpose, decision=decision, policy_version=policy_version,
                       notice_hash=notice_hash, language=language, method=method,
                       os_permission=os_permission,
                       app_version=app_version or acting.app_version, client_time=client_time)
        return event, status(connection, clock, user_id=user_id, device_id=target,
                             purpose=purpose)


def withdraw_on(store: Store, clock: Clock, catalogue: Catalogue, *, user_id: str,
                acting_device_id: str, device_id: str | None = None,
                purpose: str) -> tuple[ConsentEvent | None, ConsentStatus]:
    """Withdraw *purpose* on one of the user's devices (by default the acting one) in one
    call; effective at once. Nothing is written when it is not granted there."""
    target = device_id or acting_device_id
    acting = _own_device(store, user_id, acting_device_id)
    if target != acting_device_id:
        _own_device(store, user_id, target)
    with store.write() as connection:
        event = withdraw(connection, clock, catalogue, user_id=user_id, device_id=target,
                         purpose=purpose, app_version=acting.app_version)
        return event, status(connection, clock, user_id=user_id, device_id=target,
                             purpose=purpose)


@dataclass(frozen=True)
class DeviceHistory:
    device_id: str
    device: devices.Device | None  # None once the device row is gone
    events: list[ConsentEvent]


def user_history(store: Store, *, user_id: str, device_id: str | None = None,
                 purpose: str | None = None) -> list[DeviceHistory]:
    """The user's decisions grouped per device (every device of theirs, newest seen
    first, then devices known only from the ledger), each device's oldest first."""
    with store.read() as connection:
        events = history(connection, user_id=user_id, device_id=device_id, purpose=purpose)
    known = [d for d in devices.list_devices(store, user_id)
             if device_id is None or d.id == device_id]
    grouped: dict[str, list[ConsentEvent]] = {}
    for event in events:
        grouped.setdefault(event.device_id, []).append(event)
    result = [DeviceHistory(d.id, d, grouped.pop(d.id, [])) for d in known]
    return result + [DeviceHistory(key, None, found) for key, found in grouped.items()]


def receipt(store: Store, issuer: ReceiptIssuer, catalogue: Catalogue, *, user_id: str,
            event_id: str) -> tuple[ConsentEvent, str]:
    """The signed receipt of one of the user's decisions. Raises ``NotFound`` for an
    unknown decision or another user's (indistinguishable)."""
    with store.read() as connection:
        try:
            event = get_event(connection, event_id)
        except NotFound:
            event = None
    if event is None or event.user_id != user_id:
        raise NotFound("This consent decision is not one of yours.")
    try:
        purpose = catalogue.get(event.purpose)
    except NotFound:  # a partner no longer configured: its evidence still has a receipt
        purpose = Purpose(event.purpose, event.purpose, "", event.purpose, ())
    return event, issuer.issue(event, purpose)


def acknowledge(store: Store, clock: Clock, *, user_id: str, device_id: str,
                version: str) -> PolicyVersion:
    """Record that the user saw the announcement of *version*. Raises
    ``UnknownPolicyVersion``, and ``PolicyNotCurrent`` for a version not in effect."""
    with store.write() as connection:
        policy = get_policy(connection, version)
        if policy.effective_at > clock.now():
            raise PolicyNotCurrent("Version {version} of the agreement is not in effect yet.",
                                   params={"version": version})
        acknowledge_policy(connection, clock, user_id=user_id, device_id=device_id,
                           policy=policy)
        serve_notice(connection, clock, user_id=user_id, device_id=device_id, purpose=None,
                     policy=policy, notice_hash=policy.text_hash)
    return policy
