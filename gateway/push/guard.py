"""The mass-prune guard: a push service that suddenly answers 404/410 for a large share of
subscriptions is more likely broken (or the gateway's key is wrong) than all those users
gone at once. Pruning for that origin pauses and the admin is alerted; the deliveries are
retried instead, and pruning resumes when the pause ends or the admin resolves the alert.
"""

from __future__ import annotations

from collections import deque
from datetime import datetime, timedelta

from sqlalchemy import Connection, insert, select, update

from gateway.push.tables import origins

WINDOW = timedelta(minutes=5)
MIN_ANSWERS = 20  # fewer answers than this say nothing about a whole push service
UNUSUAL_SHARE = 0.5
PAUSE = timedelta(hours=1)


class PruneGuard:
    """Remembers each origin's recent answers (this process's share of them)."""

    def __init__(self, *, window: timedelta = WINDOW, min_answers: int = MIN_ANSWERS,
                 share: float = UNUSUAL_SHARE) -> None:
        self.window, self.min_answers, self.share = window, min_answers, share
        self._answers: dict[str, deque[tuple[datetime, bool]]] = {}

    def observe(self, origin: str, gone: bool, now: datetime) -> None:
        """Note one answer from *origin*; *gone* for a 404 or 410."""
        answers = self._answers.setdefault(origin, deque())
        answers.append((now, gone))
        # Forget what left the window as it goes: a fan-out without prunes never asks for
        # an assessment, and would otherwise keep every answer of every fan-out.
        while answers[0][0] < now - self.window:
            answers.popleft()

    def assess(self, origin: str, now: datetime, in_flight: int = 0) -> tuple[str, int, int]:
        """``normal``, ``hold`` or ``unusual`` for *origin*'s 404/410 share in the window,
        with the counts (gone, answers). ``hold``: the share is high but too few answers
        are in yet while *in_flight* more are coming (the start of a large fan-out), so
        pruning waits for them rather than deleting what may be a push service's hiccup."""
        answers = self._answers.get(origin)
        if not answers:
            return "normal", 0, 0
        while answers and answers[0][0] < now - self.window:
            answers.popleft()
        gone = sum(1 for _, g in answers if g)
        total = len(answers)
        if not total or gone < total * self.share:
            return "normal", gone, total
        if total >= self.min_answers:
            return "unusual", gone, total
        return ("hold" if total + in_flight >= self.min_answers else "normal"), gone, total


def paused(connection: Connection, now: datetime) -> set[str]:
    """The origins whose pruning is paused now (by any worker)."""
    return set(connection.execute(select(origins.c.origin)
                                  .where(origins.c.prune_paused_until > now)).scalars())


def pause(connection: Connection, origin: str, until: datetime, reason: str) -> None:
    """Pause pruning for *origin* until *until*."""
    values = dict(prune_paused_until=until, reason=reason)
    if not connection.execute(update(origins).where(origins.c.origin == origin)
                              .values(**values)).rowcount:
        connection.execute(insert(origins).values(origin=origin, **values))
