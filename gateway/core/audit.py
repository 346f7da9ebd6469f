"""The operation log (agreement 1.2.2): sign-ins, QR confirmations, previews opened,
consent changes, admin actions, pushes sent. Append-only and hash-chained.

Never put a token, secret, password or full QR link in *details*: the log is shown to
its users and kept for months.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, insert, select

from gateway.core.audit_tables import operations
from gateway.core.clock import Clock
from gateway.core.netaddr import truncate_ip
from gateway.core.store import hold_lock

GENESIS = "0" * 64
_CHAIN_LOCK = 0x61756474  # PostgreSQL advisory lock id of the operation log's chain


@dataclass(frozen=True)
class Operation:
    seq: int
    at: datetime
    actor: str | None
    device_id: str | None
    action: str
    subject: str | None
    details: dict
    ip: str | None


def _hash(prev: str, values: dict) -> str:
    fields = {**values, "at": values["at"].isoformat(timespec="microseconds")}
    canonical = json.dumps(fields, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256((prev + canonical).encode()).hexdigest()


def record(
    connection: Connection, clock: Clock, action: str, *, actor: str | None = None,
    device_id: str | None = None, subject: str | None = None,
    details: dict[str, Any] | None = None, ip: str | None = None,
) -> None:
    """Append one operation inside an open write transaction."""
    hold_lock(connection, _CHAIN_LOCK)
    prev = connection.execute(
        select(operations.c.hash).order_by(operations.c.seq.desc()).limit(1)
    ).scalar() or GENESIS
    # The log is kept for months and cannot be edited (it is chained), so the address is
    # cut to its network now; the device row keeps the full one for a few days.
    values = dict(at=clock.now(), actor=actor, device_id=device_id, action=action,
                  subject=subject, details=details or {}, ip=truncate_ip(ip))
    connection.execute(insert(operations).values(**values, prev_hash=prev, hash=_hash(prev, values)))


def for_actor(connection: Connection, actor: str, limit: int = 200) -> list[Operation]:
    """The newest operations a user did, newest first."""
    rows = connection.execute(
        select(operations).where(operations.c.actor == actor)
        .order_by(operations.c.seq.desc()).limit(limit))
    return [_operation(row) for row in rows]


def recent(connection: Connection, action: str | None = None, limit: int = 200) -> list[Operation]:
    """The newest operations of every actor (optionally of one action), newest first."""
    query = select(operations)
    if action:
        query = query.where(operations.c.action == action)
    rows = connection.execute(query.order_by(operations.c.seq.desc()).limit(limit))
    return [_operation(row) for row in rows]


def _operation(row) -> Operation:
    return Operation(row.seq, row.at, row.actor, row.device_id, row.action, row.subject,
                     row.details, row.ip)


def verify_chain(connection: Connection) -> int | None:
    """The seq of the first entry that was edited or follows a removed one, or None.

    After a retention purge the log starts later: the oldest remaining entry must then
    link to the hash a ``retention.purged`` entry recorded as where the chain starts.
    """
    rows = connection.execute(select(operations).order_by(operations.c.seq))
    anchors = {GENESIS}
    prev = None
    for row in rows:
        values = dict(at=row.at, actor=row.actor, device_id=row.device_id, action=row.action,
                      subject=row.subject, details=row.details, ip=row.ip)
        if prev is None:
            prev = row.prev_hash
            first = row
        if row.prev_hash != prev or row.hash != _hash(prev, values):
            return row.seq
        if row.action == "retention.purged":
            anchors.add((row.details or {}).get("chain_starts_after"))
        prev = row.hash
    if prev is not None and first.prev_hash not in anchors:
        return first.seq
    return None
