"""The delivery worker's store thread: its transactions (claims, expansion, records of
answers) run there one at a time, beside the event loop, and a record of answers waits
for the claims and expansions asked for after it.

Claims keep the sending slots fed. In the order they were asked for, a claim could wait
behind a record of answers and an expansion (about 100 ms at the rate of a large
fan-out), longer than the messages made ready ahead last.
"""

from __future__ import annotations

import asyncio
import itertools
import queue
import threading
from collections.abc import Callable
from concurrent.futures import Future
from enum import IntEnum


class Turn(IntEnum):
    """Which work goes first when several wait (lower first; alike, in the order asked)."""

    # The sending slots wait for claims. A claim that needs the deliveries an expansion
    # asked for earlier will make is asked for in the expansion's turn instead (the
    # worker decides: ahead of it, the claim would come back short).
    CLAIM = 0
    EXPAND = 1
    RECORD = 2  # the answers wait in memory meanwhile; the slots are free already
    STOP = 3  # after everything asked for before it


class StoreThread:
    """One thread running transactions for an event loop, claims first."""

    def __init__(self, name: str = "push-store") -> None:
        self._queue: queue.PriorityQueue = queue.PriorityQueue()
        self._order = itertools.count()  # alike turns keep their order; futures never compare
        self._thread = threading.Thread(target=self._serve, name=name, daemon=True)
        self._thread.start()

    def submit(self, turn: Turn, work: Callable, *args) -> asyncio.Future:
        """Run ``work(*args)`` in the thread in its *turn*; a future of its result for the
        running event loop (what it raises, it raises)."""
        future: Future = Future()
        self._queue.put((turn, next(self._order), future, work, args))
        return asyncio.wrap_future(future)

    def shutdown(self) -> None:
        """Finish the work asked for so far, and end the thread."""
        self._queue.put((Turn.STOP, next(self._order), None, None, ()))
        self._thread.join()

    def _serve(self) -> None:
        while True:
            _, _, future, work, args = self._queue.get()
            if work is None:
                return
            if not future.set_running_or_notify_cancel():
                continue  # its waiter was cancelled before it ran
            try:
                result = work(*args)
            except BaseException as error:  # handed to the waiter, as an executor does
                future.set_exception(error)
            else:
                future.set_result(result)
