"""The states of a delivery and the outcome kinds: each kind settles a delivery in a state
named explicitly, and both are stored and shown as the same strings as ever."""

from __future__ import annotations

import json

from gateway.push.outcomes import OutcomeKind
from gateway.push.states import AFTER_OUTCOME, CLAIMABLE, FINAL, PENDING, STATES, DeliveryState


def test_every_outcome_kind_settles_a_delivery_in_a_named_state():
    assert set(AFTER_OUTCOME) == set(OutcomeKind)
    assert all(isinstance(state, DeliveryState) for state in AFTER_OUTCOME.values())


def test_an_outcome_settles_a_delivery_in_a_final_state_or_for_a_retry():
    for kind, state in AFTER_OUTCOME.items():
        assert state in FINAL or (kind == OutcomeKind.RETRY
                                  and state == DeliveryState.RETRYING), kind


def test_every_state_is_listed_once_pending_claimable_or_final():
    assert sorted(STATES) == sorted(DeliveryState) and len(set(STATES)) == len(STATES)
    assert set(PENDING) < set(CLAIMABLE) and not set(CLAIMABLE) & set(FINAL)
    assert set(CLAIMABLE) | set(FINAL) == set(DeliveryState)


def test_kinds_and_states_are_the_strings_stored_and_shown():
    assert [str(kind) for kind in OutcomeKind] == [
        "delivered", "retry", "prune", "failed", "too_large", "expired", "suppressed"]
    assert list(STATES) == ["queued", "sending", "retrying", "delivered", "suppressed",
                            "pruned", "failed", "expired"]
    assert json.dumps({DeliveryState.PRUNED: OutcomeKind.PRUNE}) == '{"pruned": "prune"}'
    assert f"{DeliveryState.QUEUED}" == "queued"
