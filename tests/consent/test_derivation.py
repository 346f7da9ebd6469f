"""The current state of a consent is derived from the sequence of its events."""

from datetime import timedelta

import pytest

from gateway.consent import ConsentEvent, derive
from tests.support import START

VERSIONS = {"1.0": 1, "2.0": 2, "3.0": 3}


def event(purpose: str, decision: str, version: str = "1.0", n: int = 0) -> ConsentEvent:
    return ConsentEvent(
        seq=n, id=f"e{n}", user_id="u", device_id="d", purpose=purpose, decision=decision,
        policy_version=version, notice_hash="0" * 64, language="en", method="in_app_dialog",
        os_permission=None, app_version=None, client_time=None,
        server_time=START + timedelta(minutes=n), prev_hash="0" * 64, hash="0" * 64)


def sequence(*steps) -> list[ConsentEvent]:
    return [event(*step, n=n) for n, step in enumerate(steps)]


@pytest.mark.parametrize(("steps", "changes", "state", "granted", "needs_decision", "reason"), [
    ((), {}, "undecided", False, True, "undecided"),
    ((("camera", "granted"),), {}, "granted", True, False, None),
    ((("camera", "refused"),), {}, "refused", False, False, None),
    ((("camera", "granted"), ("camera", "withdrawn")), {}, "withdrawn", False, False, None),
    ((("camera", "granted"), ("camera", "withdrawn"), ("camera", "granted")), {},
     "granted", True, False, None),
    ((("camera", "refused"), ("camera", "granted")), {}, "granted", True, False, None),
    # Another purpose's events do not count.
    ((("push", "granted"),), {}, "undecided", False, True, "undecided"),
    ((("camera", "granted"), ("push", "withdrawn")), {}, "granted", True, False, None),
    # A newer version in effect changed the purpose: the grant lapses, the user is asked.
    ((("camera", "granted"),), {"camera": 2}, "granted", False, True, "policy_changed"),
    ((("camera", "granted", "2.0"),), {"camera": 2}, "granted", True, False, None),
    ((("camera", "granted", "1.0"), ("camera", "granted", "3.0")), {"camera": 2},
     "granted", True, False, None),
    # A refusal is asked about again only when the policy changed that purpose.
    ((("camera", "refused"),), {"push": 2}, "refused", False, False, None),
    ((("camera", "refused"),), {"camera": 3}, "refused", False, True, "policy_changed"),
    ((("camera", "withdrawn", "2.0"),), {"camera": 2}, "withdrawn", False, False, None),
    # A decision under a version the ledger no longer knows counts as the oldest.
    ((("camera", "granted", "0.9"),), {"camera": 1}, "granted", False, True, "policy_changed"),
])
def test_the_state_follows_the_last_decision_and_lapses_when_the_policy_changes_it(
        steps, changes, state, granted, needs_decision, reason):
    status = derive("camera", sequence(*steps), version_seqs=VERSIONS, change_seqs=changes)
    assert (status.state, status.granted, status.needs_decision, status.reason) == (
        state, granted, needs_decision, reason)


def test_the_last_event_is_the_one_the_state_came_from():
    events = sequence(("camera", "granted"), ("push", "granted"), ("camera", "withdrawn"))
    status = derive("camera", events, version_seqs=VERSIONS, change_seqs={})
    assert status.last_event is events[2]
