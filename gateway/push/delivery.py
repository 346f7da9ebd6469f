"""The parts of a delivery worker: expand due notifications, claim due deliveries as
sending slots free up (and a few more, made ready ahead), encrypt them, check push
consent once more as each gets its slot, send them concurrently over one session
(``sending``), and record the answers in batches. Each is a plain call;
``gateway.push.worker`` runs them in a loop.
"""


from __future__ import annotations

import asyncio
import logging
import random
import secrets
import time
from collections import Counter
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import timedelta

from gateway.core.clock import Clock
from gateway.core.store import Store
from gateway.push import expansion, outbox, recorder, vapid
from gateway.push.config import PushOptions
from gateway.push.consent_check import ConsentMemo
from gateway.push.encryption import Encryptor
from gateway.push.guard import PruneGuard
from gateway.push.materials import Materials
from gateway.push.receipts import ReceiptKey
from gateway.push.recorder import Result
from gateway.push.sender import Message, Sender
from gateway.push.sending import Sending
from gateway.push.slots import SendingSlots

log = logging.getLogger("gateway.push")
EXPAND_ENOUGH = 1000  # deliveries made per look: sending starts early, claims wait little
LEASE_MARGIN = timedelta(seconds=5)
# Deliveries claimed beyond the sending slots, per slot: they are encrypted while the
# slots' requests are out, so a slot that frees takes a message that is ready at once,
# instead of waiting for a claim and its encryption (a slot's turn was 112 ms for a
# 50 ms push service without them). As many as the slots: with half as many, the slots
# ran out of ready messages whenever an expansion held the store thread (about 60 ms
# for 1,000 users), and a fan-out of 30,000 made 0.90x the rate (in alternating rounds).
AHEAD = 1.0

Sleeper = Callable[[float], Awaitable[None]]


@dataclass
class WorkerStats:
    sent: int = 0
    recorded: Counter = field(default_factory=Counter)


class Deliveries(Sending):
    """The parts of a delivery worker, each a plain call that tests make directly:
    expand, claim, encrypt, check consent again, send, record. ``Worker`` runs them."""

    def __init__(self, *, store: Store, clock: Clock, options: PushOptions,
                 wrap: vapid.KeyWrap, receipts: ReceiptKey,
                 sleeper: Sleeper | None = None, rng: random.Random | None = None,
                 guard: PruneGuard | None = None, batch: int = 512,
                 timer: Callable[[], float] = time.perf_counter,
                 on_recipients: expansion.RecipientsHook | None = None,
                 expand_enough: int = EXPAND_ENOUGH, chunk: int = expansion.CHUNK) -> None:
        self.store, self.clock, self.options = store, clock, options
        self.wrap, self.receipts, self.timer = wrap, receipts, timer
        self.rng = rng or secrets.SystemRandom()
        self.guard = guard or PruneGuard()
        self.batch = batch
        self.expand_enough = expand_enough  # deliveries made per look at most
        self.chunk = chunk  # users per expansion transaction
        self.on_recipients = on_recipients  # the in-app inbox keeps its messages
        self.headers = vapid.HeaderCache(clock)
        self.encryptor = Encryptor(options.encrypt_processes)
        self.consent = ConsentMemo()
        # A claimed message may wait for a slot as long as the requests ahead of it take
        # (one send timeout, see ``capacity``; another for those that took a freed slot
        # before it: the slots keep no order), then take one itself.
        self.lease = 3 * timedelta(seconds=options.send_timeout) + LEASE_MARGIN
        self.wake = asyncio.Event()
        self.sleeper = sleeper or self._wait_for_wake
        self.stats = WorkerStats()
        self._in_flight: set[asyncio.Task] = set()
        self._pending = 0  # claimed messages not answered yet
        self._per_origin: Counter = Counter()  # ... of them, per push service
        self.slots = SendingSlots(options.concurrency, options.origin_concurrency)
        self._results: list[Result] = []
        self._answered = asyncio.Event()
        self._last_flush = timer()
        self._last_expand = float("-inf")
        self._dry = False
        self.materials = Materials(store, options, wrap, timer)
        self.sender: Sender | None = None

    def expand_due(self) -> int:
        """Expand notifications whose send time came, chunk by chunk, until
        ``expand_enough`` deliveries are made or none is left to expand; how many were
        made."""
        made = 0
        for notification_id in expansion.due(self.store, self.clock):
            while made < self.expand_enough:
                chunk = expansion.expand(self.store, self.clock, notification_id, self.consent,
                                         chunk=self.chunk, on_recipients=self.on_recipients)
                if chunk is None:
                    break
                made += chunk
        self._dry = False
        return made

    @staticmethod
    def capacity(slots: int) -> int:
        """Claimed messages kept at most for *slots* sending slots: the slots' own and
        ``AHEAD`` per slot made ready meanwhile. No more, so that a claimed message waits
        for a slot no longer than the requests already out take."""
        return slots + int(slots * AHEAD)

    @property
    def _claim_size(self) -> int:
        """The most deliveries one claim takes."""
        return min(self.batch, self.capacity(self.options.concurrency))

    @property
    def _claim_at(self) -> int:
        """Free slots worth a claim: batches, not one slot at a time (each claim is a
        transaction), but small enough that freed slots do not sit idle long (an eighth:
        with 256 slots, 32 made 2.0x web-push against 1.9x with 64, in bench_push)."""
        return max(min(self.batch, self.options.concurrency) // 8, 1)

    def claim(self) -> list[Message]:
        """Claim as many due deliveries as there are free sending slots."""
        wanted = self._wanted()
        return self._claimed(*self._claim_jobs(*wanted)) if wanted else []

    def _wanted(self) -> tuple[int, dict[str, int]] | None:
        """How many deliveries a claim should take now, and the free slots per origin
        (None: too few slots are free for a claim to be worth its transaction)."""
        free = self.capacity(self.options.concurrency) - self._pending
        if free <= 0 or (self._pending and free < self._claim_at):
            return None
        per_origin = self.capacity(self.options.origin_concurrency)
        slots = {origin: per_origin - n for origin, n in self._per_origin.items()}
        return min(free, self.batch), slots

    def _claim_jobs(self, limit: int, slots: dict[str, int]):
        """The store's part of a claim (safe in the worker's store thread): the claimed
        messages, the results of those that cannot be sent, whether the queue ran dry."""
        jobs = outbox.claim(self.store, self.clock, limit=limit,
                            lease=self.lease, free_slots=slots,
                            default_slots=self.capacity(self.options.origin_concurrency),
                            memo=self.consent)
        messages, failed = self.materials.messages(jobs)
        return messages, failed, len(jobs) < limit

    def _claimed(self, messages: list[Message], failed: list[Result], dry: bool):
        self._dry = dry  # the queue ran dry: expand more at once
        self._results.extend(failed)
        return messages

    def flush(self) -> None:
        """Record the results gathered so far in one transaction."""
        self.stats.recorded += self._record(self._gathered(), Counter(self._per_origin))

    def _gathered(self) -> list[Result]:
        """The results gathered so far, handed over (in the event loop's thread)."""
        results, self._results = self._results, []
        self._last_flush = self.timer()
        return results

    def _record(self, results: list[Result], in_flight: Counter) -> Counter:
        """The store's part of a flush (safe in the worker's store thread)."""
        if not results:
            return Counter()
        return recorder.record(self.store, self.clock, results, prune_guard=self.guard,
                               rng=self.rng, in_flight=in_flight)

    async def _wait_for_wake(self, seconds: float) -> None:
        try:
            await asyncio.wait_for(self.wake.wait(), timeout=seconds)
        except TimeoutError:
            pass
        self.wake.clear()
