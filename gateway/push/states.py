"""The states of a delivery, and the state each outcome of a push request settles it in.

A delivery is ``queued`` (or ``retrying``) until a worker claims it, ``sending`` while its
request is in flight (or until its lease runs out), then final. A ``StrEnum`` member is its
string, so what ``push_deliveries.state`` and the statistics store, and what the console's
JSON shows, is the same text as ever.
"""

from __future__ import annotations

from collections.abc import Mapping
from enum import StrEnum
from types import MappingProxyType

from gateway.push.outcomes import OutcomeKind


class DeliveryState(StrEnum):
    """Where one delivery (a notification to one subscription) stands."""

    QUEUED = "queued"
    SENDING = "sending"
    RETRYING = "retrying"
    DELIVERED = "delivered"
    SUPPRESSED = "suppressed"  # never sent: no push consent when it was checked
    PRUNED = "pruned"  # the subscription, device or sign-in went
    FAILED = "failed"
    EXPIRED = "expired"


PENDING = (DeliveryState.QUEUED, DeliveryState.RETRYING)
# A `sending` row is claimable again once its lease ends.
CLAIMABLE = PENDING + (DeliveryState.SENDING,)
FINAL = (DeliveryState.DELIVERED, DeliveryState.SUPPRESSED, DeliveryState.PRUNED,
         DeliveryState.FAILED, DeliveryState.EXPIRED)
# Every state, in the order the console lists them.
STATES = (DeliveryState.QUEUED, DeliveryState.SENDING, DeliveryState.RETRYING) + FINAL

# The state each kind of outcome settles its delivery in. Spelled out for every kind (a
# test holds it total), so a new kind needs a decision here instead of falling through to
# a state of its own name. A too-large answer is first retried once without its body
# (``recorder``); this is the state it ends in when that too is refused.
AFTER_OUTCOME: Mapping[OutcomeKind, DeliveryState] = MappingProxyType({
    OutcomeKind.DELIVERED: DeliveryState.DELIVERED,
    OutcomeKind.RETRY: DeliveryState.RETRYING,
    OutcomeKind.PRUNE: DeliveryState.PRUNED,
    OutcomeKind.FAILED: DeliveryState.FAILED,
    OutcomeKind.TOO_LARGE: DeliveryState.FAILED,
    OutcomeKind.EXPIRED: DeliveryState.EXPIRED,
    OutcomeKind.SUPPRESSED: DeliveryState.SUPPRESSED,
})
