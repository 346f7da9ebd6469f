"""Push consent for many devices at once: the same answer as ``consent.is_granted`` for
each device (the consent domain's own ``derive`` decides), in a few queries for a
fan-out of thousands, since every delivery is checked again just before it is sent."""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import Connection, func, select

from gateway import consent
from gateway.clock import Clock
from gateway.consent.ledger import event_of
from gateway.consent.policies import change_seqs, version_seqs
from gateway.store.consent_tables import consent_events

PURPOSE = "push"


def granted_devices(connection: Connection, clock: Clock,
                    pairs: Iterable[tuple[str, str]]) -> set[tuple[str, str]]:
    """The (user_id, device_id) pairs among *pairs* whose push consent holds now."""
    pairs = set(pairs)
    if not pairs:
        return set()
    versions, changes = version_seqs(connection), change_seqs(connection, clock)
    by_user: dict[str, set[str]] = {}
    for user_id, device_id in pairs:
        by_user.setdefault(user_id, set()).add(device_id)
    user_ids = sorted(by_user)
    granted: set[tuple[str, str]] = set()
    for start in range(0, len(user_ids), 400):
        chunk = user_ids[start:start + 400]
        device_ids = sorted(set().union(*(by_user[u] for u in chunk)))
        # user_id first: the ledger's index is (user_id, device_id, purpose, seq).
        newest = (select(func.max(consent_events.c.seq))
                  .where(consent_events.c.user_id.in_(chunk),
                         consent_events.c.device_id.in_(device_ids),
                         consent_events.c.purpose == PURPOSE)
                  .group_by(consent_events.c.user_id, consent_events.c.device_id))
        for row in connection.execute(select(consent_events)
                                      .where(consent_events.c.seq.in_(newest))):
            event = event_of(row)
            if consent.derive(PURPOSE, [event], version_seqs=versions,
                              change_seqs=changes).granted:
                granted.add((event.user_id, event.device_id))
    return granted & pairs
