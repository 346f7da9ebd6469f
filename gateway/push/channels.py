"""Which channel reached whom: per notification, how many devices got it by Web Push, by
the companion's live event stream, and only through the in-app inbox; and the same
channels over time for the console's chart.

A device counts once, by the best channel that reached it: Web Push (an OS notification),
else the live stream (shown at once in the open app), else the inbox alone (the user's
device will show it the next time the app opens). "Inbox only" is every active device of
a user who got the message that neither of the others reached: a device without push
consent or subscription, or one whose push service could not be reached.
"""

from __future__ import annotations

from collections import Counter
from datetime import datetime, timedelta

from sqlalchemy import Connection, func, select

from gateway.identity.tables import devices
from gateway.push import stats
from gateway.push.inbox_tables import inbox_messages
from gateway.push.live_receipts import CHANNEL as LIVE
from gateway.push.live_receipts import ORIGIN as LIVE_ORIGIN
from gateway.push.states import DeliveryState
from gateway.push.tables import deliveries, delivery_stats

CHANNELS = ("webpush", "live", "inbox")


def reached(connection: Connection, ids: list[str]) -> dict[str, dict[str, int]]:
    """Per notification id: devices reached by each channel (each device once, by the
    best), and ``messages``: how many users' inboxes kept it."""
    found = {nid: {**dict.fromkeys(CHANNELS, 0), "messages": 0} for nid in ids}
    if not ids:
        return found
    best: dict[tuple[str, str], str] = {}
    for nid, device_id, channel in connection.execute(
            select(deliveries.c.notification_id, deliveries.c.device_id, deliveries.c.channel)
            .where(deliveries.c.notification_id.in_(ids),
                   deliveries.c.state == DeliveryState.DELIVERED)):
        if best.get((nid, device_id)) != "webpush":
            best[(nid, device_id)] = "webpush" if channel != LIVE else "live"
    for nid, device_id in connection.execute(
            select(inbox_messages.c.notification_id, devices.c.id)
            .join(devices, devices.c.user_id == inbox_messages.c.user_id)
            .where(inbox_messages.c.notification_id.in_(ids), devices.c.revoked_at.is_(None))):
        best.setdefault((nid, device_id), "inbox")
    for (nid, _), channel in best.items():
        found[nid][channel] += 1
    for nid, count in connection.execute(
            select(inbox_messages.c.notification_id, func.count())
            .where(inbox_messages.c.notification_id.in_(ids))
            .group_by(inbox_messages.c.notification_id)):
        found[nid]["messages"] = count
    return found


def over_time(connection: Connection, now: datetime, hours: int) -> tuple[list[dict], timedelta]:
    """Per step of the last *hours*: devices reached by Web Push, by the live stream (from
    the delivery statistics), and messages kept in inboxes, oldest first, every step
    present; and the step."""
    step = timedelta(minutes=max(1, hours))  # about 60 steps, as the outcome chart
    since = stats.minute_of(now - timedelta(hours=hours))
    steps = max(int((now - since) / step) + 1, 1)
    buckets = [Counter() for _ in range(steps)]
    for minute, origin, outcome, n in connection.execute(
            select(delivery_stats.c.minute, delivery_stats.c.origin, delivery_stats.c.outcome,
                   delivery_stats.c.count)
            .where(delivery_stats.c.minute >= since, delivery_stats.c.minute <= now)):
        channel = ("live" if origin == LIVE_ORIGIN
                   else "webpush" if outcome == DeliveryState.DELIVERED else None)
        if channel is not None:
            buckets[min(int((minute - since) / step), steps - 1)][channel] += n
    # Messages of one notification are kept within moments of each other: counted at the
    # first, one row per notification read rather than one per message.
    for first, n in connection.execute(
            select(func.min(inbox_messages.c.created_at), func.count())
            .where(inbox_messages.c.created_at >= since)
            .group_by(inbox_messages.c.notification_id)):
        buckets[min(max(int((first - since) / step), 0), steps - 1)]["inbox"] += n
    return [{"at": since + step * i, "counts": {c: b[c] for c in CHANNELS}}
            for i, b in enumerate(buckets)], step
