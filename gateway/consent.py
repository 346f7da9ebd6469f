"""The consent ledger: append-only decisions per user x device x purpose, and the check
every function makes before it uses a purpose.

The current state is derived from the events, never stored. A grant counts only while no
policy version published after it changes its purpose; a refusal is not asked about again
until such a version appears (or the user opens the setting). Each event carries the hash
of the one before it, so editing or removing one is detectable (``verify_chain``).

Other domains call ``require(...)`` (or ``is_granted``) where the action happens, and may
register a ``on_withdrawal`` hook to undo what the purpose allowed (e.g. a push
subscription) in the same transaction as the withdrawal.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import Connection, func, insert, select, text

from gateway.clock import Clock
from gateway.errors import Conflict, Forbidden, InvalidRequest, NotFound
from gateway.purposes import Catalogue, Purpose
from gateway.store import Store
from gateway.store.consent_tables import consent_events, notices_served, policy_versions
from gateway.tokens import new_id

DECISIONS = ("granted", "refused", "withdrawn")
METHODS = ("in_app_dialog", "settings_toggle", "os_permission_sync", "admin", "enrollment")
GENESIS = "0" * 64
CLIENT_CLOCK_SKEW = timedelta(minutes=5)
_CHAIN_LOCK = 0x636F6E73  # PostgreSQL advisory lock id: one writer extends the chain at a time

WithdrawalHook = Callable[[Connection, Clock, str, str], None]
_withdrawal_hooks: dict[str, list[WithdrawalHook]] = {}


class ConsentRequired(Forbidden):
    slug = "consent-required"
    title = "This function needs a consent the device has not given"


@dataclass(frozen=True)
class PolicyVersion:
    seq: int
    version: str
    text: str
    text_hash: str
    summary: str
    changes: tuple[str, ...]
    effective_at: datetime
    published_at: datetime


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


@dataclass(frozen=True)
class ConsentStatus:
    """Where one device stands on one purpose."""

    purpose: str
    state: str  # granted, refused, withdrawn, undecided
    stale: bool  # decided under a policy version that a later one changed
    last_event: ConsentEvent | None

    @property
    def granted(self) -> bool:
        return self.state == "granted" and not self.stale

    @property
    def needs_decision(self) -> bool:
        """Ask the user? Not after a refusal or withdrawal, unless the policy changed."""
        return self.state == "undecided" or self.stale


def on_withdrawal(purpose: str, hook: WithdrawalHook) -> None:
    """Call *hook(connection, clock, user_id, device_id)* whenever *purpose* is withdrawn
    or refused, inside the transaction that records it."""
    _withdrawal_hooks.setdefault(purpose, []).append(hook)


def sha256(value: str) -> str:
    return hashlib.sha256(value.encode("utf-8")).hexdigest()


def notice_text(purpose: Purpose, policy: PolicyVersion) -> str:
    """The notice the app shows before asking for *purpose* under *policy*."""
    data = "; ".join(purpose.data)
    return (
        f"{purpose.title}. {purpose.why} Needed for: {purpose.function}. "
        f"Data: {data}. Refusing only turns off this function. "
        f"Policy version {policy.version}."
    )


# -- policy versions ------------------------------------------------------------------------

def _policy(row) -> PolicyVersion:
    return PolicyVersion(row.seq, row.version, row.text, row.text_hash, row.summary,
                         tuple(row.changes), row.effective_at, row.published_at)


def publish_policy(
    store: Store, clock: Clock, catalogue: Catalogue, *, version: str, text_: str, summary: str,
    changes: Iterable[str], effective_at: datetime | None = None, published_by: str | None = None,
) -> PolicyVersion:
    """Publish a version of the agreement; it cannot be changed afterwards.

    Raises ``NotFound`` for a purpose outside the catalogue and ``Conflict`` when the
    version label exists already.
    """
    changes = sorted(set(changes))
    for name in changes:
        catalogue.get(name)
    now = clock.now()
    with store.write() as connection:
        if connection.execute(
            select(policy_versions.c.seq).where(policy_versions.c.version == version)
        ).first():
            raise Conflict(f"policy version {version!r} exists and cannot be changed")
        connection.execute(insert(policy_versions).values(
            version=version, text=text_, text_hash=sha256(text_), summary=summary,
            changes=changes, effective_at=effective_at or now, published_at=now,
            published_by=published_by,
        ))
        return _policy(connection.execute(
            select(policy_versions).where(policy_versions.c.version == version)).one())


def list_policies(connection: Connection) -> list[PolicyVersion]:
    """Every published version, newest first."""
    rows = connection.execute(select(policy_versions).order_by(policy_versions.c.seq.desc()))
    return [_policy(row) for row in rows]


def current_policy(connection: Connection, clock: Clock) -> PolicyVersion | None:
    """The newest version already in effect, or None before the first is published."""
    row = connection.execute(
        select(policy_versions)
        .where(policy_versions.c.effective_at <= clock.now())
        .order_by(policy_versions.c.seq.desc())
        .limit(1)
    ).first()
    return _policy(row) if row else None


def get_policy(connection: Connection, version: str) -> PolicyVersion:
    """The published version *version*. Raises ``NotFound``."""
    row = connection.execute(
        select(policy_versions).where(policy_versions.c.version == version)).first()
    if row is None:
        raise NotFound(f"no policy version {version!r}")
    return _policy(row)


def _last_change_seq(connection: Connection, clock: Clock, purpose: str) -> int:
    """The seq of the newest version in effect that changed *purpose* (0 if none)."""
    latest = 0
    for policy in list_policies(connection):
        if policy.effective_at <= clock.now() and purpose in policy.changes:
            latest = max(latest, policy.seq)
    return latest


# -- the ledger ------------------------------------------------------------------------------

_HASHED = ("id", "user_id", "device_id", "purpose", "decision", "policy_version",
           "notice_hash", "language", "method", "os_permission", "app_version",
           "client_time", "server_time")


def event_hash(prev_hash: str, values: dict) -> str:
    """The chain hash of an event: SHA-256 over the previous hash and its own fields."""
    fields = {name: values.get(name) for name in _HASHED}
    for name in ("client_time", "server_time"):
        if fields[name] is not None:
            fields[name] = fields[name].isoformat(timespec="microseconds")
    return sha256(prev_hash + json.dumps(fields, sort_keys=True, separators=(",", ":")))


def _event(row) -> ConsentEvent:
    return ConsentEvent(**{name: getattr(row, name) for name in ConsentEvent.__dataclass_fields__})


def record(
    connection: Connection, clock: Clock, catalogue: Catalogue, *, user_id: str,
    device_id: str, purpose: str, decision: str, policy_version: str, notice_hash: str,
    language: str = "en", method: str = "in_app_dialog", os_permission: str | None = None,
    app_version: str | None = None, client_time: datetime | None = None,
) -> ConsentEvent:
    """Append one decision to the ledger inside an open write transaction.

    Raises ``NotFound`` (purpose or policy version unknown) and ``InvalidRequest`` (a
    decision or method not known, a notice hash that is not the one served, or a client
    time in the future). A refusal or withdrawal runs the purpose's withdrawal hooks.
    """
    purpose_ = catalogue.get(purpose)
    if decision not in DECISIONS:
        raise InvalidRequest(f"decision must be one of {', '.join(DECISIONS)}")
    if method not in METHODS:
        raise InvalidRequest(f"method must be one of {', '.join(METHODS)}")
    policy = get_policy(connection, policy_version)
    if notice_hash != sha256(notice_text(purpose_, policy)):
        raise InvalidRequest("notice_hash is not the hash of the notice served for this "
                             "purpose and policy version", field="notice_hash")
    now = clock.now()
    if client_time is not None and client_time > now + CLIENT_CLOCK_SKEW:
        raise InvalidRequest("client_time lies in the future", field="client_time")
    if connection.dialect.name == "postgresql":
        connection.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _CHAIN_LOCK})
    prev = connection.execute(
        select(consent_events.c.hash).order_by(consent_events.c.seq.desc()).limit(1)
    ).scalar() or GENESIS
    values = dict(
        id=new_id(), user_id=user_id, device_id=device_id, purpose=purpose, decision=decision,
        policy_version=policy_version, notice_hash=notice_hash, language=language,
        method=method, os_permission=os_permission, app_version=app_version,
        client_time=client_time, server_time=now,
    )
    connection.execute(
        insert(consent_events).values(**values, prev_hash=prev, hash=event_hash(prev, values)))
    if decision != "granted":
        for hook in _withdrawal_hooks.get(purpose, []):
            hook(connection, clock, user_id, device_id)
    return _event(connection.execute(
        select(consent_events).where(consent_events.c.id == values["id"])).one())


def derive(events: Iterable[ConsentEvent]) -> str:
    """The state a sequence of one subject's events leaves (the last decision wins)."""
    state = "undecided"
    for event in events:
        state = event.decision
    return state


def status(connection: Connection, clock: Clock, *, user_id: str, device_id: str,
           purpose: str) -> ConsentStatus:
    """Where *device_id* of *user_id* stands on *purpose* now."""
    row = connection.execute(
        select(consent_events)
        .where(consent_events.c.user_id == user_id, consent_events.c.device_id == device_id,
               consent_events.c.purpose == purpose)
        .order_by(consent_events.c.seq.desc())
        .limit(1)
    ).first()
    if row is None:
        return ConsentStatus(purpose, "undecided", False, None)
    event = _event(row)
    changed = _last_change_seq(connection, clock, purpose)
    decided_under = connection.execute(
        select(policy_versions.c.seq).where(policy_versions.c.version == event.policy_version)
    ).scalar() or 0
    return ConsentStatus(purpose, event.decision, decided_under < changed, event)


def is_granted(connection: Connection, clock: Clock, *, user_id: str, device_id: str,
               purpose: str) -> bool:
    """Whether the device may use *purpose* now."""
    return status(connection, clock, user_id=user_id, device_id=device_id,
                  purpose=purpose).granted


def require(connection: Connection, clock: Clock, catalogue: Catalogue, *, user_id: str,
            device_id: str, purpose: str) -> None:
    """Raise ``ConsentRequired`` (naming the purpose) unless the device may use it now;
    ``NotFound`` for a purpose outside the catalogue."""
    catalogue.get(purpose)
    current = status(connection, clock, user_id=user_id, device_id=device_id, purpose=purpose)
    if not current.granted:
        reason = "was decided under an older policy" if current.stale else f"is {current.state}"
        raise ConsentRequired(
            f"the consent for {purpose!r} {reason}; grant it in the app's settings",
            purpose=purpose, state=current.state, stale=current.stale,
            grant_at="/api/v1/consents",
        )


def history(connection: Connection, *, user_id: str, device_id: str | None = None,
            purpose: str | None = None) -> list[ConsentEvent]:
    """A user's decisions, oldest first, optionally for one device or purpose."""
    query = select(consent_events).where(consent_events.c.user_id == user_id)
    if device_id:
        query = query.where(consent_events.c.device_id == device_id)
    if purpose:
        query = query.where(consent_events.c.purpose == purpose)
    return [_event(row) for row in connection.execute(query.order_by(consent_events.c.seq))]


def get_event(connection: Connection, event_id: str) -> ConsentEvent:
    """One decision by its id. Raises ``NotFound``."""
    row = connection.execute(select(consent_events).where(consent_events.c.id == event_id)).first()
    if row is None:
        raise NotFound("no such consent decision")
    return _event(row)


def serve_notice(connection: Connection, clock: Clock, *, user_id: str, device_id: str,
                 purpose: str | None, policy: PolicyVersion, notice_hash: str,
                 language: str = "en") -> None:
    """Record that a notice (or, with *purpose* None, the policy itself) was shown."""
    connection.execute(insert(notices_served).values(
        user_id=user_id, device_id=device_id, purpose=purpose, policy_version=policy.version,
        notice_hash=notice_hash, language=language, served_at=clock.now()))


def verify_chain(connection: Connection) -> int | None:
    """The seq of the first event whose hash or link does not check out, or None."""
    prev = GENESIS
    for row in connection.execute(select(consent_events).order_by(consent_events.c.seq)):
        values = {name: getattr(row, name) for name in _HASHED}
        if row.prev_hash != prev or row.hash != event_hash(prev, values):
            return row.seq
        prev = row.hash
    return None


def count_events(connection: Connection) -> int:
    return connection.execute(select(func.count()).select_from(consent_events)).scalar_one()
