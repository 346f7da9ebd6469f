"""The ledger's hash chain: each event carries the hash of the one before it, and a
checkpoint (the chain head) records how many events there are and which is last.

Editing an event breaks its own hash; removing one breaks the link of the next; removing
the newest ones leaves the checkpoint pointing past the end. The subject (user and
device) enters the hash through its digest, so retention may erase the subject of an old
event (``redact``) while every other field stays covered.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import Connection, insert, select, update

from gateway.consent.tables import consent_chain_head, consent_events
from gateway.core.clock import Clock
from gateway.core.store import hold_lock

GENESIS = "0" * 64
HEAD_ID = 1
_CHAIN_LOCK = 0x636F6E73  # PostgreSQL advisory lock id: one writer extends the chain at a time
HASHED = ("id", "purpose", "decision", "policy_version", "notice_hash", "language", "method",
          "os_permission", "app_version", "client_time", "server_time")


def _sha256(value: str) -> str:
    return hashlib.sha256(value.encode("utf-8")).hexdigest()


def _canonical(fields: dict) -> str:
    return json.dumps(fields, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def _moment(value: datetime | None) -> str | None:
    # Normalised to UTC: the store gives back UTC whatever offset the value came in with.
    return None if value is None else value.astimezone(UTC).isoformat(timespec="microseconds")


def subject_digest(user_id: str, device_id: str) -> str:
    """The digest of who an event is about, which the event's hash covers."""
    return _sha256(_canonical({"device_id": device_id, "user_id": user_id}))


def event_hash(prev_hash: str, values: dict, digest: str) -> str:
    """SHA-256 over the previous hash, the event's fields and its subject digest."""
    fields = {name: values.get(name) for name in HASHED}
    fields["client_time"] = _moment(fields["client_time"])
    fields["server_time"] = _moment(fields["server_time"])
    return _sha256(prev_hash + _canonical({"event": fields, "subject": digest}))


@dataclass(frozen=True)
class ChainHead:
    events: int
    last_seq: int
    last_hash: str


def head(connection: Connection) -> ChainHead | None:
    """The checkpoint, or None before the first event."""
    row = connection.execute(
        select(consent_chain_head).where(consent_chain_head.c.id == HEAD_ID)).first()
    return ChainHead(row.events, row.last_seq, row.last_hash) if row else None


def append(connection: Connection, clock: Clock, values: dict) -> int:
    """Insert one event at the end of the chain (inside an open write transaction) and
    move the checkpoint; returns the event's seq."""
    hold_lock(connection, _CHAIN_LOCK)
    current = head(connection)
    prev = current.last_hash if current else GENESIS
    digest = subject_digest(values["user_id"], values["device_id"])
    hashed = event_hash(prev, values, digest)
    seq = connection.execute(insert(consent_events).values(
        **values, subject_digest=digest, prev_hash=prev, hash=hashed)).inserted_primary_key[0]
    moved = dict(events=(current.events if current else 0) + 1, last_seq=seq,
                 last_hash=hashed, updated_at=clock.now())
    if current is None:
        connection.execute(insert(consent_chain_head).values(id=HEAD_ID, **moved))
    else:
        connection.execute(update(consent_chain_head)
                           .where(consent_chain_head.c.id == HEAD_ID).values(**moved))
    return seq


@dataclass(frozen=True)
class ChainReport:
    """What ``verify`` found: how many events, and the first that does not check out."""

    events: int
    head_hash: str
    broken_seq: int | None = None
    broken_id: str | None = None
    reason: str | None = None

    @property
    def intact(self) -> bool:
        return self.reason is None


def verify(connection: Connection) -> ChainReport:
    """Walk the whole chain in order; report the first event whose hash, subject or link
    does not check out, or a checkpoint that the chain does not end at."""
    prev, count, last_seq = GENESIS, 0, None
    rows = connection.execute(
        select(consent_events).order_by(consent_events.c.seq).execution_options(yield_per=1000))
    for row in rows:
        count += 1
        values = row._asdict()
        if row.redacted_at is None and row.subject_digest != subject_digest(row.user_id,
                                                                            row.device_id):
            reason = "its user or device was changed"
        elif row.prev_hash != prev:
            reason = ("it does not link to the event before it: an event in between was "
                      "removed, or this one was altered")
        elif row.hash != event_hash(prev, values, row.subject_digest):
            reason = "its fields were changed after it was recorded"
        else:
            prev, last_seq = row.hash, row.seq
            continue
        rows.close()
        return ChainReport(count, prev, row.seq, row.id, reason)
    checkpoint = head(connection)
    if checkpoint is None:
        if count:
            return ChainReport(count, prev, None, None, "the chain's checkpoint is missing")
        return ChainReport(0, prev)
    if (checkpoint.events, checkpoint.last_seq, checkpoint.last_hash) != (count, last_seq, prev):
        removed = ": the newest events were removed" if checkpoint.events > count else ""
        return ChainReport(
            count, prev, checkpoint.last_seq, None,
            f"the checkpoint records {checkpoint.events} events ending at event "
            f"#{checkpoint.last_seq}, but the ledger holds {count} ending at "
            f"#{last_seq}{removed}")
    return ChainReport(count, prev)


def redact(connection: Connection, clock: Clock, condition) -> int:
    """Erase the user and device of the events matching *condition* (retention), keeping
    their digest so the chain still verifies. Returns how many were redacted."""
    return connection.execute(
        update(consent_events).where(condition, consent_events.c.redacted_at.is_(None))
        .values(user_id="", device_id="", redacted_at=clock.now())).rowcount
