"""The housekeeper's frequent round: ended QR logins, phone-connection offers and used
device proofs past their retention (``GATEWAY_RETAIN_ENDED_FLOW_HOURS``), and the OpenID
Provider's ended authorization requests, codes and tokens (``gateway.oidc.ended``), are
removed in bounded batches, each in its own short transaction.

Requests used to remove them as they started a flow, so the first browser after a quiet
night paid for every row that ended meanwhile (a second for 100,000), holding the store's
write lock all along. Here no request pays: a batch holds the lock for a few milliseconds,
and requests that write interleave between batches.
"""

from __future__ import annotations

from sqlalchemy import delete, select, tuple_

from gateway.core.clock import Clock
from gateway.core.settings import Settings
from gateway.core.store import Store
from gateway.enrollment.tables import enrollments
from gateway.identity.tables import used_device_proofs
from gateway.oidc import ended as oidc_ended
from gateway.privacy import retention
from gateway.qrlogin.tables import qr_logins

BATCH = 500  # rows per transaction (a QR login takes its four token hashes along)

# Each table, its key and the column that says when its row ended.
_ENDED = (
    (qr_logins, (qr_logins.c.id,), qr_logins.c.expires_at),
    (enrollments, (enrollments.c.id,), enrollments.c.expires_at),
    (used_device_proofs, (used_device_proofs.c.device_id, used_device_proofs.c.jti),
     used_device_proofs.c.used_at),
)


def sweep_ended_flows(store: Store, clock: Clock, settings: Settings, *,
                      batch: int = BATCH) -> int:
    """Remove every ended flow and used device proof older than its retention, *batch*
    rows per transaction; returns how many rows went. Raises what the store raises (the
    housekeeper logs it and tries again on its next round)."""
    now = clock.now()
    cutoff = now - retention.period(settings, retention.ENDED_FLOWS)
    doomed = [(table, key, ended < cutoff) for table, key, ended in _ENDED]
    doomed += [(table, tuple(table.primary_key.columns), condition)
               for table, condition in oidc_ended.ended(now)]
    removed = 0
    for table, key, condition in doomed:
        oldest = select(*key).where(condition).limit(batch)
        target = key[0].in_(oldest) if len(key) == 1 else tuple_(*key).in_(oldest)
        while True:
            with store.write() as connection:
                gone = connection.execute(delete(table).where(target)).rowcount
            removed += gone
            if gone < batch:
                break
    return removed
