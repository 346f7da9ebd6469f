"""Recording what the push services answered: one transaction per batch of results that
moves each delivery out of ``sending``, prunes gone subscriptions (unless the mass-prune
guard has paused that origin), raises admin alerts and counts the statistics."""

from __future__ import annotations

import random
from collections import Counter
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import bindparam, update

from gateway.core.clock import Clock
from gateway.core.store import Store
from gateway.core.store.lists import among
from gateway.push import alerts, guard, outbox, outcomes, stats
from gateway.push.outbox import Change, Job
from gateway.push.outcomes import Outcome, OutcomeKind
from gateway.push.states import AFTER_OUTCOME, DeliveryState
from gateway.push.tables import subscriptions

# Built once: every batch of answers marks the subscriptions it reached.
_REACHED = (update(subscriptions)
            .where(among(subscriptions.c.id, "ids"))
            .values(last_delivered_at=bindparam(
                "now", type_=subscriptions.c.last_delivered_at.type)))


@dataclass(frozen=True)
class Result:
    job: Job
    outcome: Outcome
    latency: float | None = None  # seconds the request took; None when none was made


def _change(job: Job, outcome: Outcome, now: datetime) -> Change:
    base = dict(delivery_id=job.delivery_id, from_state=DeliveryState.SENDING,
                attempt=job.attempt, origin=job.origin, next_attempt_at=now,
                reason=outcome.reason, last_status=outcome.status, trimmed=job.trimmed)
    kind = outcome.kind
    if kind == OutcomeKind.TOO_LARGE and not job.trimmed:
        # Never the same bytes again: retry at once without the body.
        return Change(**{**base, "trimmed": True,
                         "reason": "too large for the push service; retrying without the body"},
                      state=DeliveryState.RETRYING)
    if kind == OutcomeKind.TOO_LARGE:
        base["reason"] = "too large for the push service even without its body"
    elif kind == OutcomeKind.RETRY:
        base["next_attempt_at"] = outcome.retry_at
    state = AFTER_OUTCOME[kind]
    return Change(**base, state=state, delivered=state == DeliveryState.DELIVERED)


def _guard(connection, clock: Clock, results: list[Result], prune_guard: guard.PruneGuard,
           now: datetime, in_flight: Counter) -> tuple[set[str], set[str]]:
    """The origins whose pruning is paused (pausing those that turned unusual now), and
    those whose prunes wait for more answers."""
    for result in results:
        if result.outcome.status is not None:
            prune_guard.observe(result.job.origin, result.outcome.status in (404, 410), now)
    paused = guard.paused(connection, now)
    held = set()
    pruning = {r.job.origin for r in results if r.outcome.kind == OutcomeKind.PRUNE} - paused
    for origin in sorted(pruning):
        verdict, gone, total = prune_guard.assess(origin, now, in_flight[origin])
        if verdict == "hold":
            held.add(origin)
        elif verdict == "unusual":
            until = now + guard.PAUSE
            guard.pause(connection, origin, until, f"{gone} of {total} answers were 404/410")
            alerts.raise_alert(
                connection, clock, "mass-prune", origin,
                f"{gone} of the last {total} answers were 404/410: pruning is paused until "
                f"{until:%Y-%m-%d %H:%M} UTC and those deliveries are retried. Resolve this "
                "alert once the push service is known to be healthy to prune again.")
            paused.add(origin)
    return paused, held


def record(store: Store, clock: Clock, results: list[Result], *,
           prune_guard: guard.PruneGuard, rng: random.Random,
           in_flight: Counter | None = None) -> Counter:
    """Write *results*; returns how many deliveries went to each state. *in_flight*
    counts the requests per origin still awaiting an answer (for the prune guard)."""
    if not results:
        return Counter()
    now = clock.now()
    changes: list[Change] = []
    gone: set[str] = set()
    reached: set[str] = set()
    raised: Counter = Counter()
    with store.write() as connection:
        paused, held = _guard(connection, clock, results, prune_guard, now,
                              in_flight or Counter())
        for result in results:
            job, outcome = result.job, result.outcome
            if outcome.kind == OutcomeKind.PRUNE and job.origin in paused | held:
                why = "paused" if job.origin in paused else "held for more answers"
                outcome = outcomes.retry(
                    now=now, attempt=job.attempt, expires_at=job.expires_at, rng=rng,
                    status=outcome.status, reason=f"pruning {why} for this push service")
            changes.append(_change(job, outcome, now))
            if outcome.kind == OutcomeKind.PRUNE:
                gone.add(job.subscription_id)
            elif outcome.kind == OutcomeKind.DELIVERED:
                reached.add(job.subscription_id)
            if outcome.alert:
                raised[(outcome.alert, job.origin, outcome.reason)] += 1
        outbox.apply(connection, now, changes)
        if gone:
            connection.execute(subscriptions.delete().where(subscriptions.c.id.in_(sorted(gone))))
            outbox.cancel_pending(connection, clock, state=DeliveryState.PRUNED,
                                  subscription_ids=gone, reason="the subscription is gone")
        if reached:
            connection.execute(_REACHED, {"ids": sorted(reached), "now": now})
        for (kind, origin, reason), count in sorted(raised.items()):
            alerts.raise_alert(connection, clock, kind, origin, reason or kind, count)
        stats.time_sends(connection, [(r.job.origin, r.latency) for r in results
                                      if r.latency is not None])
    return Counter(change.state for change in changes)
