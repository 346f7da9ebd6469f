"""What a push message carries: the notification as compact JSON, plus the delivery's
receipt token so the service worker can report that it was shown.

RFC 8291 leaves 3,993 bytes of a 4,096-byte message for content; the gateway keeps every
payload under 3,000 bytes so push services never refuse it for size (a 413).
"""

from __future__ import annotations

import json
from dataclasses import dataclass

MAX_PAYLOAD = 3000
_LONGEST_DELIVERY = 2**63 - 1
_LONGEST_RECEIPT = "x" * 64


@dataclass(frozen=True)
class Content:
    """What every delivery of one notification shows."""

    notification_id: str
    title: str
    body: str
    url: str | None
    collapse_key: str | None
    topic: str | None


def encode(content: Content, delivery_id: int, receipt: str, *, trimmed: bool = False) -> bytes:
    """The plaintext of one delivery. *trimmed* drops the body (after a push service
    answered 413: the same bytes are never sent again)."""
    data = {
        "notification": content.notification_id,
        "delivery": delivery_id,
        "title": content.title,
        "body": "" if trimmed else content.body,
        "url": content.url,
        "tag": content.collapse_key,
        "topic": content.topic,
        "receipt": receipt,
    }
    if trimmed:
        data["trimmed"] = True
    return json.dumps(data, separators=(",", ":"), ensure_ascii=False).encode("utf-8")


def largest_size(content: Content) -> int:
    """The size of the largest payload any delivery of *content* can have."""
    return len(encode(content, _LONGEST_DELIVERY, _LONGEST_RECEIPT))
