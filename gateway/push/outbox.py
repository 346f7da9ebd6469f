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
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import Connection, and_, func, select, update

from gateway.core.clock import Clock
from gateway.core.store import Store
from gateway.identity.tables import devices, token_families
from gateway.push import stats
from gateway.push.consent_check import ConsentMemo, granted_devices
from gateway.push.states import CLAIMABLE, PENDING, DeliveryState
from gateway.push.tables import deliveries, subscriptions, vapid_keys

RESUBSCRIBE_WAIT = timedelta(hours=1)


@dataclass(frozen=True)
class Job:
    """One claimed delivery, with what sending it needs."""

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


@dataclass(frozen=True)
class Change:
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
            changed += connection.execute(
                update(deliveries)
                .where(deliveries.c.id.in_(ids[start:start + 500]),
                       deliveries.c.state == from_state, deliveries.c.attempts == attempt)
                .values(state=state,
                        attempts=attempt + (1 if state == DeliveryState.SENDING else 0),
                        next_attempt_at=next_at, reason=reason, last_status=status,
                        trimmed=trimmed, updated_at=now,
                        delivered_at=now if delivered else None)).rowcount
    outcome = Counter((c.origin, c.state) for c in changes if c.state != DeliveryState.SENDING)
    stats.count(connection, now, outcome)
    return changed


def _due_ids(connection: Connection, now: datetime, limit: int) -> list[int]:
    """The *limit* most overdue claimable deliveries: one ordered index range per state
    (``state, next_attempt_at``) merged here, never a sort of the whole queue."""
    due = []
    for state in CLAIMABLE:
        due += connection.execute(
            select(deliveries.c.next_attempt_at, deliveries.c.id)
            .where(deliveries.c.state == state, deliveries.c.next_attempt_at <= now)
            .order_by(deliveries.c.next_attempt_at).limit(limit)).all()
    return [row.id for row in sorted(due)[:limit]]


def _candidates(connection: Connection, now: datetime, limit: int):
    ids = _due_ids(connection, now, limit)
    if not ids:
        return []
    query = (
        select(deliveries.c.id, deliveries.c.state, deliveries.c.attempts,
               deliveries.c.notification_id, deliveries.c.subscription_id,
               deliveries.c.user_id, deliveries.c.device_id, deliveries.c.origin,
               deliveries.c.expires_at, deliveries.c.trimmed, subscriptions.c.endpoint,
               subscriptions.c.p256dh, subscriptions.c.auth, subscriptions.c.vapid_kid,
               vapid_keys.c.state.label("key_state"),
               devices.c.revoked_at.label("device_revoked_at"),
               token_families.c.revoked_at.label("signed_out_at"))
        .select_from(
            deliveries
            .outerjoin(subscriptions, subscriptions.c.id == deliveries.c.subscription_id)
            .outerjoin(vapid_keys, vapid_keys.c.kid == subscriptions.c.vapid_kid)
            .outerjoin(devices, devices.c.id == deliveries.c.device_id)
            .outerjoin(token_families, token_families.c.id == subscriptions.c.family_id))
        # Checked again: another worker may have claimed some since the ids were read.
        .where(deliveries.c.id.in_(ids), deliveries.c.state.in_(CLAIMABLE),
               deliveries.c.next_attempt_at <= now)
        .order_by(deliveries.c.next_attempt_at, deliveries.c.id)
    )
    if connection.dialect.name == "postgresql":
        # Several workers claim side by side, each skipping the rows another holds.
        query = query.with_for_update(skip_locked=True, of=deliveries)
    return connection.execute(query).all()


def claim(store: Store, clock: Clock, *, limit: int, lease: timedelta,
          free_slots: dict[str, int] | None = None, default_slots: int = 10**9,
          memo: ConsentMemo | None = None) -> list[Job]:
    """Claim up to *limit* due deliveries for sending, settling on the way those that must
    not be sent: past their TTL (``expired``), without subscription, device or sign-in
    (``pruned``), without push consent now (``suppressed``). *free_slots* caps how many
    are taken per origin (a sending slot waits for each claimed job, so the time between
    this consent check and the request stays short); *memo* remembers consent answers
    while the ledger does not change."""
    now = clock.now()
    taken: Counter = Counter()
    jobs: list[Job] = []
    changes: list[Change] = []
    with store.write() as connection:
        rows = _candidates(connection, now, limit)
        pairs = [(r.user_id, r.device_id) for r in rows]
        granted = (memo.granted(connection, clock, pairs) if memo is not None
                   else granted_devices(connection, clock, pairs))
        signed_out = set()
        for row in rows:
            settle = lambda state, reason, at=now: changes.append(Change(  # noqa: E731
                row.id, row.state, row.attempts, state, row.origin, at, reason, None, row.trimmed))
            if row.expires_at <= now:
                settle(DeliveryState.EXPIRED, "the TTL ran out before it could be sent")
            elif row.endpoint is None or row.device_revoked_at is not None:
                settle(DeliveryState.PRUNED, "the subscription or device is gone")
            elif row.signed_out_at is not None:
                signed_out.add(row.subscription_id)
                settle(DeliveryState.PRUNED, "the device signed out")
            elif (row.user_id, row.device_id) not in granted:
                settle(DeliveryState.SUPPRESSED, "no push consent at dispatch")
            elif row.key_state == "retired":
                settle(DeliveryState.RETRYING,
                       "its VAPID key was retired; waiting for re-subscription",
                       min(now + RESUBSCRIBE_WAIT, row.expires_at))
            elif taken[row.origin] < (free_slots or {}).get(row.origin, default_slots):
                taken[row.origin] += 1
                settle(DeliveryState.SENDING, None, now + lease)
                jobs.append(Job(row.id, row.attempts + 1, row.notification_id,
                                row.subscription_id, row.user_id, row.device_id, row.origin,
                                row.endpoint, row.p256dh, row.auth, row.vapid_kid,
                                row.expires_at, row.trimmed))
        apply(connection, now, changes)
        if signed_out:
            connection.execute(subscriptions.delete().where(subscriptions.c.id.in_(signed_out)))
    return jobs


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
