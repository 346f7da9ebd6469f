"""The durable outbox: claiming due deliveries for sending and recording what became of
them, each in one short transaction per batch.

A delivery is ``queued`` (or ``retrying``) until a worker claims it: the claim checks push
consent again, and the subscription, device and sign-in, then marks it ``sending`` with a
lease. If the worker dies, the lease runs out and another claim takes it again, so a
crash costs at most a duplicate, never a loss. Recording is conditional on the claim
(state ``sending`` and the same attempt number), so a late answer never overwrites a
newer one.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from datetime import datetime, timedelta
from typing import NamedTuple

from sqlalchemy import Connection, and_, bindparam, func, select, update

from gateway.core.clock import Clock
from gateway.core.store import Store
from gateway.core.store.lists import among
from gateway.identity.tables import devices, token_families
from gateway.push import stats
from gateway.push.consent_check import ConsentMemo, granted_devices
from gateway.push.states import CLAIMABLE, PENDING, DeliveryState
from gateway.push.tables import deliveries, subscriptions, vapid_keys

RESUBSCRIBE_WAIT = timedelta(hours=1)


class Job(NamedTuple):
    """One claimed delivery, with what sending it needs (a named tuple, as ``Change``:
    a claim makes one per delivery, and a frozen dataclass took five times as long)."""

    delivery_id: int
    attempt: int
    notification_id: str
    subscription_id: str
    user_id: str
    device_id: str
    origin: str
    endpoint: str
    p256dh: str
    auth: str
    vapid_kid: str
    expires_at: datetime
    trimmed: bool


class Change(NamedTuple):
    """A delivery leaving ``sending`` (or a claimable state): its new state and why."""

    delivery_id: int
    from_state: DeliveryState
    attempt: int
    state: DeliveryState
    origin: str
    next_attempt_at: datetime
    reason: str | None = None
    last_status: int | None = None
    trimmed: bool = False
    delivered: bool = False


def _unindexed(column):
    """*column* in a form no index can serve: with a list of ids in the same condition,
    SQLite would otherwise walk the whole (state, next_attempt_at) index for ``state = ?``
    (every queued delivery, on every claim) instead of looking the ids up one by one."""
    return column.concat("")


# Built once: a fan-out runs these hundreds of times, and the lists of ids are bound as
# one value (``among``), not rendered into a new statement each time.
_SETTLE = (
    update(deliveries)
    .where(among(deliveries.c.id, "ids"), _unindexed(deliveries.c.state) == bindparam("was"),
           deliveries.c.attempts == bindparam("attempt"))
    .values(state=bindparam("becomes"), attempts=bindparam("attempts_now"),
            next_attempt_at=bindparam("next_at", type_=deliveries.c.next_attempt_at.type),
            reason=bindparam("why"), last_status=bindparam("status"),
            trimmed=bindparam("trim"),
            updated_at=bindparam("now", type_=deliveries.c.updated_at.type),
            delivered_at=bindparam("delivered", type_=deliveries.c.delivered_at.type)))


def apply(connection: Connection, now: datetime, changes: list[Change]) -> int:
    """Write *changes*, each only if its row is still in the state and attempt it was
    claimed in; counts the final states in the statistics. Returns how many rows changed.

    Changes alike but for the row (most of a fan-out: delivered at attempt 1) go as one
    ``UPDATE ... WHERE id IN (...)``, which keeps a 10,000-message fan-out cheap."""
    groups: dict[tuple, list[int]] = defaultdict(list)
    for c in changes:
        key = (c.from_state, c.attempt, c.state, c.next_attempt_at,
               c.reason[:200] if c.reason else None, c.last_status, c.trimmed, c.delivered)
        groups[key].append(c.delivery_id)
    changed = 0
    for (from_state, attempt, state, next_at, reason, status, trimmed, delivered), ids in \
            groups.items():
        for start in range(0, len(ids), 500):
            changed += connection.execute(_SETTLE, dict(
                ids=ids[start:start + 500], was=from_state, attempt=attempt, becomes=state,
                attempts_now=attempt + (1 if state == DeliveryState.SENDING else 0),
                next_at=next_at, why=reason, status=status, trim=trimmed, now=now,
                delivered=now if delivered else None)).rowcount
    outcome = Counter((c.origin, c.state) for c in changes if c.state != DeliveryState.SENDING)
    stats.count(connection, now, outcome)
    return changed


def _due_ids(connection: Connection, now: datetime, limit: int) -> list[int]:
    """The *limit* most overdue claimable deliveries: one ordered index range per state
    (``state, next_attempt_at``) merged here, never a sort of the whole queue."""
    due = []
    for state in CLAIMABLE:
        due += connection.execute(_DUE, {"state": state, "now": now, "limit": limit}).all()
    return [row.id for row in sorted(due)[:limit]]


_DUE = (select(deliveries.c.next_attempt_at, deliveries.c.id)
        .where(deliveries.c.state == bindparam("state"),
               deliveries.c.next_attempt_at <= bindparam("now"))
        .order_by(deliveries.c.next_attempt_at).limit(bindparam("limit")))
_CANDIDATES = (
    select(deliveries.c.id, deliveries.c.state, deliveries.c.attempts,
           deliveries.c.notification_id, deliveries.c.subscription_id,
           deliveries.c.user_id, deliveries.c.device_id, deliveries.c.origin,
           deliveries.c.expires_at, deliveries.c.trimmed, subscriptions.c.endpoint,
           subscriptions.c.p256dh, subscriptions.c.auth, subscriptions.c.vapid_kid,
           vapid_keys.c.state.label("key_state"),
           # Whether, not when: a flag costs less to read than a moment.
           devices.c.revoked_at.is_not(None).label("device_revoked"),
           token_families.c.revoked_at.is_not(None).label("signed_out"))
    .select_from(
        deliveries
        .outerjoin(subscriptions, subscriptions.c.id == deliveries.c.subscription_id)
        .outerjoin(vapid_keys, vapid_keys.c.kid == subscriptions.c.vapid_kid)
        .outerjoin(devices, devices.c.id == deliveries.c.device_id)
        .outerjoin(token_families, token_families.c.id == subscriptions.c.family_id))
    # Checked again: another worker may have claimed some since the ids were read.
    .where(among(deliveries.c.id, "ids"), _unindexed(deliveries.c.state).in_(CLAIMABLE),
           deliveries.c.next_attempt_at <= bindparam("now"))
    .order_by(deliveries.c.next_attempt_at, deliveries.c.id)
)
# Several workers claim side by side on PostgreSQL, each skipping the rows another holds.
_CANDIDATES_LOCKED = _CANDIDATES.with_for_update(skip_locked=True, of=deliveries)


def _candidates(connection: Connection, now: datetime, limit: int):
    ids = _due_ids(connection, now, limit)
    if not ids:
        return []
    query = _CANDIDATES_LOCKED if connection.dialect.name == "postgresql" else _CANDIDATES
    return connection.execute(query, {"ids": ids, "now": now}).all()


def claim(store: Store, clock: Clock, *, limit: int, lease: timedelta,
          free_slots: dict[str, int] | None = None, default_slots: int = 10**9,
          memo: ConsentMemo | None = None) -> list[Job]:
    """Claim up to *limit* due deliveries for sending, settling on the way those that must
    not be sent: past their TTL (``expired``), without subscription, device or sign-in
    (``pruned``), without push consent now (``suppressed``). *free_slots* caps how many
    are taken per origin (a sending slot waits for each claimed job, so the time between
    this consent check and the request stays short); *memo* remembers consent answers
    while the ledger does not change. All of it in one transaction of a few statements,
    whatever *limit* is."""
    now = clock.now()
    taken: Counter = Counter()
    jobs: list[Job] = []
    changes: list[Change] = []
    free_slots = free_slots or {}
    with store.write() as connection:
        rows = _candidates(connection, now, limit)
        pairs = [(r.user_id, r.device_id) for r in rows]
        granted = (memo.granted(connection, clock, pairs) if memo is not None
                   else granted_devices(connection, clock, pairs))
        signed_out = set()
        for row in rows:
            state, reason, at = _verdict(row, now, granted)
            if state is None:  # sendable
                if taken[row.origin] >= free_slots.get(row.origin, default_slots):
                    continue  # stays queued for the next claim
                taken[row.origin] += 1
                state, at = DeliveryState.SENDING, now + lease
                jobs.append(Job(row.id, row.attempts + 1, row.notification_id,
                                row.subscription_id, row.user_id, row.device_id, row.origin,
                                row.endpoint, row.p256dh, row.auth, row.vapid_kid,
                                row.expires_at, row.trimmed))
            elif reason == SIGNED_OUT:
                signed_out.add(row.subscription_id)
            changes.append(Change(row.id, row.state, row.attempts, state, row.origin, at,
                                  reason, None, row.trimmed))
        apply(connection, now, changes)
        if signed_out:
            connection.execute(subscriptions.delete().where(subscriptions.c.id.in_(signed_out)))
    return jobs


SIGNED_OUT = "the device signed out"


def _verdict(row, now: datetime, granted: set) -> tuple[DeliveryState | None, str | None,
                                                         datetime]:
    """What a claimed row becomes when it must not be sent: its state, why, and when it
    may be tried next; (None, None, now) when it may be sent."""
    if row.expires_at <= now:
        return DeliveryState.EXPIRED, "the TTL ran out before it could be sent", now
    if row.endpoint is None or row.device_revoked:
        return DeliveryState.PRUNED, "the subscription or device is gone", now
    if row.signed_out:
        return DeliveryState.PRUNED, SIGNED_OUT, now
    if (row.user_id, row.device_id) not in granted:
        return DeliveryState.SUPPRESSED, "no push consent at dispatch", now
    if row.key_state == "retired":
        return (DeliveryState.RETRYING, "its VAPID key was retired; waiting for re-subscription",
                min(now + RESUBSCRIBE_WAIT, row.expires_at))
    return None, None, now


def cancel_pending(connection: Connection, clock: Clock, *, state: DeliveryState, reason: str,
                   device_id: str | None = None,
                   subscription_ids: set[str] | None = None) -> int:
    """Settle the still-queued deliveries of a device (or of some subscriptions) as *state*
    (``suppressed`` after a withdrawal, ``pruned`` when the subscription went)."""
    condition = deliveries.c.state.in_(PENDING)
    if device_id is not None:
        condition = and_(condition, deliveries.c.device_id == device_id)
    if subscription_ids is not None:
        condition = and_(condition, deliveries.c.subscription_id.in_(sorted(subscription_ids)))
    counts = Counter({(origin, state): n for origin, n in connection.execute(
        select(deliveries.c.origin, func.count()).where(condition)
        .group_by(deliveries.c.origin)).all()})
    if not counts:
        return 0
    now = clock.now()
    changed = connection.execute(update(deliveries).where(condition).values(
        state=state, reason=reason, updated_at=now, next_attempt_at=now)).rowcount
    stats.count(connection, now, counts)
    return changed


def next_due(connection: Connection) -> datetime | None:
    """When the next delivery falls due (or a lease runs out)."""
    return connection.execute(select(func.min(deliveries.c.next_attempt_at))
                              .where(deliveries.c.state.in_(CLAIMABLE))).scalar()
