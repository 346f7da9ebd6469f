"""A delivery worker's sending slots: at most so many requests out at once, and at most so
many to one push service. Claimed messages take a slot just before their request and
free it with the answer; those waiting for one are woken only when several are free."""

from __future__ import annotations

import asyncio
from collections import Counter

AT_ONCE = 8  # free slots that wake the messages waiting for one


class SendingSlots:
    """*total* requests out at most, *per_origin* to one push service. Use from one event
    loop; ``renew()`` before using it from another."""

    def __init__(self, total: int, per_origin: int) -> None:
        self.total, self.per_origin = total, per_origin
        self.out = 0  # requests out: the slots taken
        self._out_per_origin: Counter = Counter()
        self._freed = asyncio.Event()
        self._worth_waking = min(AT_ONCE, total, per_origin)

    def renew(self) -> None:
        """A fresh wake-up event (events belong to the loop they are first used on)."""
        self._freed = asyncio.Event()

    def take(self, waiting: list) -> tuple[list, list]:
        """Of *waiting* (message, body) pairs, those that get a slot now (the slots taken)
        and those that wait."""
        ready, still = [], []
        for pair in waiting:
            origin = pair[0].job.origin
            if self.out < self.total and self._out_per_origin[origin] < self.per_origin:
                self.out += 1
                self._out_per_origin[origin] += 1
                ready.append(pair)
            else:
                still.append(pair)
        return ready, still

    def free(self, origin: str) -> None:
        """Free a slot of *origin*'s."""
        self.out -= 1
        self._out_per_origin[origin] -= 1
        # Waiting messages are woken when several slots are free, not on every answer:
        # each wake-up costs them a consent read and a turn of the loop.
        if (self.total - self.out >= self._worth_waking
                or self.per_origin - self._out_per_origin[origin] >= self._worth_waking):
            self._freed.set()

    async def wait(self) -> None:
        """Until enough slots are free to be worth another ``take``."""
        self._freed.clear()
        await self._freed.wait()
