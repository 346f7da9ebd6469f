"""Where time comes from: the system clock in production, a movable one in tests."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Protocol


class Clock(Protocol):
    """Anything that can tell the current time as an aware UTC datetime."""

    def now(self) -> datetime: ...


class SystemClock:
    """The real time."""

    def now(self) -> datetime:
        return datetime.now(UTC)


def epoch(moment: datetime) -> int:
    """Whole seconds since the Unix epoch, as JWT claims want them."""
    return int(moment.timestamp())
