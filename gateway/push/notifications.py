"""Accepting a notification: checked, committed, answered 202. The worker expands it into
one delivery per device later (``expansion``); nothing accepted is lost.

A retried request with the same idempotency key (per sender) creates nothing new and
gets the first answer back; the same key with a different request is a conflict.
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import asdict, dataclass
from datetime import datetime, timedelta
from urllib.parse import urlsplit

from sqlalchemy import Connection, insert, select
from sqlalchemy.exc import IntegrityError

from gateway.core import audit
from gateway.core.clock import Clock
from gateway.core.errors import InvalidRequest, NotFound
from gateway.core.store import Store
from gateway.core.tokens import new_id
from gateway.push import payload, topics
from gateway.push.audience import unknown_names
from gateway.push.errors import AudienceInvalid, IdempotencyConflict, PayloadTooLarge
from gateway.push.tables import notifications

AUDIENCES = ("users", "groups", "topic", "everyone")
DEFAULT_TTL = 24 * 3600
LONGEST_DELAY = timedelta(days=30)
COLLAPSE_KEY = re.compile(r"^[A-Za-z0-9_-]{1,32}$")  # RFC 8030 Topic: base64url, <= 32


@dataclass(frozen=True)
class Audience:
    kind: str  # users, groups, topic (its subscribers), everyone
    users: tuple[str, ...] = ()  # usernames
    groups: tuple[str, ...] = ()
    # Only the users who read this language (``gateway.identity.reading``; with
    # language_unset, also those of whom nothing tells): the gateway's own announcements
    # go out once per language.
    language: str | None = None
    language_unset: bool = False


@dataclass(frozen=True)
class Draft:
    """A send request as the caller made it."""

    audience: Audience
    title: str
    body: str = ""
    url: str | None = None
    topic: str | None = None
    collapse_key: str | None = None
    ttl: int | None = None  # None: the topic's, else a day
    urgency: str | None = None  # None: the topic's, else normal
    send_at: datetime | None = None
    idempotency_key: str | None = None


@dataclass(frozen=True)
class Notification:
    id: str
    sender_kind: str
    sender_id: str
    audience: dict
    topic: str | None
    title: str
    body: str
    url: str | None
    collapse_key: str | None
    ttl: int
    urgency: str
    send_at: datetime
    expires_at: datetime
    created_at: datetime
    expanded_at: datetime | None
    expanded_cursor: str | None
    recipients: int | None
    skipped: dict | None

    @property
    def content(self) -> payload.Content:
        return payload.Content(self.id, self.title, self.body, self.url, self.collapse_key,
                               self.topic)


def from_row(row) -> Notification:
    return Notification(**{name: getattr(row, name) for name in Notification.__dataclass_fields__})


def get(connection: Connection, notification_id: str) -> Notification:
    """One notification. Raises ``NotFound``."""
    row = connection.execute(select(notifications)
                             .where(notifications.c.id == notification_id)).first()
    if row is None:
        raise NotFound("There is no such notification.")
    return from_row(row)


def get_sent_by(connection: Connection, notification_id: str, sender_id: str) -> Notification:
    """One notification, only for the sender that sent it: to any other it is as good as
    missing. Raises ``NotFound``."""
    found = get(connection, notification_id)
    if found.sender_id != sender_id:
        raise NotFound("There is no such notification.")
    return found


def _request_hash(draft: Draft) -> str:
    data = asdict(draft)
    data.pop("idempotency_key")
    return hashlib.sha256(json.dumps(data, sort_keys=True, default=str).encode()).hexdigest()


def _stored(audience: Audience) -> dict:
    """*audience* as the notification keeps it; the language filter only where one is set."""
    stored = asdict(audience)
    if audience.language is None:
        del stored["language"], stored["language_unset"]
    return stored


def _check_url(url: str | None) -> None:
    if url is None:
        return
    parts = urlsplit(url)
    same_site = url.startswith("/") and not url.startswith("//") and "\\" not in url
    if not same_site and not (parts.scheme == "https" and parts.hostname):
        raise InvalidRequest("The link must be a path on this gateway (/...) or an https:// URL.",
                             field="url")


def _check(connection: Connection, draft: Draft) -> tuple[int, str]:
    """The TTL and urgency in force; raises on anything that cannot be sent."""
    audience = draft.audience
    if audience.kind not in AUDIENCES:
        raise AudienceInvalid("The audience kind is one of {kinds}.",
                              params={"kinds": ", ".join(AUDIENCES)})
    if audience.kind == "users" and not audience.users:
        raise AudienceInvalid("Name at least one user.", field="audience.users")
    if audience.kind == "groups" and not audience.groups:
        raise AudienceInvalid("Name at least one group.", field="audience.groups")
    if audience.kind == "topic" and not draft.topic:
        raise AudienceInvalid("Name the topic to send to its subscribers.", field="topic")
    missing = unknown_names(connection, audience.users, audience.groups)
    if missing:
        names = ", ".join(name for found in missing.values() for name in found)
        raise AudienceInvalid("These recipients are not known to the gateway: {names}. Check "
                              "the names.", params={"names": names}, unknown=missing)
    topic = topics.get(connection, draft.topic) if draft.topic else None
    _check_url(draft.url)
    if draft.collapse_key is not None and not COLLAPSE_KEY.match(draft.collapse_key):
        raise InvalidRequest("A collapse key has at most 32 of A-Z a-z 0-9 - "
                             "_.", field="collapse_key")
    ttl = draft.ttl if draft.ttl is not None else (topic.ttl if topic else DEFAULT_TTL)
    if not 0 <= ttl <= topics.MAX_TTL:
        raise InvalidRequest("The time to live is 0 to {most} "
                             "seconds.", params={"most": topics.MAX_TTL},
                             field="ttl")
    urgency = draft.urgency or (topic.urgency if topic else "normal")
    if urgency not in topics.URGENCIES:
        raise InvalidRequest("The urgency is one of {choices}.",
                             params={"choices": ", ".join(topics.URGENCIES)}, field="urgency")
    return ttl, urgency


def accept(store: Store, clock: Clock, draft: Draft, *, sender_kind: str,
           sender_id: str) -> tuple[Notification, bool]:
    """Commit *draft* as a notification; returns it and whether it is a replay of an
    earlier request with the same idempotency key.

    Raises ``AudienceInvalid``, ``NotFound`` (topic), ``InvalidRequest`` (url, collapse
    key, TTL, urgency, send time), ``PayloadTooLarge`` and ``IdempotencyConflict``.
    """
    request_hash = _request_hash(draft)
    now = clock.now()
    send_at = max(draft.send_at or now, now)
    if send_at > now + LONGEST_DELAY:
        raise InvalidRequest("A notification can be scheduled at most 30 days "
                             "ahead.", field="send_at")
    try:
        with store.write() as connection:
            replay = _replay(connection, sender_id, draft.idempotency_key, request_hash)
            if replay is not None:
                return replay, True
            ttl, urgency = _check(connection, draft)
            notification_id = new_id()
            content = payload.Content(notification_id, draft.title, draft.body, draft.url,
                                      draft.collapse_key, draft.topic)
            size = payload.largest_size(content)
            if size > payload.MAX_PAYLOAD:
                raise PayloadTooLarge(
                    "This notification would take {size} bytes, and a push carries at most "
                    "{limit}. Shorten the title or the text.",
                    params={"size": size, "limit": payload.MAX_PAYLOAD}, size=size,
                    limit=payload.MAX_PAYLOAD)
            connection.execute(insert(notifications).values(
                id=notification_id, sender_kind=sender_kind, sender_id=sender_id,
                idempotency_key=draft.idempotency_key, request_hash=request_hash,
                audience=_stored(draft.audience), topic=draft.topic, title=draft.title,
                body=draft.body, url=draft.url, collapse_key=draft.collapse_key, ttl=ttl,
                urgency=urgency, send_at=send_at, expires_at=send_at + timedelta(seconds=ttl),
                created_at=now))
            audit.record(connection, clock, "push.notification-accepted", actor=sender_id,
                         subject=notification_id,
                         details={"sender": sender_kind, "audience": draft.audience.kind,
                                  "topic": draft.topic})
            return get(connection, notification_id), False
    except IntegrityError:
        # Two requests with one idempotency key raced; the other one committed first.
        with store.read() as connection:
            replay = _replay(connection, sender_id, draft.idempotency_key, request_hash)
        if replay is None:
            raise
        return replay, True


def _replay(connection: Connection, sender_id: str, key: str | None,
            request_hash: str) -> Notification | None:
    if key is None:
        return None
    row = connection.execute(select(notifications).where(
        notifications.c.sender_id == sender_id, notifications.c.idempotency_key == key)).first()
    if row is None:
        return None
    if row.request_hash != request_hash:
        raise IdempotencyConflict("This idempotency key was used for a different notification. Use "
                                  "a new key.",
                                  notification_id=row.id)
    return from_row(row)
