"""Push consent for many devices at once: the same answer as ``consent.is_granted`` for
each device (the consent domain's own ``derive`` decides), in a few queries for a
fan-out of thousands, since every delivery is checked again just before it is sent.

``ConsentMemo`` makes the check before each send nearly free while nothing changes: a
device's push consent can only change when an event is appended to the ledger or a
policy version changing ``push`` comes into effect, so answers are remembered under
(newest event, policy changes in effect) and forgotten the moment either moves.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable

from sqlalchemy import Connection, func, select

from gateway import consent
from gateway.consent.policies import LAST_CHANGE, change_seqs, version_seqs
from gateway.consent.tables import consent_events
from gateway.core.clock import Clock
from gateway.core.store.lists import among

PURPOSE = "push"
# What push consent depends on besides each device's own events, in one statement built
# once (the memo reads it before every batch is sent): the ledger's newest seq (appends
# are serialised by the chain's lock, so it grows in commit order on every instance) and
# the seq of the newest version in effect that changed push.
_KEY = select(select(func.max(consent_events.c.seq)).scalar_subquery(), LAST_CHANGE)


# By user only: the ledger's index leads with user_id, and a user has few devices.
_NEWEST = (select(consent_events.c.user_id, consent_events.c.device_id,
                  consent_events.c.purpose, consent_events.c.decision,
                  consent_events.c.policy_version)
           .where(consent_events.c.seq.in_(
               select(func.max(consent_events.c.seq))
               .where(among(consent_events.c.user_id, "user_ids"),
                      consent_events.c.purpose == PURPOSE)
               .group_by(consent_events.c.user_id, consent_events.c.device_id))))


def _query(connection: Connection, versions: dict, changes: dict,
           pairs: set[tuple[str, str]]) -> set[tuple[str, str]]:
    user_ids = sorted({user_id for user_id, _ in pairs})
    granted: set[tuple[str, str]] = set()
    for start in range(0, len(user_ids), 500):
        rows = connection.execute(_NEWEST, {"user_ids": user_ids[start:start + 500]})
        for row in rows:  # derive() reads purpose, decision and policy_version
            if consent.derive(PURPOSE, [row], version_seqs=versions,
                              change_seqs=changes).granted:
                granted.add((row.user_id, row.device_id))
    return granted & pairs


def granted_devices(connection: Connection, clock: Clock,
                    pairs: Iterable[tuple[str, str]]) -> set[tuple[str, str]]:
    """The (user_id, device_id) pairs among *pairs* whose push consent holds now."""
    pairs = set(pairs)
    if not pairs:
        return set()
    return _query(connection, version_seqs(connection), change_seqs(connection, clock), pairs)


class ConsentMemo:
    """Remembered answers of ``granted_devices``, valid while the ledger and the policy
    changes to push in effect stay as they were (checked with one small query each
    time, so the answers never outlive a change made by any instance)."""

    def __init__(self) -> None:
        self._key: tuple | None = None
        self._answers: dict[tuple[str, str], bool] = {}
        # The worker asks from its event loop (the check before sending) and from its
        # store thread (expansion, claims).
        self._lock = threading.Lock()

    def granted(self, connection: Connection, clock: Clock,
                pairs: Iterable[tuple[str, str]]) -> set[tuple[str, str]]:
        """Like ``granted_devices``, asking the store only about pairs not seen since
        the last change."""
        pairs = set(pairs)
        if not pairs:
            return set()
        key = tuple(connection.execute(_KEY, {"purpose": PURPOSE, "now": clock.now()}).one())
        with self._lock:  # never held while the store answers: the event loop may wait on it
            if key != self._key or len(self._answers) > 200_000:
                self._key, self._answers = key, {}
            answers = self._answers
            # Only the pairs asked about are looked at: ``pairs - answers.keys()`` would
            # walk the whole memo (tens of thousands of pairs in a large fan-out) each time.
            unknown = {pair for pair in pairs if pair not in answers}
        if unknown:
            # derive() reads only the push entry of the changes.
            changes = {PURPOSE: key[1]} if key[1] is not None else {}
            found = _query(connection, version_seqs(connection), changes, unknown)
            answers.update({pair: pair in found for pair in unknown})
        return {pair for pair in pairs if answers[pair]}
