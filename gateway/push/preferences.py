"""Quiet hours: a user's nightly window in their own time zone when only urgent
(``high``) notifications come through; the rest wait until it ends."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlalchemy import Connection, delete, insert, select

from gateway.core.clock import Clock
from gateway.core.errors import InvalidRequest
from gateway.core.store import Store
from gateway.core.store.lists import among
from gateway.push.tables import quiet_hours


@dataclass(frozen=True)
class QuietHours:
    starts: str  # HH:MM
    ends: str
    timezone: str

    def until(self, moment: datetime) -> datetime | None:
        """When the quiet window around *moment* ends, or None if *moment* is outside it."""
        zone = ZoneInfo(self.timezone)
        local = moment.astimezone(zone)
        starts, ends = time.fromisoformat(self.starts), time.fromisoformat(self.ends)
        if starts == ends:
            return None
        now = local.time().replace(tzinfo=None)
        overnight = starts > ends  # e.g. 22:00 to 07:00
        inside = (now >= starts or now < ends) if overnight else (starts <= now < ends)
        if not inside:
            return None
        end_day = local.date() + timedelta(days=1) if overnight and now >= starts else local.date()
        end = datetime.combine(end_day, ends, tzinfo=zone)
        return end.astimezone(UTC)


def check(starts: str, ends: str, timezone: str) -> QuietHours:
    """The quiet hours if the times are HH:MM and the zone an IANA name; raises
    ``InvalidRequest`` naming the field otherwise."""
    for field, value in (("starts", starts), ("ends", ends)):
        try:
            if len(value) != 5:
                raise ValueError
            time.fromisoformat(value)
        except ValueError:
            raise InvalidRequest("{field} must be a time as HH:MM.", params={"field": field},
                                 field=field) from None
    try:
        ZoneInfo(timezone)
    except (ZoneInfoNotFoundError, ValueError):
        raise InvalidRequest("\"{timezone}\" is not a time zone name such as Asia/Shanghai.",
                             params={"timezone": timezone}, field="timezone") from None
    return QuietHours(starts, ends, timezone)


def get(connection: Connection, user_id: str) -> QuietHours | None:
    row = connection.execute(select(quiet_hours).where(quiet_hours.c.user_id == user_id)).first()
    return QuietHours(row.starts, row.ends, row.timezone) if row else None


_OF_USERS = select(quiet_hours).where(among(quiet_hours.c.user_id, "user_ids"))


def of_users(connection: Connection, user_ids: list[str]) -> dict[str, QuietHours]:
    """The quiet hours of those of *user_ids* who set some."""
    found: dict[str, QuietHours] = {}
    for start in range(0, len(user_ids), 500):
        rows = connection.execute(_OF_USERS, {"user_ids": user_ids[start:start + 500]})
        found.update({row.user_id: QuietHours(row.starts, row.ends, row.timezone) for row in rows})
    return found


def set_quiet_hours(store: Store, clock: Clock, user_id: str,
                    hours: QuietHours | None) -> QuietHours | None:
    """Set (or with None, clear) the user's quiet hours."""
    with store.write() as connection:
        connection.execute(delete(quiet_hours).where(quiet_hours.c.user_id == user_id))
        if hours is not None:
            connection.execute(insert(quiet_hours).values(
                user_id=user_id, starts=hours.starts, ends=hours.ends, timezone=hours.timezone,
                updated_at=clock.now()))
    return hours
