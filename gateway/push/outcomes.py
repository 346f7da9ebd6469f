"""What a push service's answer means for the delivery (after sygnal's classified errors):
delivered, retry later, prune the subscription, our own fault, too large, or expired.

Retries back off exponentially with jitter and never come earlier than the service's
``Retry-After``; a retry that could only happen after the message's TTL is ``expired``
at once instead of waiting for nothing.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import datetime, timedelta
from email.utils import parsedate_to_datetime
from enum import StrEnum

FIRST_BACKOFF = timedelta(seconds=5)
LONGEST_BACKOFF = timedelta(hours=1)
LONGEST_RETRY_AFTER = timedelta(days=1)


class OutcomeKind(StrEnum):
    """What became of one push request, deciding what happens next (the delivery's state
    after each is ``states.AFTER_OUTCOME``)."""

    DELIVERED = "delivered"
    RETRY = "retry"
    PRUNE = "prune"
    FAILED = "failed"
    TOO_LARGE = "too_large"
    EXPIRED = "expired"
    SUPPRESSED = "suppressed"  # never sent: push consent went before the request


@dataclass(frozen=True)
class Outcome:
    kind: OutcomeKind
    status: int | None = None  # the push service's HTTP status, None without an answer
    retry_at: datetime | None = None  # with kind "retry"
    reason: str | None = None
    alert: str | None = None  # the kind of admin alert it raises (see ``alerts.KINDS``)


def parse_retry_after(value: str | None, now: datetime) -> datetime | None:
    """The moment a ``Retry-After`` header (delay in seconds or an HTTP date) points at,
    capped at a day ahead; None when absent or unreadable."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        moment = now + timedelta(seconds=int(value))
    else:
        try:
            moment = parsedate_to_datetime(value)
        except (TypeError, ValueError, IndexError):
            return None
        if moment.tzinfo is None:
            return None
    return min(max(moment, now), now + LONGEST_RETRY_AFTER)


def backoff(attempt: int, rng: random.Random) -> timedelta:
    """How long to wait before attempt *attempt* + 1: 5 s doubling per attempt up to an
    hour, drawn between half and all of that ("equal jitter": spread, never zero)."""
    ceiling = min(FIRST_BACKOFF * (2 ** max(attempt - 1, 0)), LONGEST_BACKOFF)
    return ceiling * rng.uniform(0.5, 1.0)


def retry(*, now: datetime, attempt: int, expires_at: datetime, rng: random.Random,
          status: int | None, reason: str, retry_after: datetime | None = None) -> Outcome:
    """A retry at the later of the backoff and *retry_after* (plus up to 10 % so that a
    crowd told the same moment does not return at once), or ``expired`` past the TTL."""
    at = now + backoff(attempt, rng)
    if retry_after is not None:
        wait = retry_after - now
        at = max(at, retry_after + wait * rng.uniform(0, 0.1))
    if at >= expires_at:
        return Outcome(OutcomeKind.EXPIRED, status,
                       reason=f"{reason}; the TTL ends before a retry")
    return Outcome(OutcomeKind.RETRY, status, retry_at=at, reason=reason)


def classify(status: int, retry_after_header: str | None, *, now: datetime, attempt: int,
             expires_at: datetime, rng: random.Random) -> Outcome:
    """The outcome of an HTTP answer *status* to attempt number *attempt*."""
    if 200 <= status < 300:
        return Outcome(OutcomeKind.DELIVERED, status)
    if status in (404, 410):
        return Outcome(OutcomeKind.PRUNE, status, reason="the subscription is gone")
    if status == 413:
        return Outcome(OutcomeKind.TOO_LARGE, status,
                       reason="the push service refused the size")
    if status in (408, 425, 429) or status >= 500:
        return retry(now=now, attempt=attempt, expires_at=expires_at, rng=rng, status=status,
                     reason=f"push service answered {status}",
                     retry_after=parse_retry_after(retry_after_header, now))
    # 400/401/403 (and anything unexpected) is our fault: a bad VAPID signature, subject
    # or payload. Never prune for it, and tell the admin.
    return Outcome(OutcomeKind.FAILED, status,
                   reason=f"push service refused the request ({status}): check the VAPID "
                          "key, subject and payload", alert="our-fault")
